/**
 * strongnet's kernels against CMSIS-NN, shape by shape and core by core, in strongnet's own QEMU
 * test firmware. Writes bench/results/kernels.{md,json,svg}.
 *
 *   npx tsx bench/kernels.ts [--cmsis-nn DIR] [--boards b1,b2,...] [--vectors N] [--only TEXT] [--json] [--keep]
 *
 * Every shape is a strongnet model (JSON in memory; --keep leaves them in the work directory).
 * strongnet's side: generateC + buildFirmware("count") + runFirmware, exactly what `strongnet
 * verify` builds and runs (same startup code, linker script, board flags, -O2, SysTick counting
 * under QEMU -icount); its output is checked against the reference interpreter. CMSIS-NN's side:
 * bench/cmsis-nn/harness.c with the same model's parameters (bench/kernels-lib.ts translates
 * them), linked with CMSIS-NN objects compiled by the same gcc command, into the same firmware;
 * its output must equal strongnet's byte for byte on the same random vectors.
 * See bench/README.md.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateC, toTarget } from "../src/codegen/index.js";
import { BASE_CFLAGS, buildFirmware, FirmwareTooLargeError, getBoard, loadBoards, runFirmware, type Board, type FirmwareBuild } from "../src/firmware/index.js";
import { parseModel } from "../src/format/load.js";
import type { ModelFileInput } from "../src/format/schema.js";
import { importModel } from "../src/import/index.js";
import { buildGraph, type Graph } from "../src/ir/index.js";
import { checkFit } from "../src/plan/fit.js";
import { predict } from "../src/reference/interpreter.js";
import { disassemble, parseLinkerMap, reachable, readSymbols } from "../src/report/elf.js";
import {
  cmsisModel,
  cmsisModelHeader,
  cmsisParamsHeader,
  convModel,
  firstDifference,
  judge,
  layerModel,
  randomInt8,
  renderMarkdown,
  renderSvg,
  rng,
  steadyInstructions,
  type Cell,
  type KernelsReport,
  type ShapeResult,
  type Side,
} from "./kernels-lib.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench", "results");
const HARNESS = join(ROOT, "bench", "cmsis-nn", "harness.c");

// ---------------------------------------------------------------- options

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

if (flag("help") || flag("h")) {
  process.stdout.write(
    "usage: npx tsx bench/kernels.ts [--cmsis-nn DIR] [--boards b1,b2] [--vectors N] [--only TEXT] [--json] [--keep]\n" +
      "  --cmsis-nn DIR  CMSIS-NN checkout (Include/, Source/); default ../shared/vendor/CMSIS-NN from the repo root\n" +
      "  --boards LIST   boards to run (default: bbc-microbit-v1, nucleo-f411re, nucleo-f767zi and the first M33 and M55 board in boards/)\n" +
      "  --vectors N     random vectors per layer shape, the first a warm-up (default 3; whole models use 2)\n" +
      "  --only TEXT     only shapes whose id contains TEXT\n" +
      "  --json          print the JSON report on stdout (the files are written either way)\n" +
      "  --keep          keep the work directory (models, sources, ELFs)\n",
  );
  process.exit(0);
}

/** ../shared/vendor/CMSIS-NN from the repo root; in a git worktree, from the main checkout's root too. */
function defaultCmsisDir(): string {
  const own = join(ROOT, "..", "shared", "vendor", "CMSIS-NN");
  if (existsSync(own)) return own;
  const r = spawnSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { cwd: ROOT, encoding: "utf8" });
  const main = r.status === 0 ? join(dirname(r.stdout.trim()), "..", "shared", "vendor", "CMSIS-NN") : own;
  return existsSync(main) ? main : own;
}
const cmsisDir = resolve(arg("cmsis-nn") ?? defaultCmsisDir());
if (!existsSync(join(cmsisDir, "Include", "arm_nnfunctions.h")) || !existsSync(join(cmsisDir, "Source"))) {
  process.stderr.write(
    `error: no CMSIS-NN at ${cmsisDir} (expected Include/arm_nnfunctions.h and Source/).\n` +
      "Pass --cmsis-nn DIR with a checkout of https://github.com/ARM-software/CMSIS-NN (the bench was written against 99f736a63036).\n",
  );
  process.exit(2);
}
const layerVectors = Math.max(2, Number(arg("vectors") ?? 3));
const modelVectors = 2;
const only = arg("only");
const json = flag("json");
const keep = flag("keep");

