/**
 * The library API (`import { loadModel, compile, verify, report } from "strongnet"`), documented
 * in docs/api.md. Each function does what the command of the same name does, takes plain
 * options instead of flags, and returns the figures the command prints (as its --json would)
 * instead of printing them. Errors are the same classes the CLI maps to exit codes:
 * ModelError and BoardError (bad input), BudgetError (does not fit), EnvironmentError
 * subclasses (toolchain, build, QEMU).
 */
import { generateC, toTarget, writeGenerated, type ArenaMode } from "./codegen/index.js";
import { getBoard, loadBoards, type Board } from "./firmware/boards.js";
import type { OptLevel } from "./firmware/build.js";
import { ToolMissingError } from "./firmware/tools.js";
import { parseModel } from "./format/load.js";
import type { ModelFileInput } from "./format/schema.js";
import { convertTflite, type ConvertOptions } from "./import/tflite/convert.js";
import { readTflite, readTfliteFile } from "./import/tflite/read.js";
import { convertOnnx, importOnnxFile, readOnnx, type OnnxImportOptions } from "./import/onnx/index.js";
import { buildGraph, loadGraph, shapeSize, type Graph } from "./ir/index.js";
import { withOutputs, type OutputForm } from "./ir/outputs.js";
import { outputIsClass } from "./kinds/argmax.js";
import { BudgetError, checkFit } from "./plan/fit.js";
import { totalOps, type OpCounts } from "./plan/plan.js";
import type { BudgetLimits } from "./report/budget.js";
import { createReport, type ReportOptions } from "./report/report.js";
import type { Report } from "./report/schema.js";
import { predictStackBound } from "./report/stack-bound.js";
import { verifyModel, type ProgressEvent, type VerifyReport } from "./verify/verify.js";

/** A model: a file path (.json strongnet model or .tflite), a model object (as in a .json file), or a loaded Graph. */
export type ModelSource = string | ModelFileInput | Graph;

/** A board: a catalogue name ("nucleo-f411re"), a path to a board JSON file, or a Board object. */
export type BoardRef = string | Board;

export interface LoadModelOptions {
  /** what predict returns: "class" (needs a final argmax) or "scores" (the final argmax dropped) */
  outputs?: OutputForm;
}

const isGraph = (m: unknown): m is Graph => typeof m === "object" && m !== null && "layers" in m && "hash" in m && "outputShape" in m;

/**
 * Reads, validates and builds the int8 graph of a model. A path ending in .tflite is imported
 * (TFLite default rounding; use importTflite for options). Throws ModelError naming the field.
 */
export function loadModel(model: ModelSource, opts: LoadModelOptions = {}): Graph {
  const graph = typeof model === "string" ? loadGraph(model) : isGraph(model) ? model : buildGraph(parseModel(model));
  return withOutputs(graph, opts.outputs);
}

/** A board by name (the catalogue: bundled, ./boards/, configureBoards), by file path, or as given. */
export function resolveBoard(board: BoardRef): Board {
  return typeof board === "string" ? getBoard(board) : board;
}

/**
 * Imports a TFLite flatbuffer (a path or its bytes) into a strongnet model object, which
 * loadModel, compile, verify and report accept, and saveModel writes as a .json model file.
 */
export function importTflite(tflite: string | Uint8Array, opts: ConvertOptions = {}): ModelFileInput {
  const graph = typeof tflite === "string" ? readTfliteFile(tflite) : readTflite(tflite, opts.name ?? "model.tflite");
  return convertTflite(graph, opts);
}

/**
 * Converts an ONNX model (`.onnx` path or its bytes) into a strongnet model object: QDQ and QLinear
 * models keep their scales; float models need `calibrate` (a data set SPEC) and are quantized with
 * its training samples. Throws ModelError listing what cannot be imported.
 */
export function importOnnx(onnx: string | Uint8Array, opts: OnnxImportOptions = {}): ModelFileInput {
  return typeof onnx === "string" ? importOnnxFile(onnx, opts) : convertOnnx(readOnnx(onnx, opts.name ? `${opts.name}.onnx` : "model.onnx"), opts);
}

export interface CompileOptions extends LoadModelOptions {
  /** size the model against this board (refused with BudgetError when it does not fit) and name it in the header */
  board?: BoardRef;
  /** also write <outDir>/<name>.c and <name>.h */
  outDir?: string;
  /**
   * with a board: build once with arm-none-eabi-gcc -fstack-usage to state predict's stack bound
   * in the header (default true; skipped, with stackBytes null, when the toolchain is missing)
   */
  stackBound?: boolean;
  /**
   * "static" (default): one static arena in <name>.c, `<name>_predict(in, out)`, not reentrant.
   * "external": `<name>_predict(in, out, arena)` with the caller's arena of <NAME>_ARENA_BYTES
   * bytes aligned to <NAME>_ARENA_ALIGN; no static mutable state, reentrant.
   */
  arena?: ArenaMode;
}

export interface CompileResult {
  name: string;
  sha256: string;
  board: string | null;
  /** the contents of <name>.c and <name>.h */
  source: string;
  header: string;
  /** the files written, when outDir was given */
  files: { source: string; header: string } | null;
  constBytes: number;
  tableBytes: number;
  tables: number;
  /** bytes the liveness plan uses */
  arenaBytes: number;
  /** where the arena is; for "external", the bytes and alignment the caller provides (the header's macros) */
  arena: { mode: ArenaMode; bytes: number; align: number };
  ops: OpCounts & { total: number };
  layers: number;
  /** bound of <name>_predict's stack on the board, bytes; null without a board or toolchain */
  stackBytes: number | null;
  /** true when the bound is complete (no frame of unknown size on any path) */
  stackComplete: boolean | null;
  /** why the header states no stack bound although a board was given (the toolchain is missing) */
  stackNote: string | null;
  outputs: { size: number; isClass: boolean };
}

