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
import type { BaseTemplateVars } from "../kinds/shared/kind-module.js";
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

export interface GeneratedModel {
  /** `<name>.c` */
  source: string;
  /** `<name>.h` */
  header: string;
  plan: Plan;
}

export function generateC(graph: Graph, target?: CodegenTarget): GeneratedModel {
  const plan = planGraph(graph);
  // views (reshape) run no code: they only name their input's bytes
  checkSymbols(graph, plan);
  const layers = graph.layers.flatMap((layer, index) => (plan.layers[index]!.isView ? [] : [renderLayer(layer, index, plan)]));
  const banner = renderBanner(graph, plan, target);
  const NAME = graph.name.toUpperCase();
  const common = {
    banner,
    name: graph.name,
    NAME,
    arenaBytes: plan.arenaBytes,
  };
  const header = render("model.h.ejs", {
    ...common,
    guard: `${NAME}_H`,
    inputShape: graph.inputShape,
    inputSize: shapeSize(graph.inputShape),
    outputShape: graph.outputShape,
    outputSize: shapeSize(graph.outputShape),
    outputIsClass: outputIsClass(graph),
    inputQuantization: tensorQuantization(graph.metadata?.inputQuantization),
    outputQuantization: tensorQuantization(graph.metadata?.outputQuantization),
    floatLiteral,
    layerCount: graph.layers.length,
  });
  // the runtime helpers and macros the layers' code and arrays use, and only those
  const code = layers.map((l) => [l.code, ...l.arrays.map((a) => a.body)].join("\n")).join("\n");
  const runtime = runtimeFor(code);
  const source = render("model.c.ejs", {
    ...common,
    tables: plan.tables.unique.map((t) => formatValues(t, 16, 4)),
    runtime,
    headers: runtimeHeaders(code),
    layers,
    calls: graph.layers.map((layer, index) => ({
      index,
      fn: plan.layers[index]!.isView ? null : layerFunction(layer),
      input: bufferExpr(graph, plan, layer.input),
      other: layer.other === undefined ? null : bufferExpr(graph, plan, layer.other),
      output: bufferExpr(graph, plan, layer.id),
      size: shapeSize(layer.outputShape),
    })),
  });
  return { source, header, plan };
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

/** A tensor quantization recorded in the metadata by an importer, if it is well formed. */
function tensorQuantization(value: unknown): { scale: number; zeroPoint: number } | undefined {
  const q = value as { scale?: unknown; zeroPoint?: unknown } | undefined;
  return q && typeof q.scale === "number" && q.scale > 0 && Number.isFinite(q.scale) && Number.isInteger(q.zeroPoint)
    ? { scale: q.scale, zeroPoint: q.zeroPoint as number }
    : undefined;
}

/** A float constant C reads back to the same float32 value: 9 significant digits and an f. */
const floatLiteral = (x: number): string => `${Math.fround(x).toPrecision(9)}f`;

/** The C expression for a tensor: the caller's input/output buffer or an arena slice. */
function bufferExpr(graph: Graph, plan: Plan, id: string): string {
  const layer = id === "input" ? undefined : plan.layers.find((l) => l.id === id)!;
  const storage = layer?.storage ?? "input";
  const offset = layer?.storageOffset ?? 0;
  const at = (base: string, bytes: number) => (bytes === 0 ? base : `${base} + ${bytes}`);
  if (storage === "input") return at("in", offset);
  if (storage === graph.outputId) return at("out", offset);
  const slot = plan.layers.find((l) => l.id === storage)!.slot!;
  return `sn_arena.bytes + ${slot.offset + offset}`;
}

function renderLayer(layer: Layer, index: number, plan: Plan) {
  const lowered = lowerLayer(layer, plan.tables);
  const arrays = lowered.map((a) => formatArray(layer, a));
  const [inH, inW, inC] = layer.inputShape;
  const [outH, outW] = layer.outputShape;
  const base: BaseTemplateVars = { fn: layerFunction(layer), id: layer.id, size: shapeSize(layer.outputShape), inH, inW, inC, outH, outW };
  const { inPlace, scratch } = plan.layers[index]!;
  const vars = kindOf(layer).templateVars(layer, {
    remapTable: (t) => plan.tables.remap[t]!,
    arrays: lowered,
    ...(inPlace ? { inPlace } : {}),
    ...(scratch ? { scratchOffset: scratch.offset } : {}),
  });
  const code = render(`layers/${layer.kind}.c.ejs`, { ...base, ...vars });
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

function renderBanner(graph: Graph, plan: Plan, target: CodegenTarget | undefined): string {
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
    `  activation arena     ${plan.arenaBytes} bytes (static, liveness-planned)`,
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
