/**
 * The C code generator: renders c-templates/*.ejs for a graph and its plan.
 *
 * Output is a pure function of (graph, target): no dates, no paths, no host details, so the same
 * model and options give byte-identical files.
 */
import ejs from "ejs";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { shapeSize, type Graph, type Layer } from "../ir/index.js";
import { outputIsClass } from "../kinds/argmax.js";
import { kindOf } from "../kinds/registry.js";
import type { ArenaAccess, BaseTemplateVars } from "../kinds/shared/kind-module.js";
import type { ConstArray } from "../plan/lowering.js";
import { lowerLayer, planGraph, totalOps, type Plan } from "../plan/plan.js";
import { formatMemorySize } from "../report/units.js";
import { ModelError } from "../format/errors.js";
import { STRONGNET_VERSION } from "../version.js";
import { arrayComment, cComment, formatCodes, isTableCodeArray, requantComment, wrapBannerLine } from "./comments.js";
import { runtimeFor, runtimeHeaders } from "./runtime.js";

export const TEMPLATE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "c-templates");

/** What the header comment says about the board the code was generated for. */
export interface CodegenTarget {
  name: string;
  core: string;
  clockHz: number;
  flashBytes: number;
  ramBytes: number;
}

/** The target a board names in the header comment (a Board has these fields and more). */
export function toTarget(board: CodegenTarget): CodegenTarget {
  return { name: board.name, core: board.core, clockHz: board.clockHz, flashBytes: board.flashBytes, ramBytes: board.ramBytes };
}

/**
 * Where the activation arena lives. "static" (the default): one static arena inside `<name>.c`,
 * `<name>_predict(in, out)`, not reentrant. "external": the caller passes it,
 * `<name>_predict(in, out, arena)`, and the generated code keeps no mutable state of its own, so
 * it is reentrant (one arena per concurrent call).
 */
export const ARENA_MODES = ["static", "external"] as const;
export type ArenaMode = (typeof ARENA_MODES)[number];

/**
 * The alignment an external arena needs, bytes: kernels read and write it as 32-bit words (the
 * static arena is a union with uint32_t words for the same reason).
 */
export const EXTERNAL_ARENA_ALIGN = 4;

/** Choices that change the generated code (unlike the target, which only names the board). */
export interface CodegenOptions {
  /** default "static" */
  arena?: ArenaMode;
}

export interface GeneratedModel {
  /** `<name>.c` */
  source: string;
  /** `<name>.h` */
  header: string;
  plan: Plan;
  /**
   * The arena as the header states it: for "external", the bytes (<NAME>_ARENA_BYTES, the plan's
   * rounded up to whole words) and alignment (<NAME>_ARENA_ALIGN) the caller provides; for
   * "static", the plan's bytes in the word-aligned static arena.
   */
  arena: { mode: ArenaMode; bytes: number; align: number };
}

/** Figures measured on a build of the model, for the header comment. */
export interface MeasuredFigures {
  /** static stack bound of `<name>_predict` on the target, bytes (complete: no dynamic frame on any path) */
  stack?: { bytes: number; complete: boolean };
}

