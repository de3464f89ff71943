/**
 * TFLite int8 model -> strongnet model file, reproducing the TFLite interpreter's integer kernels
 * (tflite-micro's reference kernels) bit for bit:
 *
 * - tensors are NHWC with batch 1: [1, h, w, c] becomes [h, w, c], [1, n] becomes [1, 1, n];
 * - the input zero point is folded into the bias, bias' = bias - zp_in * sum(w), which is exact
 *   in int32 (the loader proves no accumulator overflows), and padded reads of convolutions read
 *   zp_in, so they add nothing, as TFLite skips them;
 * - multipliers come from the float scales as TFLite computes them: FULLY_CONNECTED from the
 *   float32 product s_in * s_w divided in double by s_out; CONV_2D / DEPTHWISE_CONV_2D per output
 *   channel from double(s_in) * double(s_w[c]) / double(s_out); both through QuantizeMultiplier
 *   (frexp, Q31) — see `tfliteMultiplier`;
 * - requantization rounds the TFLite way ("double": saturating rounding doubling high multiply,
 *   then a rounding shift) unless `rounding: "single"` asks for TFLite's single-rounding build;
 * - fused activations become the requantization's output range, computed like
 *   CalculateActivationRangeQuantized (zp + round(f / s) in float32).
 *
 * Everything not supported is listed before anything is converted (ModelError, exit 2).
 */
import { basename } from "node:path";
import { ModelError } from "../../format/errors.js";
import type { ModelFileInput } from "../../format/schema.js";
import { encodeInt8 } from "../../ir/checks.js";
import { softmaxParams } from "../../kinds/softmax.js";
import { tfliteMultiplier } from "../../reference/requant.js";
import { activationRange, addLayer, cName, foldZeroPoint, requantOf, type LayerSpec, type TensorQuantization } from "../int8-layers.js";
import { describeUnsupported, type TfliteGraph, type TfliteOperator, type TfliteTensor } from "./read.js";


export const SUPPORTED_OPS: ReadonlySet<string> = new Set([
  "FULLY_CONNECTED",
  "CONV_2D",
  "DEPTHWISE_CONV_2D",
  "AVERAGE_POOL_2D",
  "MAX_POOL_2D",
  "RESHAPE",
  "SQUEEZE",
  "SOFTMAX",
  "ADD",
  "QUANTIZE",
]);
export const SUPPORTED_TYPES: ReadonlySet<string> = new Set(["INT8", "INT32"]);

export interface ConvertOptions {
  /** TFLite's default two roundings, or its optional single rounding (TFLITE_SINGLE_ROUNDING) */
  rounding?: "double" | "single";
  /** the model name (a C identifier); default from the file name */
  name?: string;
}

export type { TensorQuantization };

export function convertTflite(graph: TfliteGraph, options: ConvertOptions = {}): ModelFileInput {
  const problems = describeUnsupported(graph, SUPPORTED_OPS, SUPPORTED_TYPES);
  if (problems.length > 0) {
    throw new ModelError("tflite", `${graph.file} uses what strongnet cannot import yet:\n  - ${problems.join("\n  - ")}`);
  }
  const c = new Converter(graph, options.rounding ?? "double");
  const layers = c.convert();
  const inputs = graph.inputs.map((i) => c.tensor(i, "subgraph input"));
  const output = c.tensor(graph.outputs[0]!, "subgraph output");
  // several inputs: the model's one input is all of them one after the other (see `inputLayout`)
  const inputShape: [number, number, number] =
    inputs.length === 1 ? shape3(inputs[0]!, "subgraph input") : [1, 1, inputs.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)];
  return {
    format: "strongnet-model",
    version: 1,
    name: options.name ?? cName(basename(graph.file).replace(/\.tflite$/i, "")),
    description: `imported from ${basename(graph.file)}${graph.description ? ` (${graph.description})` : ""}`,
    input: { shape: inputShape },
    tables: [],
    layers,
    output: layers.at(-1)!.id,
    metadata: {
      source: { format: "tflite", file: basename(graph.file), version: graph.version, operators: graph.operators.length },
      rounding: options.rounding ?? "double",
      ...(inputs.length === 1 ? { inputQuantization: quantizationOf(inputs[0]!) } : { inputs: c.inputLayout() }),
      outputQuantization: quantizationOf(output),
      /** each layer's output tensor: its TFLite name and quantization */
      tensors: c.layerTensors(),
    },
  };
}

