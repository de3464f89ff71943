/**
 * Runs a test firmware (see build.ts) in qemu-system-arm and parses what it reports.
 *
 * Vectors go in through a file: the host writes vectors.bin (inputSize bytes per vector) into a
 * fresh run directory, QEMU starts there, and the firmware reads it with semihosting SYS_READ one
 * vector at a time, so any number of vectors runs in one boot with a 16 KB-RAM image. Results come
 * back the same way in results.txt (text records, see c-templates/harness.c.ejs).
 *
 * Instruction counts: QEMU runs with `-icount shift=S,sleep=off`, so each instruction advances the
 * virtual clock by exactly 2^S ns, and SysTick (processor clock) becomes a deterministic counter.
 * The board's qemu.icountShift chooses S so one instruction lasts at least one SysTick period.
 * The firmware calibrates every run: it times its own spin loop of exactly 2 instructions per
 * iteration for two lengths, which gives ticks per instruction (snapped to the exact ratio of a
 * round SysTick clock, see parseResults); an empty measurement gives the timing overhead.
 * instructions = round((ticks - empty) / ticksPerInstruction).
 * Measured (QEMU 7.2): microbit 16 MHz SysTick, shift 6 -> 1.024 ticks/instruction;
 * lm3s6965evb 12.5 MHz, shift 7 -> 1.6; mps2-an385/386/500 25 MHz, shift 6 -> 1.6;
 * netduinoplus2 168 MHz, shift 3 -> 1.344; mps2-an505 (M33) 20 MHz, shift 6 -> 1.28;
 * mps3-an547 (M55) 32 MHz, shift 5 -> 1.024.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Board } from "./boards.js";
import { metaPath, type FirmwareMeta } from "./build.js";
import { EmulatorError, requireTool } from "./tools.js";

export interface RunFirmwareOptions {
  board: Board;
  elfPath: string;
  vectors: Int8Array[];
  /** wall-clock limit for the QEMU process (default 60 s); it is killed after that */
  timeoutMs?: number;
  /** trace mode: also return every byte of this layer's output for this vector */
  dump?: { vector: number; layer: number };
  /** keep the run directory (vectors.bin, results.txt) for inspection */
  keepRunDir?: boolean;
}

export interface VectorResult {
  output: Int8Array;
  /** trace mode: FNV-1a 32-bit of each layer's output bytes, by layer index */
  layerHashes?: number[];
  /** trace mode: each layer's output size in bytes */
  layerSizes?: number[];
  /** count mode: instructions executed by <name>_predict (including its call and return) */
  instructions?: number;
  /** count mode: raw SysTick ticks around predict */
  ticks?: number;
  /** profile mode: instructions of each layer, by layer index (the hook's calibrated overhead subtracted) */
  layerInstructions?: number[];
  /** profile mode: raw SysTick ticks of each layer */
  layerTicks?: number[];
}

export interface FirmwareRun {
  vectors: VectorResult[];
  /** the requested layer dump (trace mode with `dump`) */
  dump?: { vector: number; layer: number; data: Int8Array };
  /** peak stack use over the whole run (painted-stack measurement), and the stack available */
  stackBytesUsed: number;
  stackBytesAvailable: number;
  /** count and profile modes: the calibration the firmware measured (profile: plus the per-layer hook's ticks on an empty layer) */
  calibration?: {
    ticksPerInstruction: number;
    sysTickHz: number;
    emptyTicks: number;
    spinTicks: [number, number];
    spinIterations: [number, number];
    emptyLayerTicks?: number;
  };
  /** the QEMU command line that ran, for reproduction */
  command: string[];
  runDir: string;
}

/** FNV-1a 32-bit over the bytes of `data` (as the firmware computes per layer). */
export function fnv1a32(data: Int8Array | Uint8Array): number {
  let h = 0x811c9dc5;
  for (const v of data) {
    h ^= v & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function parseHexBytes(hex: string, what: string): Int8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) throw new EmulatorError(`firmware reported malformed bytes for ${what}`);
  const out = new Int8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16) << 24) >> 24;
  return out;
}