export function generateC(graph: Graph, target?: CodegenTarget, measured: MeasuredFigures = {}, options: CodegenOptions = {}): GeneratedModel {
  const plan = planGraph(graph);
  const external = options.arena === "external";
  // views (reshape) run no code: they only name their input's bytes
  checkSymbols(graph, plan);
  const layers = graph.layers.flatMap((layer, index) => (plan.layers[index]!.isView ? [] : [renderLayer(layer, index, plan, external)]));
  const banner = renderBanner(graph, plan, target, measured, external);
  const NAME = graph.name.toUpperCase();
  const arenaWords = Math.ceil(plan.arenaBytes / 4);
  const common = {
    banner,
    name: graph.name,
    NAME,
    arenaBytes: plan.arenaBytes,
    // the external arena is the whole union the code sees it as (static: the plan's bytes)
    externalArena: external ? { bytes: arenaWords * 4, words: arenaWords, align: EXTERNAL_ARENA_ALIGN } : null,
    classNames: classNames(graph),
  };
  const header = render("model.h.ejs", {
    ...common,
    guard: `${NAME}_H`,
    inputShape: graph.inputShape,
    inputSize: shapeSize(graph.inputShape),
    outputShape: graph.outputShape,
    outputSize: shapeSize(graph.outputShape),
    outputIsClass: outputIsClass(graph),
    classCount: classCount(graph),
    inputQuantization: inputQuantization(graph),
    outputQuantization: outputQuantization(graph),
    floatLiteral,
    layerCount: graph.layers.length,
  });
  // the runtime helpers and macros the layers' code and arrays use, and only those
  const code = layers.map((l) => [l.code, ...l.arrays.map((a) => a.body)].join("\n")).join("\n");
  const runtime = runtimeFor(code);
  // a strong layer whose tables are identity and complement computes them without sn_tables
  const usesTables = /\bsn_tables\b/.test(`${layers.map((l) => l.code).join("\n")}\n${runtime}`.replace(/\/\*[\s\S]*?\*\//g, " "));
  const source = render("model.c.ejs", {
    ...common,
    tables: usesTables ? plan.tables.unique.map((t) => formatValues(t, 16, 4)) : [],
    runtime,
    headers: runtimeHeaders(code),
    layers,
    calls: graph.layers.map((layer, index) => ({
      index,
      fn: plan.layers[index]!.isView ? null : layerFunction(layer),
      input: bufferExpr(graph, plan, layer.input, external),
      other: layer.other === undefined ? null : bufferExpr(graph, plan, layer.other, external),
      output: bufferExpr(graph, plan, layer.id, external),
      // a layer with scratch gets the caller's arena (external mode only)
      arena: external && plan.layers[index]!.scratch !== undefined,
      size: shapeSize(layer.outputShape),
    })),
  });
  const arena = external ? { mode: "external" as const, bytes: arenaWords * 4, align: EXTERNAL_ARENA_ALIGN } : { mode: "static" as const, bytes: plan.arenaBytes, align: 4 };
  return { source, header, plan, arena };
}

const layerFunction = (layer: Layer) => `layer_${layer.id}`;

/**
 * Every C symbol of a model is defined once: a layer's function `layer_<id>` and another layer's
 * array `<id>_<role>` can spell the same name (ids "bias" and "layer": layer_bias), which the C
 * compiler would refuse.
 */
function checkSymbols(graph: Graph, plan: Plan): void {
  const owner = new Map<string, string>();
  const define = (symbol: string, what: string, path: string) => {
    const first = owner.get(symbol);
    if (first !== undefined) throw new ModelError(`${path}.id`, `the C symbol "${symbol}" would name both ${first} and ${what}; rename one of the layers`);
    owner.set(symbol, what);
  };
  graph.layers.forEach((layer, i) => {
    if (!plan.layers[i]!.isView) define(layerFunction(layer), `the function of layer "${layer.id}"`, layer.path);
    for (const a of lowerLayer(layer, plan.tables)) define(`${layer.id}_${a.role}`, `array "${a.role}" of layer "${layer.id}"`, layer.path);
  });
}

/** The rule of data sets of bytes (src/datasets): q = byte - 128, i.e. real = byte / 255. */
const BYTE_RULE: TensorQuantization = { scale: 1 / 255, zeroPoint: -128 };

/**
 * How the caller turns real inputs into int8: the scale and zero point the model records (an
 * importer's, or strongnet train's), else the byte rule. `bytes` says the rule is q = byte - 128.
 * Undefined for a model with several inputs (each has its own, in the metadata).
 */
function inputQuantization(graph: Graph): (TensorQuantization & { recorded: boolean; bytes: boolean }) | undefined {
  const recorded = tensorQuantization(graph.metadata?.inputQuantization);
  if (!recorded && graph.metadata?.inputs !== undefined) return undefined;
  const q = recorded ?? BYTE_RULE;
  const bytes = q.zeroPoint === BYTE_RULE.zeroPoint && Math.fround(q.scale) === Math.fround(BYTE_RULE.scale);
  return { ...q, recorded: recorded !== undefined, bytes };
}

/**
 * The real scale of the scores a model outputs (none for a class index): the output tensor's
 * quantization as an importer or the trainer recorded it; otherwise scale 1, zero point 0, with
 * `recorded` false (the header then says the scores only compare with each other).
 */
function outputQuantization(graph: Graph): (TensorQuantization & { recorded: boolean }) | undefined {
  if (outputIsClass(graph)) return undefined;
  const tensors = graph.metadata?.tensors as Record<string, unknown> | undefined;
  const recorded = tensorQuantization(tensors?.[graph.outputId]) ?? tensorQuantization(graph.metadata?.outputQuantization);
  return recorded ? { ...recorded, recorded: true } : { scale: 1, zeroPoint: 0, recorded: false };
}

/**
 * metadata.classNames as C string literals, one per class (the argmax's inputs, or the scores),
 * or undefined when the model has none. A list of the wrong length or type is refused.
 */
function classNames(graph: Graph): string[] | undefined {
  const names = graph.metadata?.classNames;
  if (names === undefined) return undefined;
  const classes = classCount(graph);
  if (!Array.isArray(names) || names.length !== classes || !names.every((n) => typeof n === "string")) {
    throw new ModelError("metadata.classNames", `must be a list of ${classes} strings, one per class`);
  }
  return names.map(cStringLiteral);
}

/** The number of classes: the values a final argmax compares, or the scores. */
function classCount(graph: Graph): number {
  return outputIsClass(graph) ? shapeSize(graph.layers.at(-1)!.inputShape) : shapeSize(graph.outputShape);
}

/** A C string literal for any text: quotes, backslashes, '?' (trigraphs) and non-ASCII escaped. */
function cStringLiteral(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let out = '"';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (ch === '"' || ch === "\\" || ch === "?") out += `\\${ch}`;
    else if (b >= 0x20 && b < 0x7f) out += ch;
    else out += `\\${b.toString(8).padStart(3, "0")}`;
  }
  return `${out}"`;
}

interface TensorQuantization {
  scale: number;
  zeroPoint: number;
}

/** A tensor quantization recorded in the metadata by an importer, if it is well formed. */
function tensorQuantization(value: unknown): TensorQuantization | undefined {
  const q = value as { scale?: unknown; zeroPoint?: unknown } | undefined;
  return q && typeof q.scale === "number" && q.scale > 0 && Number.isFinite(q.scale) && Number.isInteger(q.zeroPoint)
    ? { scale: q.scale, zeroPoint: q.zeroPoint as number }
    : undefined;
}

/** A float constant C reads back to the same float32 value: 9 significant digits and an f. */
const floatLiteral = (x: number): string => `${Math.fround(x).toPrecision(9)}f`;

/** How generated code names the arena: the static `sn_arena`, or predict's `arena` parameter. */
function arenaAccess(external: boolean): ArenaAccess {
  return external
    ? { bytes: "arena->bytes", words: "arena->words", param: ", sn_arena_t *arena" }
    : { bytes: "sn_arena.bytes", words: "sn_arena.words", param: "" };
}

/** The C expression for a tensor: the caller's input/output buffer or an arena slice. */
function bufferExpr(graph: Graph, plan: Plan, id: string, external: boolean): string {
  const layer = id === "input" ? undefined : plan.layers.find((l) => l.id === id)!;
  const storage = layer?.storage ?? "input";
  const offset = layer?.storageOffset ?? 0;
  const at = (base: string, bytes: number) => (bytes === 0 ? base : `${base} + ${bytes}`);
  if (storage === "input") return at("in", offset);
  if (storage === graph.outputId) return at("out", offset);
  const slot = plan.layers.find((l) => l.id === storage)!.slot!;
  return `${arenaAccess(external).bytes} + ${slot.offset + offset}`;
}

function renderLayer(layer: Layer, index: number, plan: Plan, external: boolean) {
  const lowered = lowerLayer(layer, plan.tables);
  const arrays = lowered.map((a) => formatArray(layer, a));
  const [inH, inW, inC] = layer.inputShape;
  const [outH, outW] = layer.outputShape;
  const { inPlace, scratch } = plan.layers[index]!;
  const arena = scratch ? arenaAccess(external) : undefined;
  const base: BaseTemplateVars = { fn: layerFunction(layer), id: layer.id, size: shapeSize(layer.outputShape), inH, inW, inC, outH, outW, arena };
  const vars = kindOf(layer).templateVars(layer, {
    remapTable: (t) => plan.tables.remap[t]!,
    uniqueTables: plan.tables.unique,
    arrays: lowered,
    ...(inPlace ? { inPlace } : {}),
    ...(scratch ? { scratchOffset: scratch.offset } : {}),
  });
  const code = render(`layers/${layer.kind}.c.ejs`, { ...base, ...vars });
  // predict passes the arena to exactly the layers with scratch: their template must take it
  if (arena && arena.param !== "" && !code.includes(`${layerFunction(layer)}(const int8_t *x, int8_t *y${arena.param})`)) {
    throw new Error(`internal: the ${layer.kind} template does not take the arena parameter (\`arena.param\`) although layer "${layer.id}" has scratch`);
  }
  return { index, id: layer.id, kind: layer.kind, inputShape: layer.inputShape, outputShape: layer.outputShape, arrays, code };
}

function formatArray(layer: Layer, a: ConstArray) {
  const perLine = a.ctype === "int32_t" || a.ctype === "uint32_t" ? 8 : 16;
  return {
    name: `${layer.id}_${a.role}`,
    ctype: a.ctype,
    length: a.values.length,
    comment: cComment(arrayComment(layer, a)),
    // several tables: each code is SN_CODE(table, input) rather than a 9-digit number
    body: isTableCodeArray(a) ? formatCodes(a.values, 5, 4) : formatValues(a.values, perLine, 4),
    dspBody: a.dspValues === undefined ? undefined : formatValues(a.dspValues, perLine, 4),
    mveBody: a.mveValues === undefined ? undefined : formatValues(a.mveValues, perLine, 4),
    dspLength: a.dspValues?.length ?? a.values.length,
    mveLength: a.mveValues?.length ?? a.values.length,
    wordAligned: a.wordAligned === true,
  };
}

/** Comma-separated values, `perLine` a line, right-aligned so columns line up. */
export function formatValues(values: ArrayLike<number>, perLine: number, indent: number): string {
  const text = Array.from(values, (v) => (v === -2147483648 ? "(-2147483647 - 1)" : String(v)));
  const width = Math.max(...text.map((t) => t.length));
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += perLine) {
    lines.push(" ".repeat(indent) + text.slice(i, i + perLine).map((t) => t.padStart(width)).join(", "));
  }
  return lines.join(",\n");
}

