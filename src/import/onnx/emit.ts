/**
 * LoweredGraph + the quantization of every tensor -> strongnet int8 layers, with TFLite's integer
 * rules (src/import/int8-layers.ts): fixed-point multipliers from s_in * s_w[c] / s_out, double
 * rounding, the input zero point folded into the bias.
 *
 * Weights the file gives as int8 are kept; float weights are quantized here: symmetric int8 per
 * output channel (s_w[c] = max|w[c]| / 127), the bias as int32 in the scale s_in * s_w[c].
 */
import { ModelError } from "../../format/errors.js";
import { encodeInt8 } from "../../ir/checks.js";
import { softmaxParams } from "../../kinds/softmax.js";
import { activationRange, addLayer, foldZeroPoint, requantOf, type LayerSpec } from "../int8-layers.js";
import type { Activation, ConvOp, DenseOp, LoweredGraph, Op, Quant, Value } from "./ops.js";

/** TFLite's int8 softmax output: scale 1/256, zero point -128. */
export const SOFTMAX_OUTPUT: Quant = { scale: 1 / 256, zeroPoint: -128 };

/**
 * The quantization of every value: the file's, else `calibrated`; values that pass data through
 * (pooling, reshape, clamp) keep their input's; softmax outputs TFLite's fixed one.
 */
export function resolveQuantization(g: LoweredGraph, calibrated: Map<string, Quant>): void {
  for (const v of g.inputs) {
    v.quant ??= calibrated.get(v.name);
    if (!v.quant) throw new ModelError(`onnx: input "${v.name}"`, "has no quantization: the file has no QuantizeLinear after it; quantize with --calibrate SPEC");
  }
  for (const op of g.ops) {
    const input = g.values.get(op.input)!;
    const out = g.values.get(op.output)!;
    const passThrough = op.kind === "max_pool" || op.kind === "average_pool" || op.kind === "reshape" || op.kind === "clamp";
    const fixed = passThrough ? input.quant : op.kind === "softmax" ? SOFTMAX_OUTPUT : undefined;
    if (fixed && out.quant && !sameQuant(fixed, out.quant)) {
      throw new ModelError(`onnx: ${op.from}`, `output "${out.name}" is quantized with scale ${out.quant.scale}, zero point ${out.quant.zeroPoint}, but this operator keeps ${fixed.scale}, ${fixed.zeroPoint}; requantizing here is not supported`);
    }
    out.quant ??= fixed ?? calibrated.get(out.name);
    if (!out.quant) throw new ModelError(`onnx: ${op.from}`, `output "${out.name}" has no quantization (no QuantizeLinear after it); quantize the float model with --calibrate SPEC`);
  }
}

const sameQuant = (a: Quant, b: Quant) => Math.fround(a.scale) === Math.fround(b.scale) && a.zeroPoint === b.zeroPoint;

/** The values calibration must measure: outputs of layers that choose a new quantization. */
export function valuesToCalibrate(g: LoweredGraph): Set<string> {
  const out = new Set<string>();
  for (const op of g.ops) {
    if ((op.kind === "conv" || op.kind === "matmul" || op.kind === "add") && !g.values.get(op.output)!.quant) out.add(op.output);
  }
  return out;
}

export interface Emitted {
  layers: LayerSpec[];
  /** layer id -> the ONNX tensor it writes and its quantization */
  tensors: Record<string, { tensor: string; scale: number; zeroPoint: number }>;
}

export function emitLayers(g: LoweredGraph): Emitted {
  const layers: LayerSpec[] = [];
  const idOf = new Map<string, string>();
  if (g.inputs.length === 1) idOf.set(g.inputs[0]!.name, "input");
  else {
    let offset = 0;
    g.inputs.forEach((v, i) => {
      const id = `input_${i}`;
      layers.push({ id, kind: "slice", input: "input", offset, shape: v.shape });
      idOf.set(v.name, id);
      offset += v.shape[0] * v.shape[1] * v.shape[2];
    });
  }
  const tensors: Emitted["tensors"] = {};
  for (const op of g.ops) {
    const q = (name: string) => g.values.get(name)!.quant!;
    const spec = layerOf(op, idOf.get(op.input)!, g.values.get(op.input)!, g.values.get(op.output)!, op.kind === "add" ? { id: idOf.get(op.other)!, quant: q(op.other) } : undefined);
    layers.push(spec);
    idOf.set(op.output, op.id);
    tensors[op.id] = { tensor: op.output, ...q(op.output) };
  }
  return { layers, tensors };
}