// ---------------------------------------------------------------- boards

const DEFAULT_BOARDS = ["bbc-microbit-v1", "nucleo-f411re", "nucleo-f767zi"];
const EXTRA_CORES = ["cortex-m33", "cortex-m55"] as const;
const skippedCores: string[] = [];
let boards: Board[];
if (arg("boards")) {
  boards = arg("boards")!.split(",").map((b) => getBoard(b.trim()));
} else {
  boards = DEFAULT_BOARDS.map((b) => getBoard(b));
  const all = loadBoards();
  for (const core of EXTRA_CORES) {
    const b = all.find((x) => x.core === core);
    if (b) boards.push(b);
    else {
      skippedCores.push(core);
      process.stderr.write(`note: no board with core ${core} in boards/; its column is skipped\n`);
    }
  }
}

// ---------------------------------------------------------------- shapes

interface Shape {
  id: string;
  title: string;
  kind: string;
  model: ModelFileInput;
  /** CMSIS-NN runs the same model */
  cmsis: boolean;
  vectors: number;
  /** fixed reference instruction counts by core (TFLM + CMSIS-NN, from the issue) */
  reference?: Record<string, number>;
  note?: string;
}

const fixture = (f: string) => join(ROOT, "test", "fixtures", "tflite", f);
const kwsModel = importModel(fixture("tiny_kws_ref_model_int8.tflite"));
const kwsGraph = buildGraph(parseModel(kwsModel));
const modelJson = (p: string) => JSON.parse(readFileSync(join(ROOT, p), "utf8")) as ModelFileInput;

const shapes: Shape[] = [
  {
    id: "dense",
    title: "dense 784-128-10 (mnist_dense)",
    kind: "dense",
    model: modelJson("models/mnist_dense.json"),
    cmsis: true,
    vectors: layerVectors,
    note: "whole model: 2 dense layers + argmax (plain C loop on the CMSIS-NN side)",
  },
  {
    id: "conv-s2",
    title: "conv 28x28x1->14x14x8 3x3/2",
    kind: "conv2d",
    model: convModel({ name: "bench_conv_s2", description: "bench: conv 3x3 stride 2 SAME, 28x28x1 -> 14x14x8, random int8, per-channel requant", input: [28, 28, 1], filters: 8, kernel: [3, 3], stride: [2, 2], seed: 11, relu: true }),
    cmsis: true,
    vectors: layerVectors,
  },
  {
    id: "conv-s1",
    title: "conv 14x14x8->14x14x16 3x3/1",
    kind: "conv2d",
    model: convModel({ name: "bench_conv_s1", description: "bench: conv 3x3 stride 1 SAME, 14x14x8 -> 14x14x16, random int8, per-channel requant", input: [14, 14, 8], filters: 16, kernel: [3, 3], stride: [1, 1], seed: 12 }),
    cmsis: true,
    vectors: layerVectors,
  },
  {
    id: "dw-kws",
    title: "depthwise 25x5x64 3x3 (kws)",
    kind: "depthwise_conv2d",
    model: layerModel(kwsModel, kwsGraph, "depthwise_conv_2d_1", "bench_dw_kws", "bench: tiny_kws depthwise_conv_2d_1 (TFLite double rounding)"),
    cmsis: true,
    vectors: layerVectors,
    note: "kws parameters, double rounding",
  },
  {
    id: "pw-kws",
    title: "pointwise 25x5x64->64 1x1 (kws)",
    kind: "conv2d",
    model: layerModel(kwsModel, kwsGraph, "conv_2d_2", "bench_pw_kws", "bench: tiny_kws conv_2d_2 1x1 (TFLite double rounding)"),
    cmsis: true,
    vectors: layerVectors,
    note: "kws parameters, double rounding",
  },
  {
    id: "avgpool-kws",
    title: "avgpool 25x5x64->1x1x64 (kws)",
    kind: "avgpool",
    model: layerModel(kwsModel, kwsGraph, "average_pool_2d_9", "bench_avgpool_kws", "bench: tiny_kws average_pool_2d_9"),
    cmsis: true,
    vectors: layerVectors,
  },
  {
    id: "model-mnist_strong",
    title: "model mnist_strong",
    kind: "model",
    model: modelJson("models/mnist_strong.json"),
    cmsis: false,
    vectors: modelVectors,
    note: "strong neurons: no CMSIS-NN equivalent",
  },
  ...(
    [
      ["hello_world_int8", 3565],
      ["micro_speech_quantized", 1496218],
      ["tiny_kws_ref_model_int8", 7701755],
      ["person_detect", 22933416],
    ] as const
  ).map(([name, m4]) => ({
    id: `model-${name}`,
    title: `model ${name}`,
    kind: "model",
    model: { ...(importModel(fixture(`${name}.tflite`)) as ModelFileInput) },
    cmsis: false,
    vectors: modelVectors,
    reference: { "cortex-m4": m4 },
    note: "reference: TFLM + CMSIS-NN in strongnet's harness (issue figure, M4 only)",
  })),
].filter((s) => !only || s.id.includes(only));