class Converter {
  private readonly layers: LayerSpec[] = [];
  /** tensor index -> id of the layer that wrote it ("input" for the subgraph input) */
  private readonly producer = new Map<number, string>();

  constructor(
    private readonly graph: TfliteGraph,
    private readonly rounding: "double" | "single",
  ) {}

  convert(): LayerSpec[] {
    const g = this.graph;
    if (g.inputs.length === 0) throw new ModelError("tflite: inputs", `${g.file} has no inputs`);
    if (g.outputs.length !== 1) throw new ModelError("tflite: outputs", `${g.file} has ${g.outputs.length} outputs; strongnet models have one`);
    if (g.operators.length === 0) throw new ModelError("tflite: operators", `${g.file} has no operators`);
    if (g.inputs.length === 1) {
      this.producer.set(g.inputs[0]!, "input");
    } else {
      // one slice view of the model input per TFLite input, in order
      for (const entry of this.inputLayout()) {
        const t = this.tensor(entry.tensor, "subgraph input");
        const id = `input_${entry.index}`;
        this.layers.push({ id, kind: "slice", input: "input", offset: entry.offset, shape: shape3(t, `tflite: inputs[${entry.index}]`) });
        this.producer.set(entry.tensor, id);
      }
    }
    for (const op of g.operators) this.layers.push(this.layer(op));
    const last = g.operators.at(-1)!;
    if (last.outputs[0] !== g.outputs[0]) {
      throw new ModelError(`tflite: operators[${last.index}].outputs[0]`, `the last operator does not write the subgraph output "${this.tensor(g.outputs[0]!, "output").name}"`);
    }
    return this.layers;
  }

  tensor(index: number, what: string): TfliteTensor {
    const t = this.graph.tensors[index];
    if (!t) throw new ModelError("tflite", `${what}: tensor ${index} does not exist`);
    return t;
  }

  private at(op: TfliteOperator, field: string): string {
    return `tflite: operators[${op.index}] (${op.opcode}).${field}`;
  }

  /**
   * Where each TFLite input sits in the model's one input buffer when there are several: one
   * after the other, in the subgraph's order.
   */
  inputLayout(): { index: number; tensor: number; name: string; offset: number; size: number; scale?: number; zeroPoint?: number }[] {
    let offset = 0;
    return this.graph.inputs.map((tensor, index) => {
      const t = this.tensor(tensor, "subgraph input");
      const size = t.shape.reduce((a, b) => a * b, 1);
      const entry = { index, tensor, name: t.name, offset, size, ...quantizationOf(t) };
      offset += size;
      return entry;
    });
  }

  /** The id of the layer an operator's data input (slot 0, or 1 for ADD's second) comes from. */
  private source(op: TfliteOperator, slot = 0): string {
    const index = op.inputs[slot]!;
    const id = this.producer.get(index);
    if (id === undefined) {
      const name = this.graph.tensors[index]?.name ?? String(index);
      throw new ModelError(this.at(op, `inputs[${slot}]`), `reads "${name}", which is neither a model input nor written by an earlier operator (constant operands are not supported)`);
    }
    return id;
  }

  private layer(op: TfliteOperator): LayerSpec {
    const id = `${op.opcode.toLowerCase()}_${op.index}`;
    const input = this.source(op);
    const spec = this.build(op, id, input);
    op.outputs.forEach((t) => this.producer.set(t, id));
    return spec;
  }

  /** layer id -> the TFLite tensor it writes, with its quantization (for reports) */
  layerTensors(): Record<string, { tensor: string } & Partial<TensorQuantization>> {
    const out: Record<string, { tensor: string } & Partial<TensorQuantization>> = {};
    for (const [index, id] of this.producer) {
      const t = this.graph.tensors[index];
      if (t && id !== "input") out[id] = { tensor: t.name, ...quantizationOf(t) };
    }
    return out;
  }

