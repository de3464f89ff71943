/**
 * The pure parts of bench/kernels.ts (no toolchain, no QEMU, no CMSIS-NN sources), so the unit
 * test can check them: the bench's layer models, the translation of a strongnet graph into the
 * parameters of CMSIS-NN calls (C arrays for bench/cmsis-nn/harness.c), the comparison of the two
 * sides' outputs, and the rendering of the results.
 *
 * Parameter translation (strongnet layer -> CMSIS-NN call), exact by construction:
 *  - weights: the same bytes. conv2d [filter][ky][kx][c] is CMSIS-NN's [C_OUT, HK, WK, C_IN];
 *    depthwise [ky][kx][out] is its [1, HK, WK, C_OUT]; dense [unit][input] is its [C_OUT][accum].
 *  - padding: strongnet reads `padValue` outside the image; CMSIS-NN adds `input_offset` to every
 *    input and lets a padded tap contribute 0. With input_offset = -padValue and, per output
 *    channel, bias' = bias + padValue * (sum of that channel's weights), both give
 *    bias + sum(w * x) over inside taps + padValue * sum(w) over padded taps.
 *  - requantization: CMSIS-NN's shift is a left-shift exponent, strongnet's a right shift:
 *    shift_cmsis = 31 - shift. "single" rounding equals CMSIS-NN built with
 *    -DCMSIS_NN_USE_SINGLE_ROUNDING (arm_nn_requantize: ((x * m) >> (30 - s) + 1) >> 1 is
 *    floor((x * m + 2^(30 - s)) / 2^(31 - s)), strongnet's rule with shift = 31 - s); "double" is
 *    TFLite's MultiplyByQuantizedMultiplier, CMSIS-NN's default build. One model uses one mode.
 *  - requant.offset is CMSIS-NN's output_offset; requant.min/max its activation range.
 *  - avgpool: both sum the window's inside positions and divide rounding halves away from zero.
 *  - argmax (mnist_dense's last layer) has no CMSIS-NN kernel: the harness runs a plain C loop
 *    (first largest value), as a TFLM application would; reshape is a view (no call).
 */
import type { ModelFileInput } from "../src/format/schema.js";
import type { Graph, Layer } from "../src/ir/index.js";
import { esc, barChart, type BarRow } from "../src/report/svg.js";

// ---------------------------------------------------------------- random

/** Deterministic 32-bit PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt8(n: number, next: () => number, lo = -128, hi = 127): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(next() * (hi - lo + 1));
  return out;
}

const b64 = (a: Int8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).toString("base64");

// ---------------------------------------------------------------- layer models

export interface ConvSpec {
  name: string;
  description: string;
  input: [number, number, number];
  filters: number;
  kernel: [number, number];
  stride: [number, number];
  seed: number;
  /** a ReLU (output range offset..127) */
  relu?: boolean;
}