function renderBanner(graph: Graph, plan: Plan, target: CodegenTarget | undefined, measured: MeasuredFigures, external: boolean): string {
  const t = plan.totals;
  const lines = [
    `${graph.name}: generated by strongnet ${STRONGNET_VERSION}. Do not edit; regenerate from the model file.`,
    "",
    `model     ${graph.name}${graph.description ? ` - ${graph.description.replace(/\s+/g, " ")}` : ""}`,
    `sha256    ${graph.hash}`,
    target
      ? `board     ${target.name} (${target.core}, ${target.clockHz / 1e6} MHz, ${formatMemorySize(target.flashBytes)} flash, ${formatMemorySize(target.ramBytes)} RAM)`
      : "board     none given (portable C99)",
    "",
    "budget (from the plan; `strongnet report` measures the built image)",
    `  const data in flash  ${plan.constBytes} bytes (${plan.tables.unique.length} tables: ${plan.tableBytes} bytes, weights and index tables: ${plan.constBytes - plan.tableBytes} bytes)`,
    external
      ? `  activation arena     ${plan.arenaBytes} bytes (the caller's, passed to predict; liveness-planned)`
      : `  activation arena     ${plan.arenaBytes} bytes (static, liveness-planned)`,
    ...(measured.stack && target
      ? [
          `  stack (predict)      ${measured.stack.complete ? "at most" : "at least"} ${measured.stack.bytes} bytes on ${target.name} (gcc -fstack-usage frames along the deepest call path)`,
        ]
      : []),
    `  ops per inference    ${totalOps(t)}: ${t.lookups} table lookups, ${t.minmax} min/max, ${t.macs} multiply-accumulates, ${t.requants} requantizations, ${t.compares} compares`,
    "",
    "layers",
    ...graph.layers.map((l, i) => {
      const p = plan.layers[i]!;
      return `  ${String(i).padStart(2)} ${l.id.padEnd(16)} ${l.kind.padEnd(11)} ${l.inputShape.join("x").padStart(9)} -> ${l.outputShape.join("x").padEnd(9)} ${String(totalOps(p.ops)).padStart(8)} ops`;
    }),
  ];
  return ["/*", ...lines.map(commentSafe).flatMap(wrapBannerLine).map((l) => ` * ${l}`.trimEnd()), " */"].join("\n");
}


/**
 * Text a C comment can hold: "*/" would end it, "/*" inside it warns (-Wcomment), and "??/"
 * and the other trigraphs are rewritten by a C99 compiler (-Wtrigraphs).
 */
const commentSafe = (line: string): string => line.replaceAll("*/", "* /").replaceAll("/*", "/ *").replace(/\?(?=\?)/g, "? ");

/** Helpers every template can call: names and comments computed here rather than in EJS. */
const templateHelpers = { requantComment, cComment };

function render(template: string, data: Record<string, unknown>): string {
  const path = join(TEMPLATE_DIR, template);
  return ejs.render(readFileSync(path, "utf8"), { sn: templateHelpers, ...data }, { filename: path, escape: (s: unknown) => String(s) });
}