  private build(op: TfliteOperator, id: string, input: string): LayerSpec {
    switch (op.opcode) {
      case "FULLY_CONNECTED":
        return this.fullyConnected(op, id, input);
      case "CONV_2D":
        return this.conv(op, id, input);
      case "DEPTHWISE_CONV_2D":
        return this.depthwise(op, id, input);
      case "AVERAGE_POOL_2D":
      case "MAX_POOL_2D":
        return this.pool(op, id, input);
      case "RESHAPE":
      case "SQUEEZE":
        return { id, kind: "reshape", input, shape: shape3(this.out(op), this.at(op, "outputs[0]")) };
      case "SOFTMAX":
        return this.softmax(op, id, input);
      case "ADD":
        return this.add(op, id, input);
      case "QUANTIZE":
        return this.requantize(op, id, input);
      default:
        throw new ModelError(this.at(op, "opcode"), "is not supported"); // describeUnsupported listed it already
    }
  }

  private in(op: TfliteOperator): TfliteTensor {
    return this.tensor(op.inputs[0]!, this.at(op, "inputs[0]"));
  }
  private out(op: TfliteOperator): TfliteTensor {
    return this.tensor(op.outputs[0]!, this.at(op, "outputs[0]"));
  }

  private constant(op: TfliteOperator, slot: number, what: string): TfliteTensor | undefined {
    const index = op.inputs[slot];
    if (index === undefined || index < 0) return undefined;
    const t = this.tensor(index, this.at(op, `inputs[${slot}]`));
    if (!t.data) throw new ModelError(this.at(op, `inputs[${slot}]`), `${what} "${t.name}" is not a constant tensor`);
    return t;
  }

  private weights(op: TfliteOperator): { t: TfliteTensor; values: Int8Array } {
    const t = this.constant(op, 1, "the weights")!;
    if (t.type !== "INT8") throw new ModelError(this.at(op, "inputs[1]"), `weights "${t.name}" are ${t.type}; strongnet imports int8 weights`);
    const zp = t.quantization?.zeroPoint ?? [0];
    if (zp.some((z) => z !== 0)) throw new ModelError(this.at(op, "inputs[1]"), `weights "${t.name}" have a non-zero zero point (${zp.find((z) => z !== 0)}); TFLite int8 weights are symmetric`);
    return { t, values: new Int8Array(t.data!.buffer, t.data!.byteOffset, t.data!.length) };
  }

  private bias(op: TfliteOperator, channels: number): Int32Array {
    const t = this.constant(op, 2, "the bias");
    if (!t) return new Int32Array(channels);
    if (t.type !== "INT32") throw new ModelError(this.at(op, "inputs[2]"), `bias "${t.name}" is ${t.type}; strongnet imports int32 biases`);
    const copy = t.data!.slice();
    const bias = new Int32Array(copy.buffer, copy.byteOffset, copy.length / 4);
    if (bias.length !== channels) throw new ModelError(this.at(op, "inputs[2]"), `bias "${t.name}" has ${bias.length} values for ${channels} output channels`);
    return bias;
  }

  /** The quantization of an int8 activation tensor (one scale and zero point). */
  private quant(t: TfliteTensor, field: string): TensorQuantization {
    const q = quantizationOf(t);
    if (!q) throw new ModelError(field, `tensor "${t.name}" has no quantization parameters`);
    if (!(q.scale > 0) || !Number.isFinite(q.scale)) throw new ModelError(field, `tensor "${t.name}" has scale ${q.scale}; a scale must be positive and finite`);
    if (!Number.isInteger(q.zeroPoint) || q.zeroPoint < -128 || q.zeroPoint > 127) throw new ModelError(field, `tensor "${t.name}" has zero point ${q.zeroPoint}; an int8 zero point is -128..127`);
    return q;
  }