// ---------------------------------------------------------------- progress

const tty = process.stderr.isTTY;
let lastLen = 0;
function progress(text: string): void {
  if (tty) {
    const line = text.slice(0, (process.stderr.columns || 120) - 1);
    process.stderr.write(`\r${line}${" ".repeat(Math.max(0, lastLen - line.length))}`);
    lastLen = line.length;
  } else process.stderr.write(text + "\n");
}
function progressDone(): void {
  if (tty && lastLen) process.stderr.write("\n");
  lastLen = 0;
}

// ---------------------------------------------------------------- CMSIS-NN library objects

/** The s8 kernels and their support files (no float, int16, int4, LSTM, SVDF, transpose). */
function cmsisSources(): string[] {
  const dirs = ["ConvolutionFunctions", "FullyConnectedFunctions", "PoolingFunctions", "NNSupportFunctions", "TransposeFunctions"];
  const out: string[] = [];
  for (const d of dirs) {
    const dir = join(cmsisDir, "Source", d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith(".c")) continue;
      const wanted = /s8/.test(f) || f === "arm_nntables.c" || f === "arm_q7_to_q15_with_offset.c";
      const unwanted = /f16|f32|_s4|s4_|lstm|svdf|transpose_conv|batch_matmul|s8_s64/.test(f) || (/_s16\.c$/.test(f) && !/s8_s16\.c$/.test(f));
      if (wanted && !unwanted) out.push(join(dir, f));
    }
  }
  return out;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => res({ code: -1, stderr: String(e) }));
    child.on("close", (code) => res({ code: code ?? -1, stderr }));
  });
}

const libCache = new Map<string, Promise<string[]>>();
const cmsisFlags = (rounding: string) => ["-I", join(cmsisDir, "Include"), ...(rounding === "double" ? [] : ["-DCMSIS_NN_USE_SINGLE_ROUNDING"])];

/** CMSIS-NN objects for a board and rounding mode, compiled with the firmware's own gcc flags. */
function cmsisObjects(board: Board, rounding: string, work: string): Promise<string[]> {
  const key = `${board.name}-${rounding}`;
  let p = libCache.get(key);
  if (!p) {
    p = (async () => {
      const dir = join(work, "cmsis-nn-obj", key);
      mkdirSync(dir, { recursive: true });
      const sources = cmsisSources();
      const objects: string[] = [];
      const failed: string[] = [];
      let done = 0;
      const queue = [...sources];
      const worker = async () => {
        for (let src = queue.shift(); src; src = queue.shift()) {
          const obj = join(dir, basename(src).replace(/\.c$/, ".o"));
          const r = await run("arm-none-eabi-gcc", [...board.cflags, ...BASE_CFLAGS, ...cmsisFlags(rounding), "-c", src, "-o", obj], dir);
          if (r.code === 0) objects.push(obj);
          else failed.push(`${basename(src)}: ${r.stderr.split("\n")[0]}`);
          progress(`  CMSIS-NN for ${board.name} (${rounding} rounding): ${++done}/${sources.length} files`);
        }
      };
      await Promise.all([worker(), worker()]);
      if (failed.length) process.stderr.write(`\nnote: ${failed.length} CMSIS-NN files did not compile for ${board.name}: ${failed.join("; ")}\n`);
      return objects.sort();
    })();
    libCache.set(key, p);
  }
  return p;
}

// ---------------------------------------------------------------- measuring

