/**
 * Firmware verification: the generated C, built for a board with arm-none-eabi-gcc and run in
 * qemu-system-arm, must produce exactly the bytes the TypeScript reference produces.
 *
 * Two images are built from the same generated sources:
 *  - "count": the model as it ships, SysTick around predict. Its outputs are compared byte for
 *    byte and it gives the instruction count per inference.
 *  - "trace": the same code with -DSTRONGNET_TRACE, which reports an FNV-1a hash of every
 *    layer's output. Comparing hashes with the reference finds the first layer that differs;
 *    a second run dumps that layer's bytes for the failing vector, which gives the index,
 *    the expected and the received value.
 * A model that does not fit the board (plan constants vs flash, arena vs RAM) is refused
 * before anything is built.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { predictedClass } from "../kinds/argmax.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateC, toTarget, type ArenaMode } from "../codegen/index.js";
import { buildFirmware, compilerVersion, firmwareCflags, fnv1a32, predictTakesArena, runFirmware, type Board, type FirmwareBuild, type FirmwareRun, type OptLevel, type VectorResult } from "../firmware/index.js";
import type { Graph } from "../ir/index.js";
import { BudgetError, checkFit } from "../plan/fit.js";
import { totalOps, type OpCounts } from "../plan/plan.js";
import { runTrace } from "../reference/interpreter.js";
import { testVectors, type TestVector, type VectorOptions } from "./vectors.js";

export interface VerifyOptions extends VectorOptions {
  graph: Graph;
  board: Board;
  /**
   * C sources to verify instead of generating them, e.g. generated files committed to a firmware
   * repository: CI then proves the committed code still matches the model. The reference is
   * always `graph`.
   */
  sources?: { c: string; h: string };
  /** where the firmware is built; default: a fresh temp directory, removed afterwards */
  workDir?: string;
  /** vectors per QEMU boot; smaller batches give finer progress (default 50) */
  batchSize?: number;
  /** extra compiler flags for both images (e.g. -fstack-usage for `report`); the .su files land in workDir */
  extraCflags?: string[];
  /** optimisation level of both images (default -O2) */
  opt?: OptLevel;
  /** generate the code for this arena mode (default "static"; given sources say theirs) */
  arena?: ArenaMode;
  onProgress?: (event: ProgressEvent) => void;
}

export interface ProgressEvent {
  stage: "build" | "trace" | "count" | "locate";
  done: number;
  total: number;
}

export interface Mismatch {
  vector: number;
  /** what the vector was, e.g. "mnist test image 17" */
  source: string;
  /** the first layer (in execution order) whose output differs */
  layer: { index: number; id: string; kind: string };
  /** first differing byte of that layer's output (HWC order) */
  index: number;
  expected: number;
  got: number;
  /** which image showed it first: the shipping build ("count") or the traced build */
  image: "count" | "trace";
}

export interface VerifyReport {
  model: { name: string; sha256: string };
  /** "generated": strongnet generated the C for this run; "given": the caller's sources were verified */
  sources: "generated" | "given";
  board: { name: string; core: string; clockHz: number; qemuMachine: string; qemuCpu: string; flashBytes: number; ramBytes: number };
  vectors: { total: number; dataset: string | null; datasetNote?: string; datasetSamples: number; edge: number; random: number };
  passed: boolean;
  /** vectors whose output or any layer hash differs from the reference */
  mismatchedVectors: number;
  /** every vector's verdict, in run order (one CI check each, see `verify --junit`) */
  vectorResults: { source: string; passed: boolean }[];
  /** per layer (execution order): vectors whose traced output hash differs from the reference (or, for the output layer, whose output differs) */
  layers: { index: number; id: string; kind: string; mismatchedVectors: number }[];
  firstMismatch: Mismatch | null;
  /** instructions executed per inference (QEMU -icount, deterministic) */
  instructions: { min: number; mean: number; max: number; perVector: number[] };
  /** the shipping (count) image, measured from the ELF */
  image: { flashBytes: number; ramBytes: number; text: number; data: number; bss: number };
  plan: { constBytes: number; tableBytes: number; arenaBytes: number; ops: OpCounts & { total: number } };
  stack: { usedBytes: number; availableBytes: number };
  /** how the images were built: compiler and the flags the model's C got */
  build: {
    compiler: string;
    cflags: string[];
    /** where predict's arena was: "static" in the model's C, or "external" (the harness's, refilled with a pattern per vector) */
    arena: ArenaMode;
  };
  /** firmware predictions against data set labels (only data set samples count) */
  accuracy: { dataset: string; correct: number; total: number; value: number } | null;
}