  /** TFLite's output range of a fused activation, in the output tensor's int8 scale. */
  private range(op: TfliteOperator, out: TensorQuantization): { min?: number; max?: number } {
    const act = String(op.options.fusedActivationFunction ?? "NONE");
    switch (act) {
      case "NONE":
        return {};
      case "RELU":
        return activationRange(out, 0, Infinity);
      case "RELU6":
        return activationRange(out, 0, 6);
      case "RELU_N1_TO_1":
        return activationRange(out, -1, 1);
      default:
        throw new ModelError(this.at(op, "options.fusedActivationFunction"), `${act} is not supported (NONE, RELU, RELU6, RELU_N1_TO_1 are)`);
    }
  }

  private requant(op: TfliteOperator, scales: number[], out: TensorQuantization) {
    return requantOf(scales, out, this.range(op, out), this.rounding, this.at(op, "inputs[1]"));
  }

  private fullyConnected(op: TfliteOperator, id: string, input: string): LayerSpec {
    const inT = this.in(op);
    const outT = this.out(op);
    const inQ = this.quant(inT, this.at(op, "inputs[0]"));
    const outQ = this.quant(outT, this.at(op, "outputs[0]"));
    const { t: wT, values: w } = this.weights(op);
    const [units, inputs] = [wT.shape[0]!, wT.shape[1]!];
    if (wT.shape.length !== 2 || units * inputs !== w.length) throw new ModelError(this.at(op, "inputs[1]"), `weights "${wT.name}" should be [units, inputs], got [${wT.shape.join(", ")}]`);
    const bias = foldZeroPoint(this.bias(op, units), inQ.zeroPoint, units, (u, visit) => {
      for (let i = 0; i < inputs; i++) visit(w[u * inputs + i]!);
    });
    const ws = wT.quantization?.scale ?? [];
    // FULLY_CONNECTED: the float32 product of the input and weight scales, divided in double
    const scales = Array.from({ length: units }, (_, u) => Math.fround(Math.fround(inQ.scale) * Math.fround(ws.length > 1 ? ws[u]! : ws[0]!)) / Math.fround(outQ.scale));
    return { id, kind: "dense", input, units, weights: encodeInt8(w), bias: Array.from(bias), ...this.requant(op, scales, outQ) };
  }

  private convScales(op: TfliteOperator, channels: number, wT: TfliteTensor, inQ: TensorQuantization, outQ: TensorQuantization): number[] {
    const ws = wT.quantization?.scale ?? [];
    if (ws.length !== 1 && ws.length !== channels) throw new ModelError(this.at(op, "inputs[1]"), `weights "${wT.name}" have ${ws.length} scales for ${channels} output channels`);
    return Array.from({ length: channels }, (_, c) => (Math.fround(inQ.scale) * Math.fround(ws.length > 1 ? ws[c]! : ws[0]!)) / Math.fround(outQ.scale));
  }

  private conv(op: TfliteOperator, id: string, input: string): LayerSpec {
    const inT = this.in(op);
    const outT = this.out(op);
    const inQ = this.quant(inT, this.at(op, "inputs[0]"));
    const outQ = this.quant(outT, this.at(op, "outputs[0]"));
    const { t: wT, values: w } = this.weights(op);
    const [filters, kh, kw, cin] = wT.shape as [number, number, number, number];
    const window = this.window(op, inT, outT, [kh, kw]);
    const perFilter = kh * kw * cin;
    const bias = foldZeroPoint(this.bias(op, filters), inQ.zeroPoint, filters, (f, visit) => {
      for (let i = 0; i < perFilter; i++) visit(w[f * perFilter + i]!);
    });
    return {
      id, kind: "conv2d", input, filters, kernel: [kh, kw], ...window, padValue: inQ.zeroPoint,
      weights: encodeInt8(w), bias: Array.from(bias), ...this.requant(op, this.convScales(op, filters, wT, inQ, outQ), outQ),
    };
  }

