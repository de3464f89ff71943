/**
 * Builds the hand-written stand-in model (fixtures/tiny, written to the codegen contract) into
 * a test firmware for every shipped board and runs it on the board's QEMU machine.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildFirmware,
  CompileError,
  EmulatorError,
  FirmwareTooLargeError,
  fnv1a32,
  getBoard,
  loadBoards,
  requireTool,
  runFirmware,
  ToolMissingError,
  type Board,
} from "../src/firmware/index.js";

const FIXTURE = join(import.meta.dirname, "fixtures", "tiny");
const tiny = { c: readFileSync(join(FIXTURE, "tiny.c"), "utf8"), h: readFileSync(join(FIXTURE, "tiny.h"), "utf8") };
const root = mkdtempSync(join(tmpdir(), "strongnet-fw-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sat8 = (v: number) => Math.max(-128, Math.min(127, v));
/** The stand-in model in TypeScript: every layer's output. */
function tinyLayers(x: Int8Array): Int8Array[] {
  const a = Int8Array.from(x, (v, i) => sat8(3 * v + i - 8));
  const b = Int8Array.from({ length: 8 }, (_, j) => Math.max(a[2 * j]!, a[2 * j + 1]!));
  const c = Int8Array.from({ length: 4 }, (_, k) => sat8(b[2 * k]! - b[2 * k + 1]!));
  return [a, b, c];
}

function vectors(): Int8Array[] {
  const out: Int8Array[] = [new Int8Array(16), new Int8Array(16).fill(127), new Int8Array(16).fill(-128)];
  let s = 12345;
  for (let n = 0; n < 13; n++) {
    out.push(
      Int8Array.from({ length: 16 }, () => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return ((s >>> 16) & 0xff) - 128;
      }),
    );
  }
  return out;
}

const boards = loadBoards();

/** The SysTick (processor) clock of each QEMU 7.2 machine, as measured by the firmware's calibration. */
const SYSTICK_HZ: Record<string, number> = {
  microbit: 16_000_000,
  lm3s6965evb: 12_500_000,
  "mps2-an385": 25_000_000,
  "mps2-an386": 25_000_000,
  "mps2-an500": 25_000_000,
  netduinoplus2: 168_000_000,
  "mps2-an505": 20_000_000,
  "mps3-an547": 32_000_000,
};

describe.each(boards.map((b) => [b.name, b] as [string, Board]))("stand-in model on %s", (_name, board) => {
  const dir = join(root, board.name);
  const vecs = vectors();

  it("trace mode: outputs and every layer's FNV-1a equal the TypeScript computation; a layer dump returns its bytes", async () => {
    // the templates are warning-free under the generated code's own strictness
    const fw = buildFirmware({ board, modelName: "tiny", modelSources: tiny, mode: "trace", workDir: dir, extraCflags: ["-pedantic", "-Werror"] });
    expect(fw.sizes.flashBytes).toBe(fw.sizes.text + fw.sizes.data);
    expect(fw.sizes.flashBytes).toBeLessThan(board.flashBytes);
    const run = await runFirmware({ board, elfPath: fw.elfPath, vectors: vecs, timeoutMs: 30_000, dump: { vector: 5, layer: 1 } });
    run.vectors.forEach((r, i) => {
      const layers = tinyLayers(vecs[i]!);
      expect(Array.from(r.output)).toEqual(Array.from(layers[2]!));
      expect(r.layerHashes).toEqual(layers.map(fnv1a32));
      expect(r.layerSizes).toEqual([16, 8, 4]);
    });
    expect(run.dump?.vector).toBe(5);
    expect(Array.from(run.dump!.data)).toEqual(Array.from(tinyLayers(vecs[5]!)[1]!));
    expect(run.stackBytesUsed).toBeGreaterThan(0);
    expect(run.stackBytesUsed).toBeLessThan(run.stackBytesAvailable);
  });

  it("count mode: outputs match and the instruction count is identical across two runs", async () => {
    const fw = buildFirmware({ board, modelName: "tiny", modelSources: tiny, mode: "count", workDir: dir, extraCflags: ["-pedantic", "-Werror"] });
    const [r1, r2] = await Promise.all([
      runFirmware({ board, elfPath: fw.elfPath, vectors: vecs, timeoutMs: 30_000 }),
      runFirmware({ board, elfPath: fw.elfPath, vectors: vecs, timeoutMs: 30_000 }),
    ]);
    r1.vectors.forEach((r, i) => expect(Array.from(r.output)).toEqual(Array.from(tinyLayers(vecs[i]!)[2]!)));
    const counts = r1.vectors.map((r) => r.instructions!);
    expect(r2.vectors.map((r) => r.instructions)).toEqual(counts);
    expect(r2.vectors.map((r) => r.ticks)).toEqual(r1.vectors.map((r) => r.ticks));
    // a 16 -> 16 -> 8 -> 4 model: a few hundred instructions, not zero and not thousands
    for (const c of counts) expect(c).toBeGreaterThan(100), expect(c).toBeLessThan(2000);
    // one instruction lasts at least one SysTick period (board.qemu.icountShift), and the ratio is the machine clock's
    expect(r1.calibration!.ticksPerInstruction).toBeGreaterThanOrEqual(1);
    expect(r1.calibration!.ticksPerInstruction).toBeLessThan(2);
    expect(r1.calibration!.sysTickHz).toBe(SYSTICK_HZ[board.qemu.machine]);
  });
});