/** The qemu-system-arm arguments for a board and an ELF. */
export function qemuArgs(board: Board, elfPath: string, append?: string): string[] {
  return [
    "-M",
    board.qemu.machine,
    "-nographic",
    "-monitor",
    "none",
    "-serial",
    "none",
    "-semihosting-config",
    "enable=on,target=native",
    "-icount",
    `shift=${board.qemu.icountShift},sleep=off`,
    "-kernel",
    elfPath,
    ...(append ? ["-append", append] : []),
  ];
}

function runQemu(args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; signal: string | null; output: string; timedOut: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("qemu-system-arm", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new EmulatorError(`cannot start qemu-system-arm: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, output, timedOut });
    });
  });
}

/**
 * Runs `elfPath` (built by buildFirmware for `board`) on every vector.
 * Throws ToolMissingError, or EmulatorError on a timeout, a QEMU crash, a CPU fault or missing results.
 */
export async function runFirmware(opts: RunFirmwareOptions): Promise<FirmwareRun> {
  const { board, elfPath, vectors } = opts;
  requireTool("qemu-system-arm");
  const mp = metaPath(elfPath);
  if (!existsSync(elfPath) || !existsSync(mp)) throw new EmulatorError(`no firmware at ${elfPath} (build it with buildFirmware first)`);
  const meta = JSON.parse(readFileSync(mp, "utf8")) as FirmwareMeta;
  if (meta.board !== board.name) throw new EmulatorError(`${elfPath} was built for board ${meta.board}, not ${board.name}`);
  vectors.forEach((v, i) => {
    if (v.length !== meta.inputSize) throw new EmulatorError(`vector ${i} has ${v.length} values; the model takes ${meta.inputSize}`);
  });
  if (opts.dump && meta.mode !== "trace") throw new EmulatorError("a layer dump needs a firmware built in trace mode");

  const runDir = mkdtempSync(join(dirname(elfPath), "run-"));
  try {
    const bin = new Uint8Array(vectors.length * meta.inputSize);
    vectors.forEach((v, i) => bin.set(new Uint8Array(v.buffer, v.byteOffset, v.length), i * meta.inputSize));
    writeFileSync(join(runDir, "vectors.bin"), bin);
    const args = qemuArgs(board, elfPath, opts.dump ? `dump=${opts.dump.vector}:${opts.dump.layer}` : undefined);
    const command = ["qemu-system-arm", ...args];
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const r = await runQemu(args, runDir, timeoutMs);
    const where = `${meta.modelName} on ${board.name} (qemu ${board.qemu.machine})`;
    if (r.timedOut) throw new EmulatorError(`QEMU timed out after ${timeoutMs} ms running ${where}; killed. Command: ${command.join(" ")}`, r.output);
    if (/\bLockup\b/.test(r.output)) throw new EmulatorError(lockupMessage(board, where, r.output), condenseQemuOutput(r.output));
    if (r.code === 3) throw new EmulatorError(`the firmware hit a CPU fault running ${where}`, r.output);
    if (r.code !== 0) {
      throw new EmulatorError(
        `QEMU ${r.signal ? `was killed by ${r.signal}` : `exited with status ${r.code}`} running ${where}. Command: ${command.join(" ")}`,
        r.output,
      );
    }
    const resultsPath = join(runDir, "results.txt");
    if (!existsSync(resultsPath)) throw new EmulatorError(`the firmware wrote no results running ${where}`, r.output);
    const run = parseResults(readFileSync(resultsPath, "utf8"), meta, board.qemu.icountShift, vectors.length, where);
    return { ...run, command, runDir };
  } finally {
    if (!opts.keepRunDir) rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * Flash and RAM origins of the QEMU machines strongnet knows (docs/firmware.md). Used only to
 * explain a lockup; boards bring their own memory map (qemu.flash / qemu.ram).
 */
const MACHINE_MEMORY: Record<string, { flash: number; ram: number }> = {
  microbit: { flash: 0x00000000, ram: 0x20000000 },
  lm3s6965evb: { flash: 0x00000000, ram: 0x20000000 },
  "mps2-an385": { flash: 0x00000000, ram: 0x20000000 },
  "mps2-an386": { flash: 0x00000000, ram: 0x20000000 },
  "mps2-an500": { flash: 0x00000000, ram: 0x20000000 },
  netduinoplus2: { flash: 0x08000000, ram: 0x20000000 },
  "mps2-an505": { flash: 0x10000000, ram: 0x38000000 },
  "mps3-an547": { flash: 0x00000000, ram: 0x20000000 },
};

const hex = (v: number): string => `0x${v.toString(16).padStart(8, "0")}`;

/**
 * QEMU's "Lockup: can't escalate ... to HardFault": the CPU faulted while it could not take a
 * fault (before or inside the fault handler). For a firmware that runs on the bundled boards
 * this almost always means the board's memory map is wrong for the machine: the vector table or
 * the stack is where the machine has no flash or RAM.
 */
function lockupMessage(board: Board, where: string, output: string): string {
  const reg = (n: number) => new RegExp(`\\bR${n}=([0-9a-f]{8})`).exec(output)?.[1];
  const pc = reg(15);
  const sp = reg(13);
  const known = MACHINE_MEMORY[board.qemu.machine];
  const link = `flash at ${hex(board.qemu.flash.origin)} (qemu.flash.origin) and RAM at ${hex(board.qemu.ram.origin)} (qemu.ram.origin)`;
  const expected = known
    ? known.flash === board.qemu.flash.origin && known.ram === board.qemu.ram.origin
      ? `; those are ${board.qemu.machine}'s usual origins, so check qemu.flash.length / qemu.ram.length and the core`
      : `; QEMU machine ${board.qemu.machine} has flash at ${hex(known.flash)} and RAM at ${hex(known.ram)}`
    : "";
  return (
    `the firmware locked up in QEMU running ${where}${pc ? ` (PC=0x${pc}, SP=0x${sp})` : ""}: the CPU faulted where no fault handler could run. ` +
    `Hint: the board's memory map probably does not match the emulated machine: the image is linked with ${link}${expected}`
  );
}

/** QEMU's output without the register dump that follows a fatal error. */
function condenseQemuOutput(output: string): string {
  return output
    .split("\n")
    .filter((l) => l.trim() && !/^(R\d\d=|XPSR=|s\d\d=|FPSCR)/.test(l.trim()))
    .join("\n");
}

function parseResults(text: string, meta: FirmwareMeta, icountShift: number, count: number, where: string): Omit<FirmwareRun, "command" | "runDir"> {
  const results: VectorResult[] = Array.from({ length: count }, () => ({ output: new Int8Array(0) }));
  let calib: number[] | undefined;
  let emptyLayerTicks: number | undefined;
  let stack: number[] | undefined;
  let ended: number | undefined;
  let dump: FirmwareRun["dump"];
  const ticks: number[] = [];
  const bad = (line: string) => new EmulatorError(`the firmware reported an unexpected line running ${where}: ${line.slice(0, 200)}`);
  const vectorAt = (s: string, line: string) => {
    const i = Number(s);
    if (!Number.isInteger(i) || i < 0 || i >= count) throw bad(line);
    return results[i]!;
  };
  for (const line of text.split("\n")) {
    if (!line) continue;
    const f = line.split(" ");
    switch (f[0]) {
      case "C":
        calib = f.slice(1).map(Number);
        break;
      case "T":
        vectorAt(f[1]!, line).ticks = Number(f[2]);
        ticks[Number(f[1])] = Number(f[2]);
        break;
      case "L": {
        const r = vectorAt(f[1]!, line);
        const layer = Number(f[2]);
        (r.layerSizes ??= [])[layer] = Number(f[3]);
        (r.layerHashes ??= [])[layer] = Number.parseInt(f[4]!, 16) >>> 0;
        break;
      }
      case "D":
        vectorAt(f[1]!, line);
        dump = { vector: Number(f[1]), layer: Number(f[2]), data: parseHexBytes(f[3] ?? "", `the dump of layer ${f[2]}`) };
        break;
      case "O":
        vectorAt(f[1]!, line).output = parseHexBytes(f[2] ?? "", `the output of vector ${f[1]}`);
        break;
      case "Q":
        emptyLayerTicks = Number(f[1]);
        break;
      case "P":
        vectorAt(f[1]!, line).layerTicks = f.slice(2).map(Number);
        break;
      case "S":
        stack = f.slice(1).map(Number);
        break;
      case "E":
        ended = Number(f[1]);
        break;
      default:
        throw bad(line);
    }
  }
  if (ended !== count) {
    throw new EmulatorError(`the firmware ran ${ended ?? "an unknown number of"} of ${count} vectors running ${where} (results.txt is incomplete)`);
  }
  results.forEach((r, i) => {
    if (r.output.length !== meta.outputSize) throw new EmulatorError(`no output for vector ${i} running ${where}`);
    if (meta.mode === "trace" && (r.layerHashes?.length ?? 0) !== meta.layerCount) {
      throw new EmulatorError(`vector ${i}: the firmware traced ${r.layerHashes?.length ?? 0} layers, the model header says ${meta.layerCount}, running ${where}`);
    }
    if (meta.mode === "profile" && (r.layerTicks?.length !== meta.layerCount || r.layerTicks.some((t) => !Number.isFinite(t)))) {
      throw new EmulatorError(`vector ${i}: the firmware timed ${r.layerTicks?.length ?? 0} layers, the model header says ${meta.layerCount}, running ${where}`);
    }
  });
  let calibration: FirmwareRun["calibration"];
  if (meta.mode !== "trace") {
    if (!calib || calib.length !== 5 || calib.some((v) => !Number.isFinite(v))) throw new EmulatorError(`the firmware reported no calibration running ${where}`);
    const [emptyTicks, s1, s2, n1, n2] = calib as [number, number, number, number, number];
    const measured = (s2 - s1) / (2 * (n2 - n1));
    if (!(measured > 0)) {
      throw new EmulatorError(`SysTick does not count on qemu ${meta.board}'s machine (calibration ${calib.join(" ")}), so instructions cannot be counted`);
    }
    // The spin measurement is off by up to a tick (1e-5 relative), which would be ~100
    // instructions over 10 million. The true ratio is clock * 2^shift ns / 1e9: take the SysTick
    // clock the measurement implies, round it to a whole 10 kHz (machine clocks are round
    // numbers: 16, 12.5, 25, 168 MHz), and use the exact ratio of that clock.
    const nsPerInstruction = 2 ** icountShift;
    const measuredHz = (measured * 1e9) / nsPerInstruction;
    const roundHz = Math.round(measuredHz / 1e4) * 1e4;
    const sysTickHz = Math.abs(roundHz - measuredHz) < 1e-3 * roundHz ? roundHz : measuredHz;
    const ticksPerInstruction = (sysTickHz * nsPerInstruction) / 1e9;
    calibration = { ticksPerInstruction, sysTickHz, emptyTicks, spinTicks: [s1, s2], spinIterations: [n1, n2] };
    for (const r of results) r.instructions = Math.max(0, Math.round((r.ticks! - emptyTicks) / ticksPerInstruction));
    if (meta.mode === "profile") {
      if (emptyLayerTicks === undefined || !Number.isFinite(emptyLayerTicks)) throw new EmulatorError(`the firmware reported no per-layer calibration running ${where}`);
      calibration.emptyLayerTicks = emptyLayerTicks;
      for (const r of results) r.layerInstructions = r.layerTicks!.map((t) => Math.max(0, Math.round((t - emptyLayerTicks!) / ticksPerInstruction)));
    }
  }
  return {
    vectors: results,
    dump,
    stackBytesUsed: stack?.[0] ?? 0,
    stackBytesAvailable: stack?.[1] ?? 0,
    calibration,
  };
}