  private depthwise(op: TfliteOperator, id: string, input: string): LayerSpec {
    const inT = this.in(op);
    const outT = this.out(op);
    const inQ = this.quant(inT, this.at(op, "inputs[0]"));
    const outQ = this.quant(outT, this.at(op, "outputs[0]"));
    const { t: wT, values: w } = this.weights(op);
    const [, kh, kw, outChannels] = wT.shape as [number, number, number, number];
    const inChannels = inT.shape.at(-1)!;
    const depthMultiplier = outChannels / inChannels;
    if (!Number.isInteger(depthMultiplier)) throw new ModelError(this.at(op, "inputs[1]"), `${outChannels} output channels are not a multiple of ${inChannels} input channels`);
    const window = this.window(op, inT, outT, [kh, kw]);
    const bias = foldZeroPoint(this.bias(op, outChannels), inQ.zeroPoint, outChannels, (o, visit) => {
      for (let t = 0; t < kh * kw; t++) visit(w[t * outChannels + o]!);
    });
    return {
      id, kind: "depthwise_conv2d", input, depthMultiplier, kernel: [kh, kw], ...window, padValue: inQ.zeroPoint,
      weights: encodeInt8(w), bias: Array.from(bias), ...this.requant(op, this.convScales(op, outChannels, wT, inQ, outQ), outQ),
    };
  }

  private pool(op: TfliteOperator, id: string, input: string): LayerSpec {
    const inT = this.in(op);
    const outT = this.out(op);
    const inQ = this.quant(inT, this.at(op, "inputs[0]"));
    const outQ = this.quant(outT, this.at(op, "outputs[0]"));
    if (inQ.scale !== outQ.scale || inQ.zeroPoint !== outQ.zeroPoint) {
      throw new ModelError(this.at(op, "outputs[0]"), `pooling must keep the quantization (in ${inQ.scale}/${inQ.zeroPoint}, out ${outQ.scale}/${outQ.zeroPoint})`);
    }
    const pool: [number, number] = [num(op.options.filterHeight), num(op.options.filterWidth)];
    const { stride, padding } = this.window(op, inT, outT, pool);
    const kind = op.opcode === "MAX_POOL_2D" ? "maxpool" : "avgpool";
    const pad = padding.some((p) => p > 0) ? { padding } : {};
    return { id, kind, input, pool, stride, ...pad, ...this.range(op, outQ) } as LayerSpec;
  }

  private softmax(op: TfliteOperator, id: string, input: string): LayerSpec {
    const inQ = this.quant(this.in(op), this.at(op, "inputs[0]"));
    const outQ = this.quant(this.out(op), this.at(op, "outputs[0]"));
    if (outQ.zeroPoint !== -128 || Math.fround(outQ.scale) !== Math.fround(1 / 256)) {
      throw new ModelError(this.at(op, "outputs[0]"), `an int8 softmax output must have scale 1/256 and zero point -128 (got ${outQ.scale}, ${outQ.zeroPoint})`);
    }
    return { id, kind: "softmax", input, ...softmaxParams(num(op.options.beta), inQ.scale) };
  }

  /**
   * ADD as TFLite's int8 kernel prepares it (add_common.cc): left shift 20; each input rescaled
   * by its scale / (2 * the larger input scale), the sum by that / (2^20 * output scale), all
   * through QuantizeMultiplierSmallerThanOneExp.
   */
  private add(op: TfliteOperator, id: string, input: string): LayerSpec {
    const other = this.source(op, 1);
    const aT = this.in(op);
    const bT = this.tensor(op.inputs[1]!, this.at(op, "inputs[1]"));
    if (aT.shape.join("x") !== bT.shape.join("x")) {
      throw new ModelError(this.at(op, "inputs[1]"), `shape [${bT.shape.join(", ")}] differs from [${aT.shape.join(", ")}]; broadcasting is not supported`);
    }
    const a = this.quant(aT, this.at(op, "inputs[0]"));
    const b = this.quant(bT, this.at(op, "inputs[1]"));
    const out = this.quant(this.out(op), this.at(op, "outputs[0]"));
    return addLayer({ id, input, other }, a, b, out, this.range(op, out), this.at(op, "inputs"));
  }