export async function verifyModel(opts: VerifyOptions): Promise<VerifyReport> {
  const { graph, board } = opts;
  const generated = generateC(graph, toTarget(board), {}, { arena: opts.arena ?? "static" });
  const problems = checkFit(generated.plan, board);
  if (problems.length) throw new BudgetError(problems);

  const plan = testVectors(graph, opts);
  const expected = plan.vectors.map((v) => referenceLayers(graph, v.input));
  const ownDir = opts.workDir === undefined;
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), "strongnet-verify-"));
  const progress = opts.onProgress ?? (() => {});
  try {
    const sources = opts.sources ?? { c: generated.source, h: generated.header };
    progress({ stage: "build", done: 0, total: 2 });
    const extraCflags = opts.extraCflags;
    const { opt } = opts;
    const countBuild = buildFirmware({ board, modelName: graph.name, modelSources: sources, mode: "count", workDir, extraCflags, opt });
    progress({ stage: "build", done: 1, total: 2 });
    const traceBuild = buildFirmware({ board, modelName: graph.name, modelSources: sources, mode: "trace", workDir, extraCflags, opt });
    progress({ stage: "build", done: 2, total: 2 });

    const inputs = plan.vectors.map((v) => v.input);
    const batch = opts.batchSize ?? 50;
    const traced = await runBatches(board, traceBuild, inputs, batch, (done) => progress({ stage: "trace", done, total: inputs.length }));
    const counted = await runBatches(board, countBuild, inputs, batch, (done) => progress({ stage: "count", done, total: inputs.length }));

    // verdicts[vector][layer]: which image differs from the reference there, or null
    const verdicts = plan.vectors.map((_, i) => expected[i]!.map((e, l) => layerVerdict(e, l, expected[i]!.length, traced.vectors[i]!, counted.vectors[i]!)));
    const bad = verdicts.map(firstBadLayer);
    const firstBad = bad.findIndex((b) => b !== null);
    let firstMismatch: Mismatch | null = null;
    if (firstBad >= 0) {
      progress({ stage: "locate", done: 0, total: 1 });
      firstMismatch = await locate(graph, board, traceBuild, plan.vectors, firstBad, bad[firstBad]!, expected[firstBad]!, counted.vectors[firstBad]!.output);
      progress({ stage: "locate", done: 1, total: 1 });
    }

    const instructions = counted.vectors.map((r) => r.instructions ?? Number.NaN);
    return {
      model: { name: graph.name, sha256: graph.hash },
      sources: opts.sources ? "given" : "generated",
      board: {
        name: board.name,
        core: board.core,
        clockHz: board.clockHz,
        qemuMachine: board.qemu.machine,
        qemuCpu: board.qemu.cpu,
        flashBytes: board.flashBytes,
        ramBytes: board.ramBytes,
      },
      vectors: {
        total: plan.vectors.length,
        dataset: plan.dataset,
        ...(plan.datasetNote && !plan.dataset ? { datasetNote: plan.datasetNote } : {}),
        datasetSamples: plan.counts.dataset,
        edge: plan.counts.edge,
        random: plan.counts.random,
      },
      passed: firstBad < 0,
      mismatchedVectors: bad.filter((b) => b !== null).length,
      vectorResults: plan.vectors.map((v, i) => ({ source: v.source, passed: bad[i] === null })),
      layers: graph.layers.map((l, index) => ({
        index,
        id: l.id,
        kind: l.kind,
        mismatchedVectors: verdicts.filter((v) => v[index] !== null).length,
      })),
      firstMismatch,
      instructions: summarize(instructions),
      image: { ...countBuild.sizes },
      plan: {
        constBytes: generated.plan.constBytes,
        tableBytes: generated.plan.tableBytes,
        arenaBytes: generated.plan.arenaBytes,
        ops: { ...generated.plan.totals, total: totalOps(generated.plan.totals) },
      },
      stack: { usedBytes: counted.stackBytesUsed, availableBytes: counted.stackBytesAvailable },
      build: {
        compiler: compilerVersion(),
        cflags: [...firmwareCflags(board, opt), ...(extraCflags ?? [])],
        arena: predictTakesArena(sources.h, graph.name) ? "external" : "static",
      },
      accuracy: accuracyOf(plan.dataset, plan.vectors, counted.vectors.map((r) => r.output)),
    };
  } finally {
    if (ownDir) rmSync(workDir, { recursive: true, force: true });
  }
}