/** Code reachable from `<model>_predict` and the constant data of the objects that code lives in. */
function flashOf(build: FirmwareBuild): Side["flash"] {
  const predict = `${build.modelName}_predict`;
  const map = parseLinkerMap(readFileSync(build.elfPath.replace(/\.elf$/, ".map"), "utf8"));
  const symbols = readSymbols(build.elfPath);
  const funcs = disassemble(build.elfPath, symbols);
  const used = reachable(funcs, predict);
  let code = 0;
  const objects = new Set<string>();
  for (const name of used) {
    const f = funcs.get(name)!;
    code += f.size;
    const sec = map.sections.find((s) => s.name.startsWith(".text") && f.address >= s.address && f.address < s.address + s.size);
    if (sec) objects.add(sec.object);
  }
  let data = 0;
  for (const s of map.sections) {
    if (s.size > 0 && objects.has(s.object) && (s.name.startsWith(".rodata") || s.name.startsWith(".data"))) data += s.size;
  }
  return { code, data };
}

interface SideRun {
  side: Side;
  outputs: Int8Array[];
}

async function runSide(board: Board, build: FirmwareBuild, vectors: Int8Array[], timeoutMs: number): Promise<SideRun> {
  const r = await runFirmware({ board, elfPath: build.elfPath, vectors, timeoutMs });
  const instructions = steadyInstructions(r.vectors.map((v) => v.instructions ?? Number.NaN));
  return { side: { instructions, flash: flashOf(build) }, outputs: r.vectors.map((v) => v.output) };
}

/** One line for the table: "does not fit", or the error's first line and the compiler's first error line. */
function errText(e: unknown): string {
  if (e instanceof FirmwareTooLargeError) return `does not fit ${e.board}`;
  const first = (e as Error).message.split("\n")[0]!.trim();
  const stderr = (e as { stderr?: string }).stderr ?? "";
  const detail = stderr.split("\n").find((l) => /error|undefined reference/.test(l))?.trim();
  return (detail ? `${first} ${detail}` : first).replace(/\|/g, "/").slice(0, 240);
}