/** TFLite SAME padding [top, left, bottom, right] for one window. */
export function samePadding(input: [number, number], kernel: [number, number], stride: [number, number]): [number, number, number, number] {
  const pad = (i: number, k: number, s: number) => {
    const out = Math.ceil(i / s);
    const total = Math.max((out - 1) * s + k - i, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as const;
  };
  const [top, bottom] = pad(input[0], kernel[0], stride[0]);
  const [left, right] = pad(input[1], kernel[1], stride[1]);
  return [top, left, bottom, right];
}

/**
 * A one-layer conv2d model with seeded random int8 weights, int32 biases and per-channel
 * requantization (single rounding), scaled so outputs spread over the int8 range.
 */
export function convModel(spec: ConvSpec): ModelFileInput {
  const next = rng(spec.seed);
  const [, , cin] = spec.input;
  const taps = spec.kernel[0] * spec.kernel[1] * cin;
  const weights = randomInt8(spec.filters * taps, next, -100, 100);
  const bias = Array.from({ length: spec.filters }, () => Math.floor((next() - 0.5) * 2000));
  // |acc| is about 60 * 60 * sqrt(taps); map a few standard deviations onto +-128
  const scale = 100 / (55 * 55 * Math.sqrt(taps));
  const multiplier: number[] = [];
  const shift: number[] = [];
  for (let f = 0; f < spec.filters; f++) {
    const s = scale * (0.6 + 0.8 * next());
    const e = Math.floor(Math.log2(s)) + 1; // s = frac * 2^e, frac in [0.5, 1)
    multiplier.push(Math.round((s / 2 ** e) * 2 ** 31));
    shift.push(31 - e);
  }
  const offset = -3;
  return {
    format: "strongnet-model",
    version: 1,
    name: spec.name,
    description: spec.description,
    input: { shape: spec.input },
    tables: [],
    layers: [
      {
        id: "conv",
        input: "input",
        kind: "conv2d",
        filters: spec.filters,
        kernel: spec.kernel,
        stride: spec.stride,
        padding: samePadding([spec.input[0], spec.input[1]], spec.kernel, spec.stride),
        padValue: 0,
        weights: b64(weights),
        bias,
        requant: { multiplier: multiplier[0]!, shift: shift[0]!, offset, ...(spec.relu ? { min: offset } : {}) },
        perChannel: { multiplier, shift },
      },
    ],
    output: "conv",
  } as ModelFileInput;
}

/**
 * A one-layer model made of layer `id` of `model` (whose graph is `graph`), reading a tensor of
 * that layer's input shape: the same parameters, a fresh name.
 */
export function layerModel(model: ModelFileInput, graph: Graph, id: string, name: string, description: string): ModelFileInput {
  const spec = model.layers.find((l) => l.id === id);
  const layer = graph.layers.find((l) => l.id === id);
  if (!spec || !layer) throw new Error(`model ${graph.name} has no layer ${id}`);
  return {
    format: "strongnet-model",
    version: 1,
    name,
    description,
    input: { shape: [...layer.inputShape] as [number, number, number] },
    tables: [],
    layers: [{ ...spec, input: "input" }],
    output: id,
  };
}

// ---------------------------------------------------------------- CMSIS-NN parameters

export type CmsisKind = "fc" | "conv" | "dw" | "avgpool" | "argmax";

/** One CMSIS-NN call (or argmax loop) of the harness, in the harness's field names. */
export interface CmsisLayer {
  id: string;
  kind: CmsisKind;
  /** input and output [h, w, c] */
  in: [number, number, number];
  out: [number, number, number];
  kernel: [number, number];
  stride: [number, number];
  /** [h, w]: top and left */
  pad: [number, number];
  dilation: [number, number];
  chMult: number;
  inputOffset: number;
  outputOffset: number;
  actMin: number;
  actMax: number;
  perChannel: boolean;
  weights: Int8Array;
  bias: Int32Array;
  /** CMSIS-NN convention: shift is a left-shift exponent (31 - strongnet's shift) */
  multiplier: Int32Array;
  shift: Int32Array;
}

export interface CmsisModel {
  layers: CmsisLayer[];
  /** "single" or "double": how CMSIS-NN must be built (-DCMSIS_NN_USE_SINGLE_ROUNDING or not) */
  rounding: "single" | "double" | "none";
  inputSize: number;
  outputSize: number;
  /** the largest intermediate tensor (ping-pong buffers) */
  actBytes: number;
  /** scratch buffer bytes for the kernels (checked at run time against *_get_buffer_size) */
  scratchBytes: number;
}

export class UnsupportedForCmsis extends Error {}

const size3 = (s: readonly number[]) => s[0]! * s[1]! * s[2]!;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The CMSIS-NN calls that compute `graph` exactly (see the file comment), or UnsupportedForCmsis. */
export function cmsisModel(graph: Graph): CmsisModel {
  const layers: CmsisLayer[] = [];
  const roundings = new Set<"single" | "double">();
  let prev = "input";
  for (const layer of graph.layers) {
    if (layer.input !== prev || layer.other !== undefined) throw new UnsupportedForCmsis(`${graph.name}: layer ${layer.id} does not read the previous layer (only chains are benchmarked)`);
    prev = layer.id;
    if (layer.kind === "reshape") continue;
    const l = cmsisLayer(layer, graph.name);
    if ("rounding" in l) {
      if (l.rounding) roundings.add(l.rounding);
      layers.push(l.layer);
    }
  }
  if (roundings.size > 1) throw new UnsupportedForCmsis(`${graph.name}: mixes single and double rounding; one CMSIS-NN build cannot match both`);
  if (!layers.length) throw new UnsupportedForCmsis(`${graph.name}: no layers`);
  const inter = layers.slice(0, -1).map((l) => size3(l.out));
  const scratch = layers.map((l) => {
    const taps = l.kernel[0] * l.kernel[1] * l.in[2];
    if (l.kind === "fc") return 4 * l.out[2];
    if (l.kind === "conv" || l.kind === "dw") return 8 * taps + 4 * Math.max(l.in[2], l.out[2]) + 64;
    if (l.kind === "avgpool") return 4 * l.in[2] * Math.max(1, l.out[1]) + 64;
    return 0;
  });
  return {
    layers,
    rounding: roundings.size ? [...roundings][0]! : "none",
    inputSize: size3(graph.inputShape),
    outputSize: size3(graph.outputShape),
    actBytes: Math.max(4, ...inter),
    scratchBytes: Math.ceil(Math.max(16, ...scratch) / 4) * 4,
  };
}

function cmsisLayer(layer: Layer, model: string): { layer: CmsisLayer; rounding: "single" | "double" | undefined } {
  const base = {
    id: layer.id,
    in: [...layer.inputShape] as [number, number, number],
    out: [...layer.outputShape] as [number, number, number],
    kernel: [1, 1] as [number, number],
    stride: [1, 1] as [number, number],
    pad: [0, 0] as [number, number],
    dilation: [1, 1] as [number, number],
    chMult: 1,
    inputOffset: 0,
    outputOffset: 0,
    actMin: -128,
    actMax: 127,
    perChannel: false,
    weights: new Int8Array(0),
    bias: new Int32Array(0),
    multiplier: new Int32Array(0),
    shift: new Int32Array(0),
  };
  const where = `${model}: layer ${layer.id} (${layer.kind})`;
  switch (layer.kind) {
    case "argmax":
      return { layer: { ...base, kind: "argmax" }, rounding: undefined };
    case "avgpool":
      return {
        layer: { ...base, kind: "avgpool", kernel: [...layer.pool], stride: [...layer.stride], pad: [layer.padding[0], layer.padding[1]], actMin: layer.min, actMax: layer.max },
        rounding: undefined,
      };
    case "dense":
    case "conv2d":
    case "depthwise_conv2d": {
      if (layer.activation !== undefined) throw new UnsupportedForCmsis(`${where}: a LUT activation has no CMSIS-NN equivalent`);
      const rq = layer.requant;
      const outC = layer.outputShape[2];
      // a per-tensor dense layer keeps one multiplier and shift (arm_fully_connected_s8 takes one);
      // CMSIS-NN's convolutions take per-channel arrays only, so a per-tensor conv repeats its pair
      const per = layer.kind === "dense" ? 1 : outC;
      const mult = layer.perChannel ? layer.perChannel.multiplier : new Int32Array(per).fill(rq.multiplier);
      const shifts = layer.perChannel ? layer.perChannel.shift : new Int32Array(per).fill(rq.shift);
      const cmsisShift = Int32Array.from(shifts, (s) => 31 - s);
      for (const s of cmsisShift) if (s > 30 || s < -31) throw new UnsupportedForCmsis(`${where}: shift ${31 - s} is outside CMSIS-NN's range (1..62)`);
      const rounding = rq.rounding === "double" ? "double" : "single";
      const common = {
        ...base,
        outputOffset: rq.offset ?? 0,
        actMin: rq.min ?? -128,
        actMax: rq.max ?? 127,
        perChannel: layer.perChannel !== undefined,
        weights: layer.weights,
        multiplier: Int32Array.from(mult),
        shift: cmsisShift,
      };
      if (layer.kind === "dense") {
        return { layer: { ...common, kind: "fc", bias: Int32Array.from(layer.bias) }, rounding };
      }
      const pv = layer.padValue;
      // bias' = bias + padValue * sum of the output channel's weights (see the file comment)
      const taps = layer.kernel[0] * layer.kernel[1];
      const bias = new Int32Array(outC);
      for (let o = 0; o < outC; o++) {
        let sum = 0;
        if (layer.kind === "conv2d") {
          const per = taps * layer.inputShape[2];
          for (let i = 0; i < per; i++) sum += layer.weights[o * per + i]!;
        } else {
          for (let t = 0; t < taps; t++) sum += layer.weights[t * outC + o]!;
        }
        const b = layer.bias[o]! + pv * sum;
        if (b < INT32_MIN || b > INT32_MAX) throw new UnsupportedForCmsis(`${where}: bias ${o} with the pad value folded in overflows int32`);
        bias[o] = b;
      }
      return {
        layer: {
          ...common,
          kind: layer.kind === "conv2d" ? "conv" : "dw",
          kernel: [...layer.kernel],
          stride: [...layer.stride],
          pad: [layer.padding[0], layer.padding[1]],
          dilation: [...(layer.dilation ?? [1, 1])],
          chMult: layer.kind === "depthwise_conv2d" ? layer.depthMultiplier : 1,
          inputOffset: -pv,
          bias,
        },
        rounding,
      };
    }
    default:
      throw new UnsupportedForCmsis(`${where}: no CMSIS-NN kernel in this bench`);
  }
}

const KIND_ID: Record<CmsisKind, string> = { fc: "BENCH_FC", conv: "BENCH_CONV", dw: "BENCH_DW", avgpool: "BENCH_AVGPOOL", argmax: "BENCH_ARGMAX" };

function cArray(ctype: string, name: string, values: ArrayLike<number>, qual = "static const"): string {
  if (values.length === 0) return "";
  const parts: string[] = [];
  for (let i = 0; i < values.length; i += 16) {
    parts.push("    " + Array.from({ length: Math.min(16, values.length - i) }, (_, j) => {
      const v = values[i + j]!;
      return ctype === "int32_t" && v === INT32_MIN ? "INT32_MIN" : String(v);
    }).join(", "));
  }
  return `${qual} ${ctype} ${name}[${values.length}] = {\n${parts.join(",\n")}\n};\n`;
}

/**
 * The generated parameter header of bench/cmsis-nn/harness.c (`cmsisnn_params.h`): the weights,
 * biases, multipliers and shifts as C arrays and a table of layer descriptors.
 */
export function cmsisParamsHeader(m: CmsisModel, title: string): string {
  const out: string[] = [];
  out.push(`/* CMSIS-NN parameters of ${title.replace(/\*\//g, "* /")}, generated by bench/kernels.ts from the strongnet model; do not edit. */`);
  out.push(`#define BENCH_LAYER_COUNT ${m.layers.length}`);
  out.push(`#define BENCH_ACT_BYTES ${m.actBytes}`);
  out.push(`#define BENCH_SCRATCH_BYTES ${m.scratchBytes}`);
  out.push(`#define BENCH_ROUNDING "${m.rounding}"`);
  for (const [kind, id] of Object.entries(KIND_ID)) out.push(`#define ${id.replace("BENCH_", "BENCH_HAS_")} ${m.layers.some((l) => l.kind === kind) ? 1 : 0}`);
  out.push("");
  m.layers.forEach((l, i) => {
    out.push(`/* layer ${i}: ${l.id} (${l.kind}) ${l.in.join("x")} -> ${l.out.join("x")} */`);
    out.push(cArray("int8_t", `bench_w${i}`, l.weights));
    out.push(cArray("int32_t", `bench_b${i}`, l.bias));
    out.push(cArray("int32_t", `bench_m${i}`, l.multiplier));
    out.push(cArray("int32_t", `bench_s${i}`, l.shift));
    if (l.kind === "fc") out.push(`static int32_t bench_ks${i}[${l.out[2]}];\n`);
  });
  out.push("static const bench_layer bench_layers[BENCH_LAYER_COUNT] = {");
  m.layers.forEach((l, i) => {
    const has = (a: ArrayLike<number>, p: string) => (a.length ? `${p}${i}` : "0");
    out.push(
      `    { ${KIND_ID[l.kind]}, {${l.in.join(", ")}}, {${l.out.join(", ")}}, {${l.kernel.join(", ")}}, {${l.stride.join(", ")}}, {${l.pad.join(", ")}}, {${l.dilation.join(", ")}}, ` +
        `${l.chMult}, ${l.inputOffset}, ${l.outputOffset}, ${l.actMin}, ${l.actMax}, ${l.perChannel ? 1 : 0}, ` +
        `${has(l.weights, "bench_w")}, ${has(l.bias, "bench_b")}, ${has(l.multiplier, "bench_m")}, ${has(l.shift, "bench_s")}, ${l.kind === "fc" ? `bench_ks${i}` : "0"} },`,
    );
  });
  out.push("};");
  return out.join("\n") + "\n";
}

/** The model header of the CMSIS-NN harness, with the macros strongnet's test harness reads. */
export function cmsisModelHeader(name: string, m: CmsisModel): string {
  const N = name.toUpperCase();
  return [
    `#ifndef ${N}_H`,
    `#define ${N}_H`,
    "#include <stdint.h>",
    `#define ${N}_INPUT_SIZE ${m.inputSize}`,
    `#define ${N}_OUTPUT_SIZE ${m.outputSize}`,
    `#define ${N}_LAYER_COUNT ${m.layers.length}`,
    `void ${name}_predict(const int8_t *in, int8_t *out);`,
    "#endif",
    "",
  ].join("\n");
}

// ---------------------------------------------------------------- results

/** Instructions of a run: vector 0 is a warm-up (CMSIS-NN's one-time buffer sizing, like TFLM's Prepare); the mean of the rest. */
export function steadyInstructions(perVector: number[]): number {
  if (!perVector.length) return Number.NaN;
  const rest = perVector.length > 1 ? perVector.slice(1) : perVector;
  return Math.round(rest.reduce((a, b) => a + b, 0) / rest.length);
}

/** The first index where two outputs differ, or -1. */
export function firstDifference(a: Int8Array, b: Int8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

export interface Side {
  instructions: number;
  flash: { code: number; data: number };
}

export interface Cell {
  board: string;
  core: string;
  strongnet?: Side;
  /** CMSIS-NN measured in the same harness, or a fixed reference count (whole TFLite models, M4) */
  reference?: Side & { source: "cmsis-nn" | "tflm+cmsis-nn (issue)" };
  /** strongnet == reference interpreter, and strongnet == CMSIS-NN byte for byte */
  agree?: boolean;
  ratio?: number;
  goal?: number;
  met?: boolean;
  /** why a side is missing (does not fit, unsupported, error) */
  note?: string;
}

export interface ShapeResult {
  id: string;
  title: string;
  kind: string;
  cells: Cell[];
}

export interface KernelsReport {
  date: string;
  cmsisNn: string;
  vectors: number;
  boards: { name: string; core: string }[];
  skippedCores: string[];
  shapes: ShapeResult[];
}

/** The goal of the issue: strongnet/CMSIS-NN instructions <= 0.8 on M4/M7/M33 (and M55), <= 1.0 on M0. */
export function goalFor(core: string): number {
  return core === "cortex-m0" || core === "cortex-m0plus" ? 1.0 : 0.8;
}

/** Fills ratio, goal and met of a cell from its two sides. */
export function judge(cell: Cell): Cell {
  if (!cell.strongnet || !cell.reference || !(cell.reference.instructions > 0)) return cell;
  const ratio = cell.strongnet.instructions / cell.reference.instructions;
  const goal = goalFor(cell.core);
  return { ...cell, ratio, goal, met: ratio <= goal && cell.agree !== false };
}

const fmt = (n: number) => n.toLocaleString("en-US");
const shortCore = (core: string) => core.replace("cortex-", "").toUpperCase();

export function renderMarkdown(r: KernelsReport): string {
  const lines: string[] = [];
  lines.push("# Kernels: strongnet against CMSIS-NN");
  lines.push("");
  lines.push(`Measured ${r.date} with \`npx tsx bench/kernels.ts\` (CMSIS-NN: ${r.cmsisNn}; ${r.vectors} random int8 vectors per shape, the first a warm-up).`);
  lines.push("Both sides run in strongnet's own QEMU test firmware (same startup code, linker script, board -O2 flags, SysTick");
  lines.push("instruction counting under `-icount`); instructions are per inference of the whole benchmark model. Flash = code reachable");
  lines.push("from `<model>_predict` (ELF symbol sizes, library routines included) + its constant data (weights, biases, multipliers).");
  lines.push("\"agree\": strongnet's firmware output equals the reference interpreter and CMSIS-NN's output, byte for byte, on every vector.");
  lines.push("Goal: strongnet / CMSIS-NN instructions <= 0.8 on M4/M7/M33/M55, <= 1.0 on M0.");
  if (r.skippedCores.length) lines.push(`Not measured (no board with that core in boards/): ${r.skippedCores.join(", ")}.`);
  lines.push("");
  lines.push("| shape | core | strongnet instr | CMSIS-NN instr | ratio | goal | strongnet flash (code + data) | CMSIS-NN flash (code + data) | agree | note |");
  lines.push("|---|---|---:|---:|---:|---|---:|---:|---|---|");
  for (const s of r.shapes) {
    for (const c of s.cells) {
      const sn = c.strongnet;
      const ref = c.reference;
      const refLabel = ref ? `${fmt(ref.instructions)}${ref.source === "cmsis-nn" ? "" : " (TFLM+CMSIS-NN, issue)"}` : "n/a";
      const flash = (x?: Side) => (x && x.flash.code + x.flash.data > 0 ? `${fmt(x.flash.code + x.flash.data)} (${fmt(x.flash.code)} + ${fmt(x.flash.data)})` : "n/a");
      const goal = c.ratio === undefined ? "n/a" : `<= ${c.goal!.toFixed(1)} ${c.met ? "met" : "NOT met"}`;
      lines.push(
        `| ${s.title} | ${shortCore(c.core)} | ${sn ? fmt(sn.instructions) : "n/a"} | ${refLabel} | ${c.ratio === undefined ? "n/a" : c.ratio.toFixed(2)} | ${goal} | ${flash(sn)} | ${ref?.source === "cmsis-nn" ? flash(ref) : "n/a"} | ${c.agree === undefined ? "n/a" : c.agree ? "yes" : "NO"} | ${c.note ?? ""} |`,
      );
    }
  }
  lines.push("");
  const rows = r.shapes.flatMap((s) => s.cells.filter((c) => c.ratio !== undefined));
  const met = rows.filter((c) => c.met).length;
  lines.push(`${met} of ${rows.length} measured rows meet the goal.`);
  lines.push("");
  return lines.join("\n");
}

const CORE_COLORS: Record<string, string> = {
  "cortex-m0": "#8d6e63",
  "cortex-m0plus": "#a1887f",
  "cortex-m4": "#1e88e5",
  "cortex-m7": "#43a047",
  "cortex-m33": "#fb8c00",
  "cortex-m55": "#8e24aa",
};

/** Grouped bar chart: one group per shape, one bar per core, bar = strongnet / reference instructions. */
export function renderSvg(r: KernelsReport): string {
  const rows: BarRow[] = [];
  for (const s of r.shapes) {
    const cells = s.cells.filter((c) => c.ratio !== undefined);
    cells.forEach((c, i) => {
      rows.push({
        label: `${i === 0 ? s.id.replace(/^model-/, "") : ""} ${shortCore(c.core)}`.trim(),
        segments: [{ name: `${shortCore(c.core)} ratio`, value: c.ratio!, color: CORE_COLORS[c.core] ?? "#607d8b" }],
        note: `${c.ratio!.toFixed(2)} ${c.met ? "met" : "NOT met"}`,
        alarm: !c.met,
      });
    });
  }
  const cores = [...new Set(r.shapes.flatMap((s) => s.cells.filter((c) => c.ratio !== undefined).map((c) => c.core)))];
  const svg = barChart({
    id: "kernels",
    title: "strongnet / CMSIS-NN instructions per inference (lower is better; goal 0.8, 1.0 on M0)",
    rows,
    format: (v) => v.toFixed(2),
    limit: { value: 0.8, label: "goal 0.8" },
    legend: cores.map((c) => ({ name: shortCore(c), color: CORE_COLORS[c] ?? "#607d8b" })),
    width: 900,
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!-- ${esc("generated by bench/kernels.ts")} -->\n${svg}\n`;
}