/** Generates the C99 of a model (what `strongnet compile` writes). */
export function compile(model: ModelSource, opts: CompileOptions = {}): CompileResult {
  const graph = loadModel(model, opts);
  const board = opts.board === undefined ? undefined : resolveBoard(opts.board);
  const arena = opts.arena ?? "static";
  let generated = generateC(graph, board && toTarget(board), {}, { arena });
  let stack: { bytes: number; complete: boolean } | null = null;
  let stackNote: string | null = null;
  if (board) {
    const problems = checkFit(generated.plan, board);
    if (problems.length) throw new BudgetError(problems);
    if (opts.stackBound !== false) {
      try {
        stack = predictStackBound(board, graph.name, { c: generated.source, h: generated.header });
      } catch (err) {
        if (!(err instanceof ToolMissingError)) throw err;
        stackNote = `the header states no stack bound: ${err.message}`;
      }
      if (stack) generated = generateC(graph, toTarget(board), { stack }, { arena });
    }
  }
  const files = opts.outDir === undefined ? null : writeGenerated(opts.outDir.replace("<name>", graph.name), graph.name, generated);
  const { plan } = generated;
  return {
    name: graph.name,
    sha256: graph.hash,
    board: board?.name ?? null,
    source: generated.source,
    header: generated.header,
    files,
    constBytes: plan.constBytes,
    tableBytes: plan.tableBytes,
    tables: plan.tables.unique.length,
    arenaBytes: plan.arenaBytes,
    arena: generated.arena,
    ops: { ...plan.totals, total: totalOps(plan.totals) },
    layers: graph.layers.length,
    stackBytes: stack?.bytes ?? null,
    stackComplete: stack?.complete ?? null,
    stackNote,
    outputs: { size: shapeSize(graph.outputShape), isClass: outputIsClass(graph) },
  };
}

export interface VerifyApiOptions extends LoadModelOptions {
  /** default: nucleo-f411re */
  board?: BoardRef;
  /** input vectors (default 100): ~90% data set test images, then edge and random int8 vectors */
  vectors?: number;
  /** data set SPEC of labelled test images (docs/datasets.md: "mnist", "fashion-mnist", IDX, .npy/.npz, CSV, image folders); null: none; default: the model's metadata */
  dataset?: string | null;
  /** a data set SPEC whose samples are fed instead (labels optional) */
  inputs?: string;
  /** seed of the random vectors (default 1) */
  seed?: number;
  /** how many of the vectors are data set images (default ~90%) */
  datasetCount?: number;
  /** verify these C sources (e.g. committed output of compile) instead of generating them */
  sources?: { c: string; h: string };
  /** build the firmware here and keep it (default: a temp folder, removed) */
  workDir?: string;
  /** optimisation level of the firmware images (default -O2) */
  opt?: OptLevel;
  /** verify the code of this arena mode (as compile's; default "static") */
  arena?: ArenaMode;
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * Builds the test firmware for a board, runs it in qemu-system-arm and compares every output
 * byte (and every layer's hash) with the reference interpreter. Resolves to the report whether
 * or not it passed (check `passed`); rejects with BudgetError when the model does not fit the board.
 */
export async function verify(model: ModelSource, opts: VerifyApiOptions = {}): Promise<VerifyReport> {
  return verifyModel({
    graph: loadModel(model, opts),
    board: resolveBoard(opts.board ?? "nucleo-f411re"),
    sources: opts.sources,
    count: opts.vectors ?? 100,
    datasetCount: opts.datasetCount,
    dataset: opts.dataset,
    inputs: opts.inputs,
    seed: opts.seed ?? 1,
    workDir: opts.workDir,
    opt: opts.opt,
    arena: opts.arena,
    onProgress: opts.onProgress,
  });
}

/**
 * The report's options (src/report/report.ts, ReportOptions) as the API takes them: a model
 * source instead of a Graph, board references instead of Board objects, and the budget as
 * plain limits. Everything else (vectors, dataset, inputs, seed, keepDir, opt, onProgress) is
 * the report module's own option, with its type and documentation.
 */
export interface ReportApiOptions extends LoadModelOptions, Omit<ReportOptions, "graph" | "board" | "boards" | "budget"> {
  /** the board reported in detail (default: nucleo-f411re) */
  board?: BoardRef;
  /** more boards for the fit chart, or "all" */
  boards?: BoardRef[] | "all";
  /** limits for the detailed board, and per board by name */
  budget?: BudgetLimits & { boards?: Record<string, BudgetLimits> };
}

/**
 * The budget report (what `strongnet report --json` prints, schema strongnet-report/1): flash,
 * RAM, stack, ops, instructions and estimated latency per layer, fit per board, budget verdicts.
 */
export async function report(model: ModelSource, opts: ReportApiOptions = {}): Promise<Report> {
  const { boards: perBoard = {}, ...primary } = opts.budget ?? {};
  const hasLimits = Object.keys(primary).length > 0 || Object.keys(perBoard).length > 0;
  return createReport({
    graph: loadModel(model, opts),
    board: resolveBoard(opts.board ?? "nucleo-f411re"),
    boards: opts.boards === "all" ? loadBoards() : opts.boards?.map(resolveBoard),
    budget: { source: hasLimits ? "api" : null, primary, boards: perBoard },
    vectors: opts.vectors ?? 10,
    dataset: opts.dataset,
    inputs: opts.inputs,
    seed: opts.seed ?? 1,
    keepDir: opts.keepDir,
    opt: opts.opt,
    arena: opts.arena,
    onProgress: opts.onProgress,
  });
}