async function measure(shape: Shape, graph: Graph, board: Board, work: string, step: string): Promise<Cell> {
  const cell: Cell = { board: board.name, core: board.core };
  const next = rng(0x5eed ^ shape.id.length * 7919);
  const inputSize = graph.inputShape[0] * graph.inputShape[1] * graph.inputShape[2];
  const vectors = Array.from({ length: shape.vectors }, () => randomInt8(inputSize, next));
  const dir = join(work, board.name, shape.id);
  const notes: string[] = [];
  const timeoutMs = 60_000 + 60_000 * shape.vectors;

  // strongnet
  let snOutputs: Int8Array[] | undefined;
  try {
    progress(`${step} ${shape.id} on ${board.name}: strongnet build`);
    const gen = generateC(graph, toTarget(board));
    const problems = checkFit(gen.plan, board);
    if (problems.length) throw new Error(`does not fit ${board.name} (${problems.map((p) => p.resource).join(", ")})`);
    const build = buildFirmware({ board, modelName: graph.name, modelSources: { c: gen.source, h: gen.header }, mode: "count", workDir: join(dir, "strongnet") });
    progress(`${step} ${shape.id} on ${board.name}: strongnet run`);
    const r = await runSide(board, build, vectors, timeoutMs);
    cell.strongnet = r.side;
    snOutputs = r.outputs;
    const bad = vectors.findIndex((v, i) => firstDifference(predict(graph, v), r.outputs[i]!) >= 0);
    cell.agree = bad < 0;
    if (bad >= 0) notes.push(`strongnet differs from the reference interpreter on vector ${bad}`);
  } catch (e) {
    notes.push(`strongnet: ${errText(e)}`);
  }

  // CMSIS-NN
  if (shape.cmsis) {
    try {
      const m = cmsisModel(graph);
      const objects = await cmsisObjects(board, m.rounding, work);
      progress(`${step} ${shape.id} on ${board.name}: CMSIS-NN build (${m.rounding} rounding)`);
      const cdir = join(dir, "cmsis-nn");
      mkdirSync(cdir, { recursive: true });
      writeFileSync(join(cdir, "cmsisnn_params.h"), cmsisParamsHeader(m, `${graph.name} (${shape.title})`));
      const build = buildFirmware({
        board,
        modelName: "cmsisnn",
        modelSources: { c: readFileSync(HARNESS, "utf8"), h: cmsisModelHeader("cmsisnn", m) },
        mode: "count",
        workDir: cdir,
        extraCflags: [...cmsisFlags(m.rounding), ...objects],
      });
      progress(`${step} ${shape.id} on ${board.name}: CMSIS-NN run`);
      const r = await runSide(board, build, vectors, timeoutMs);
      cell.reference = { ...r.side, source: "cmsis-nn" };
      if (snOutputs) {
        const bad = vectors.findIndex((_, i) => firstDifference(snOutputs![i]!, r.outputs[i]!) >= 0);
        if (bad >= 0) {
          cell.agree = false;
          const at = firstDifference(snOutputs[bad]!, r.outputs[bad]!);
          notes.push(`CMSIS-NN differs from strongnet: vector ${bad} byte ${at} (${snOutputs[bad]![at]} vs ${r.outputs[bad]![at]})`);
        }
      }
    } catch (e) {
      notes.push(`CMSIS-NN: ${errText(e)}`);
    }
  } else if (shape.reference?.[board.core] !== undefined) {
    cell.reference = { instructions: shape.reference[board.core]!, flash: { code: 0, data: 0 }, source: "tflm+cmsis-nn (issue)" };
  }
  if (shape.cmsis || cell.reference) {
    if (shape.note && (cell.strongnet || cell.reference)) notes.unshift(shape.note);
  } else notes.unshift(shape.reference ? `no reference count for ${board.core} (the issue's TFLM figures are M4 only)` : (shape.note ?? "CMSIS-NN n/a"));
  if (notes.length) cell.note = notes.join("; ");
  return judge(cell);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "strongnet-bench-kernels-"));
  const started = Date.now();
  try {
    const results: ShapeResult[] = [];
    const total = shapes.length * boards.length;
    let n = 0;
    for (const shape of shapes) {
      const graph = buildGraph(parseModel(shape.model));
      if (keep) {
        mkdirSync(join(work, "models"), { recursive: true });
        writeFileSync(join(work, "models", `${graph.name}.json`), JSON.stringify(shape.model, null, 1) + "\n");
      }
      const cells: Cell[] = [];
      for (const board of boards) {
        n++;
        const step = `[${n}/${total}]`;
        cells.push(await measure(shape, graph, board, work, step));
        const c = cells[cells.length - 1]!;
        progress(
          `${step} ${shape.id} on ${board.name}: strongnet ${c.strongnet?.instructions ?? "n/a"}, reference ${c.reference?.instructions ?? "n/a"}` +
            (c.ratio !== undefined ? `, ratio ${c.ratio.toFixed(2)} ${c.met ? "met" : "NOT met"}` : ""),
        );
        progressDone();
      }
      results.push({ id: shape.id, title: shape.title, kind: shape.kind, cells });
    }
    const report: KernelsReport = {
      date: new Date().toISOString().slice(0, 10),
      cmsisNn: cmsisVersion(),
      vectors: layerVectors,
      boards: boards.map((b) => ({ name: b.name, core: b.core })),
      skippedCores,
      shapes: results,
    };
    const md = renderMarkdown(report);
    // a partial run (--only, --boards) prints its rows but leaves the committed full results alone
    const partial = only !== undefined || arg("boards") !== undefined;
    if (!partial) {
      mkdirSync(OUT, { recursive: true });
      writeFileSync(join(OUT, "kernels.md"), md);
      writeFileSync(join(OUT, "kernels.json"), JSON.stringify(report, null, 2) + "\n");
      writeFileSync(join(OUT, "kernels.svg"), renderSvg(report));
    }
    const wrote = partial ? "partial run: results not written" : "wrote bench/results/kernels.{md,json,svg}";
    process.stderr.write(`done in ${Math.round((Date.now() - started) / 1000)} s; ${wrote}${keep ? `; work directory ${work}` : ""}\n`);
    process.stdout.write(json ? JSON.stringify(report, null, 2) + "\n" : md);
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}

/** "CMSIS-NN @ <commit>" from the vendor README when it names one, else the directory. */
function cmsisVersion(): string {
  const readme = join(cmsisDir, "..", "README.md");
  const m = existsSync(readme) ? /CMSIS-NN @ ([0-9a-f]{7,40})/.exec(readFileSync(readme, "utf8")) : null;
  return m ? `ARM-software/CMSIS-NN @ ${m[1]}` : cmsisDir;
}

main().catch((e) => {
  progressDone();
  process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(3);
});