describe("firmware errors and limits", () => {
  const microbit = getBoard("bbc-microbit-v1");

  it("a model too big for the board's RAM fails to link with a clear error", () => {
    const big = {
      h: tiny.h,
      c: tiny.c.replace("int8_t bytes[TINY_ARENA_BYTES];", "int8_t bytes[TINY_ARENA_BYTES + 20000];"),
    };
    let err: unknown;
    try {
      buildFirmware({ board: microbit, modelName: "tiny", modelSources: big, mode: "count", workDir: join(root, "big-ram") });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FirmwareTooLargeError);
    expect((err as Error).message).toMatch(/does not fit bbc-microbit-v1: RAM \(16384 bytes\) overflowed by \d+ bytes/);
  });

  it("a firmware that leaves less than the minimum stack is refused", () => {
    const almost = { h: tiny.h, c: tiny.c.replace("int8_t bytes[TINY_ARENA_BYTES];", "int8_t bytes[TINY_ARENA_BYTES + 15500];") };
    expect(() => buildFirmware({ board: microbit, modelName: "tiny", modelSources: almost, mode: "count", workDir: join(root, "no-stack") })).toThrow(
      /RAM \(16384 bytes\) leaves less than the minimum stack/,
    );
  });

  it("the RAM limit is the board's, not the emulator's: 100 KB of tables link for nucleo-f767zi but not arduino-due (96 KB RAM)", () => {
    const ram = { h: tiny.h, c: tiny.c.replace("int8_t bytes[TINY_ARENA_BYTES];", "int8_t bytes[TINY_ARENA_BYTES + 100000];") };
    expect(() => buildFirmware({ board: getBoard("arduino-due"), modelName: "tiny", modelSources: ram, mode: "count", workDir: join(root, "due") })).toThrow(
      FirmwareTooLargeError,
    );
    expect(buildFirmware({ board: getBoard("nucleo-f767zi"), modelName: "tiny", modelSources: ram, mode: "count", workDir: join(root, "f767") }).sizes.bss).toBeGreaterThan(100000);
  });

  it("a compile error reports the compiler's stderr", () => {
    const broken = { h: tiny.h, c: tiny.c.replace("int32_t i;", "int32_t i = nope;") };
    expect(() => buildFirmware({ board: microbit, modelName: "tiny", modelSources: broken, mode: "trace", workDir: join(root, "broken") })).toThrow(
      CompileError,
    );
    expect(() => buildFirmware({ board: microbit, modelName: "tiny", modelSources: broken, mode: "trace", workDir: join(root, "broken") })).toThrow(/'nope' undeclared/);
  });

  it("SysTick wraps (24 bits) are counted: 4 million more spin iterations measure as 8 million more instructions", async () => {
    // predict = the tiny model + a spin loop of exactly 2 instructions per iteration; only the
    // loop count differs between the two builds, so the code around it is the same
    const withSpin = (n: number) => ({
      h: tiny.h,
      c: tiny.c.replace(
        "    SN_TRACE(2u, out, 4u);\n}",
        `    SN_TRACE(2u, out, 4u);\n    {\n        uint32_t n = ${n}u;\n        __asm__ volatile (".syntax unified\\n1:\\n\\tsubs %0, %0, #1\\n\\tbne 1b" : "+l" (n) : : "cc");\n    }\n}`,
      ),
    });
    const board = getBoard("nucleo-f411re");
    const run = async (n: number) => {
      const fw = buildFirmware({ board, modelName: "tiny", modelSources: withSpin(n), mode: "count", workDir: join(root, `spin-${n}`) });
      return (await runFirmware({ board, elfPath: fw.elfPath, vectors: [new Int8Array(16)], timeoutMs: 60_000 })).vectors[0]!;
    };
    const [short, long] = await Promise.all([run(2_000_000), run(6_000_000)]);
    expect(short.ticks!).toBeLessThan(2 ** 24);
    expect(long.ticks!).toBeGreaterThan(2 ** 24);
    // the wrap's SysTick exception itself costs a few instructions
    expect(Math.abs(long.instructions! - short.instructions! - 8_000_000)).toBeLessThan(30);
  });

  it("a firmware that faults or runs too long is reported, not hung on", async () => {
    const faulty = { h: tiny.h, c: tiny.c.replace("int32_t i;", "int32_t i;\n    __asm__ volatile (\"udf #0\");") };
    const fw = buildFirmware({ board: microbit, modelName: "tiny", modelSources: faulty, mode: "trace", workDir: join(root, "faulty") });
    await expect(runFirmware({ board: microbit, elfPath: fw.elfPath, vectors: [new Int8Array(16)] })).rejects.toThrow(/CPU fault/);

    const hang = { h: tiny.h, c: tiny.c.replace("int32_t i;", "int32_t i;\n    for (;;) {\n        __asm__ volatile (\"nop\");\n    }") };
    const fw2 = buildFirmware({ board: microbit, modelName: "tiny", modelSources: hang, mode: "trace", workDir: join(root, "hang") });
    const t0 = Date.now();
    await expect(runFirmware({ board: microbit, elfPath: fw2.elfPath, vectors: [new Int8Array(16)], timeoutMs: 1500 })).rejects.toThrow(EmulatorError);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("a firmware too big for the board's flash fails to link naming FLASH", () => {
    const big = { h: tiny.h, c: tiny.c.replace("static int8_t sat8", "const volatile int8_t tiny_big_table[300000] = { 1 };\nstatic int8_t sat8").replace("int32_t i;", "int32_t i = tiny_big_table[in[0] + 128];") };
    expect(() => buildFirmware({ board: microbit, modelName: "tiny", modelSources: big, mode: "count", workDir: join(root, "big-flash") })).toThrow(
      /does not fit bbc-microbit-v1: FLASH \(262144 bytes\) overflowed by \d+ bytes/,
    );
  });

  it("a missing tool is reported with the install command", () => {
    expect(() => requireTool("arm-none-eabi-gcc-that-is-not-installed")).toThrow(ToolMissingError);
    expect(() => requireTool("arm-none-eabi-gcc-that-is-not-installed")).toThrow(/apt-get install --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm/);
  });

  it("refuses vectors of the wrong size", async () => {
    const fw = buildFirmware({ board: microbit, modelName: "tiny", modelSources: tiny, mode: "trace", workDir: join(root, "size") });
    await expect(runFirmware({ board: microbit, elfPath: fw.elfPath, vectors: [new Int8Array(15)] })).rejects.toThrow(/vector 0 has 15 values; the model takes 16/);
  });
});