  /**
   * QUANTIZE from int8 to int8 (a rescale, TFLite's Requantize): y = clamp(MultiplyByQuantized-
   * Multiplier(x - zp_in, s_in / s_out) + zp_out). Exactly a 1x1 depthwise layer with weights 1
   * and bias -zp_in, so it needs no kind of its own.
   */
  private requantize(op: TfliteOperator, id: string, input: string): LayerSpec {
    const inT = this.in(op);
    const inQ = this.quant(inT, this.at(op, "inputs[0]"));
    const outQ = this.quant(this.out(op), this.at(op, "outputs[0]"));
    const channels = shape3(inT, this.at(op, "inputs[0]"))[2];
    const m = tfliteMultiplier(Math.fround(inQ.scale) / Math.fround(outQ.scale));
    if (!m) throw new ModelError(this.at(op, "inputs[0]"), `the rescale ${inQ.scale / outQ.scale} is below 2^-31`);
    return {
      id, kind: "depthwise_conv2d", input, kernel: [1, 1], padValue: inQ.zeroPoint,
      weights: encodeInt8(new Int8Array(channels).fill(1)),
      bias: new Array<number>(channels).fill(-inQ.zeroPoint),
      requant: { ...m, offset: outQ.zeroPoint, ...(this.rounding === "double" ? { rounding: "double" as const } : {}) },
    };
  }

  /** stride, dilation and padding of a windowed operator, TFLite's SAME/VALID made explicit. */
  private window(op: TfliteOperator, inT: TfliteTensor, outT: TfliteTensor, kernel: [number, number]) {
    const [, inH, inW] = nhwc(inT, this.at(op, "inputs[0]"));
    const [, outH, outW] = nhwc(outT, this.at(op, "outputs[0]"));
    const stride: [number, number] = [num(op.options.strideH), num(op.options.strideW)];
    const dilation: [number, number] = [num(op.options.dilationHFactor ?? 1), num(op.options.dilationWFactor ?? 1)];
    const [top, bottom] = samePadding(op.options.padding, inH, outH, stride[0], (kernel[0] - 1) * dilation[0] + 1);
    const [left, right] = samePadding(op.options.padding, inW, outW, stride[1], (kernel[1] - 1) * dilation[1] + 1);
    return {
      stride,
      ...(dilation[0] !== 1 || dilation[1] !== 1 ? { dilation } : {}),
      padding: [top, left, bottom, right] as [number, number, number, number],
    };
  }
}

/**
 * TFLite's padding (ComputePaddingHeightWidth): total = max((out - 1) * stride + kernel - in, 0),
 * the smaller half before, the rest after; VALID has none.
 */
function samePadding(mode: unknown, input: number, output: number, stride: number, effectiveKernel: number): [number, number] {
  if (mode !== "SAME") return [0, 0];
  const total = Math.max((output - 1) * stride + effectiveKernel - input, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function nhwc(t: TfliteTensor, field: string): [number, number, number, number] {
  if (t.shape.length !== 4) throw new ModelError(field, `tensor "${t.name}" has shape [${t.shape.join(", ")}]; a 2-D operator needs [1, h, w, c]`);
  return t.shape as [number, number, number, number];
}

/** [1, h, w, c] -> [h, w, c]; [1, n] or [n] -> [1, 1, n]; [1, a, b] -> [1, a, b]. */
function shape3(t: TfliteTensor, field: string): [number, number, number] {
  const dims = t.shape.length > 1 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
  if (dims.length === 0 || dims.length > 3 || dims.some((d) => d < 1)) {
    throw new ModelError(field, `tensor "${t.name}" has shape [${t.shape.join(", ")}]; strongnet imports batch-1 tensors of rank 1 to 4`);
  }
  const padded = [1, 1, 1, ...dims].slice(-3);
  return padded as [number, number, number];
}

export function quantizationOf(t: TfliteTensor): TensorQuantization | undefined {
  const q = t.quantization;
  if (!q || q.scale.length === 0) return undefined;
  return { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0] ?? 0 };
}

function num(v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ModelError("tflite", `expected a number in the operator options, got ${JSON.stringify(v)}`);
  return v;
}