/** Every layer's reference output, in execution order (the order the firmware traces them). */
function referenceLayers(graph: Graph, input: Int8Array): Int8Array[] {
  const trace = runTrace(graph, input);
  return graph.layers.map((l) => trace.outputs.get(l.id)!);
}

interface BatchedRun {
  vectors: FirmwareRun["vectors"];
  stackBytesUsed: number;
  stackBytesAvailable: number;
}

/** Runs the vectors in QEMU boots of `batch` vectors each, so long runs can report progress. */
async function runBatches(board: Board, build: FirmwareBuild, inputs: Int8Array[], batch: number, onBatch: (done: number) => void): Promise<BatchedRun> {
  const out: BatchedRun = { vectors: [], stackBytesUsed: 0, stackBytesAvailable: 0 };
  onBatch(0);
  for (let start = 0; start < inputs.length; start += batch) {
    const chunk = inputs.slice(start, start + batch);
    const run = await runFirmware({ board, elfPath: build.elfPath, vectors: chunk, timeoutMs: 30_000 + 200 * chunk.length });
    out.vectors.push(...run.vectors);
    out.stackBytesUsed = Math.max(out.stackBytesUsed, run.stackBytesUsed);
    out.stackBytesAvailable = run.stackBytesAvailable;
    onBatch(Math.min(inputs.length, start + batch));
  }
  return out;
}

type Image = "count" | "trace";
type BadLayer = { layer: number; image: Image };

/**
 * Whether layer `l` of one vector differs from the reference: its traced hash or size ("trace"),
 * or, for the output layer, the traced image's output ("trace") or the shipping image's ("count").
 */
function layerVerdict(expected: Int8Array, l: number, layerCount: number, traced: VectorResult, counted: VectorResult): Image | null {
  if (traced.layerSizes?.[l] !== expected.length || traced.layerHashes?.[l] !== fnv1a32(expected)) return "trace";
  if (l !== layerCount - 1) return null;
  if (!sameBytes(expected, traced.output)) return "trace";
  if (!sameBytes(expected, counted.output)) return "count";
  return null;
}

/** The first layer (in execution order) that differs in one vector's verdicts. */
function firstBadLayer(verdicts: (Image | null)[]): BadLayer | null {
  const layer = verdicts.findIndex((v) => v !== null);
  return layer < 0 ? null : { layer, image: verdicts[layer]! };
}

async function locate(
  graph: Graph,
  board: Board,
  traceBuild: FirmwareBuild,
  vectors: TestVector[],
  v: number,
  bad: BadLayer,
  expected: Int8Array[],
  countedOutput: Int8Array,
): Promise<Mismatch> {
  const want = expected[bad.layer]!;
  let got: Int8Array;
  if (bad.image === "count") {
    got = countedOutput;
  } else {
    const run = await runFirmware({ board, elfPath: traceBuild.elfPath, vectors: [vectors[v]!.input], dump: { vector: 0, layer: bad.layer } });
    got = run.dump?.data ?? new Int8Array(0);
  }
  let index = 0;
  while (index < want.length && index < got.length && want[index] === got[index]) index++;
  const layer = graph.layers[bad.layer]!;
  return {
    vector: v,
    source: vectors[v]!.source,
    layer: { index: bad.layer, id: layer.id, kind: layer.kind },
    index,
    expected: index < want.length ? want[index]! : Number.NaN,
    got: index < got.length ? got[index]! : Number.NaN,
    image: bad.image,
  };
}

const sameBytes = (a: Int8Array, b: Int8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function summarize(values: number[]): VerifyReport["instructions"] {
  if (values.length === 0) return { min: 0, mean: 0, max: 0, perVector: [] };
  const sum = values.reduce((s, v) => s + v, 0);
  return { min: Math.min(...values), mean: Math.round(sum / values.length), max: Math.max(...values), perVector: values };
}

function accuracyOf(dataset: string | null, vectors: TestVector[], outputs: Int8Array[]): VerifyReport["accuracy"] {
  const labelled = vectors.map((v, i) => ({ label: v.label, output: outputs[i]! })).filter((x) => x.label !== undefined);
  if (!dataset || labelled.length === 0) return null;
  const correct = labelled.filter((x) => predictedClass(x.output) === x.label).length;
  return { dataset, correct, total: labelled.length, value: correct / labelled.length };
}