function layerOf(op: Op, input: string, inV: Value, outV: Value, other?: { id: string; quant: Quant }): LayerSpec {
  const inQ = inV.quant!;
  const outQ = outV.quant!;
  const field = `onnx: ${op.from}`;
  switch (op.kind) {
    case "conv":
    case "matmul":
      return weighted(op, input, inQ, outQ, field);
    case "add":
      return addLayer({ id: op.id, input, other: other!.id }, inQ, other!.quant, outQ, rangeOf(op.act, outQ), field);
    case "max_pool":
    case "average_pool":
      return { id: op.id, kind: op.kind === "max_pool" ? "maxpool" : "avgpool", input, pool: op.pool, stride: op.stride, ...(op.padding.some((p) => p > 0) ? { padding: op.padding } : {}) } as LayerSpec;
    case "reshape":
      return { id: op.id, kind: "reshape", input, shape: outV.shape };
    case "clamp": {
      const r = activationRange(outQ, op.act.min, op.act.max);
      return { id: op.id, kind: "clamp", input, min: r.min ?? -128, max: r.max ?? 127 };
    }
    case "softmax":
      return { id: op.id, kind: "softmax", input, ...softmaxParams(op.beta, inQ.scale) };
  }
}

const rangeOf = (act: Activation | undefined, out: Quant) => (act ? activationRange(out, act.min, act.max) : {});

/** Conv / depthwise / dense: int8 weights per output channel, int32 bias, one multiplier per channel. */
function weighted(op: ConvOp | DenseOp, input: string, inQ: Quant, outQ: Quant, field: string): LayerSpec {
  const channels = op.kind === "conv" ? op.filters : op.units;
  const { values, scales } = op.weights.q ?? quantizeSymmetric(op.weights.real, channels, channelOf(op));
  const bias = op.bias.q ?? quantizeBias(op.bias.real, inQ.scale, scales, field);
  const channel = channelOf(op);
  const sums = new Array<number>(channels).fill(0);
  for (let i = 0; i < values.length; i++) sums[channel(i)]! += values[i]!;
  const folded = foldZeroPoint(bias, inQ.zeroPoint, channels, (c, visit) => visit(sums[c]!));
  // the effective scale in double, from float32 scales (TFLite's conv rule)
  const effective = scales.map((s) => (Math.fround(inQ.scale) * Math.fround(s)) / Math.fround(outQ.scale));
  const requant = requantOf(effective, outQ, rangeOf(op.act, outQ), "double", field);
  const common = { id: op.id, input, weights: encodeInt8(Int8Array.from(values)), bias: Array.from(folded), ...requant };
  if (op.kind === "matmul") return { ...common, kind: "dense", units: op.units };
  const window = { kernel: op.kernel, stride: op.stride, ...(op.dilation.some((d) => d !== 1) ? { dilation: op.dilation } : {}), padding: op.padding, padValue: inQ.zeroPoint };
  if (op.depthwise) return { ...common, kind: "depthwise_conv2d", depthMultiplier: op.depthMultiplier, ...window };
  return { ...common, kind: "conv2d", filters: op.filters, ...window };
}

/** Output channel of weight i in the layer's memory layout. */
function channelOf(op: ConvOp | DenseOp): (i: number) => number {
  if (op.kind === "matmul") {
    const k = op.weights.real.length / op.units;
    return (i) => Math.floor(i / k);
  }
  if (op.depthwise) return (i) => i % op.filters;
  const perFilter = op.weights.real.length / op.filters;
  return (i) => Math.floor(i / perFilter);
}

/** Symmetric int8 per output channel: s[c] = max|w[c]| / 127, q = round(w / s[c]). */
export function quantizeSymmetric(real: Float32Array, channels: number, channel: (i: number) => number): { values: Int32Array; scales: number[] } {
  const maxAbs = new Array<number>(channels).fill(0);
  for (let i = 0; i < real.length; i++) maxAbs[channel(i)] = Math.max(maxAbs[channel(i)]!, Math.abs(real[i]!));
  const scales = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const values = Int32Array.from(real, (w, i) => Math.max(-127, Math.min(127, Math.round(w / scales[channel(i)]!))));
  return { values, scales };
}

/** The bias in int32 at the scale s_in * s_w[c]. */
function quantizeBias(real: Float32Array, inScale: number, weightScales: number[], field: string): Int32Array {
  return Int32Array.from(real, (b, c) => {
    const q = Math.round(b / (Math.fround(inScale) * Math.fround(weightScales[c]!)));
    if (q < -(2 ** 31) || q > 2 ** 31 - 1) throw new ModelError(field, `bias ${c} (${b}) does not fit int32 at scale ${inScale * weightScales[c]!}`);
    return q;
  });
}
