/**
 * ONNX test helpers: test-set tensors (.pb), models whose operand inputs become constants, and
 * onnxruntime (a dev dependency, the independent reference the importer is compared with).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { readOnnx, type OnnxTensor } from "../../src/import/onnx/read.js";

const { onnx } = onnxProto;

/** A TensorProto file (input_0.pb, output_0.pb) read by strongnet's own reader. */
export function readTensorFile(path: string): OnnxTensor {
  const bytes = readFileSync(path);
  const t = onnx.TensorProto.decode(bytes);
  // the reader decodes tensors inside models; wrap the tensor in a one-initializer model
  const model = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: "", version: 13 }], graph: { name: "t", initializer: [{ ...t, name: "t" }] } }).finish();
  return readOnnx(model).constants.get("t")!;
}

/** The test set's inputs (input_K.pb, in order) and expected outputs (output_K.pb). */
export function readTestSet(dir: string): { inputs: OnnxTensor[]; outputs: OnnxTensor[] } {
  const files = readdirSync(dir).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  return {
    inputs: files.filter((f) => f.startsWith("input_")).map((f) => readTensorFile(join(dir, f))),
    outputs: files.filter((f) => f.startsWith("output_")).map((f) => readTensorFile(join(dir, f))),
  };
}

/**
 * The model with every graph input but `keep` turned into an initializer holding the test set's
 * value (ONNX node tests pass scales and zero points as inputs; strongnet needs them constant).
 */
export function withConstantInputs(modelPath: string, testSetDir: string, keep: string[]): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(modelPath));
  const graph = model.graph!;
  const files = readdirSync(testSetDir).filter((f) => f.startsWith("input_")).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  const initializer = graph.initializer ?? [];
  const initialized = new Set(initializer.map((t) => t.name ?? ""));
  const inputs = (graph.input ?? []).filter((i) => !initialized.has(i.name ?? ""));
  inputs.forEach((input, k) => {
    const name = input.name ?? "";
    if (keep.includes(name)) return;
    const t = onnx.TensorProto.decode(readFileSync(join(testSetDir, files[k]!)));
    t.name = name;
    initializer.push(t);
  });
  graph.initializer = initializer;
  graph.input = (graph.input ?? []).filter((i) => keep.includes(i.name ?? "") || initialized.has(i.name ?? ""));
  return onnx.ModelProto.encode(model).finish();
}

export type OrtFeed = { type: "float32" | "int8" | "uint8"; data: Float32Array | Int8Array | Uint8Array; dims: number[] };

/** Runs a model in onnxruntime (CPU, default optimizations) and returns every output's data. */
export async function runOnnxruntime(model: string | Uint8Array, feeds: Record<string, OrtFeed>): Promise<Record<string, ArrayLike<number>>> {
  const session = await onnxruntimeSession(model);
  const out = await session.run(feeds);
  await session.release();
  return out;
}

/** A session kept open for many runs of one model (onnxruntime CPU): feeds in, every output out. */
export async function onnxruntimeSession(model: string | Uint8Array) {
  const session = typeof model === "string" ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  return {
    run: async (feeds: Record<string, OrtFeed>): Promise<Record<string, ArrayLike<number>>> => {
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor(f.type, f.data, f.dims);
      const result = await session.run(tensors);
      return Object.fromEntries(Object.entries(result).map(([name, t]) => [name, t.data as ArrayLike<number>]));
    },
    release: () => session.release(),
  };
}

/** ONNX QuantizeLinear: saturate(round half to even(x / scale) + zero point), to int8. */
export function quantizeLinear(x: ArrayLike<number>, scale: number, zeroPoint: number): Int8Array {
  return Int8Array.from(x as ArrayLike<number>, (v) => {
    const r = Math.fround(v / scale);
    const f = Math.floor(r);
    const even = r - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(r);
    return Math.max(-128, Math.min(127, even + zeroPoint));
  });
}

/** Disagreement summed over many outputs. */
export class Disagreement {
  differ = 0;
  largest = 0;
  total = 0;
  add(a: ArrayLike<number>, b: ArrayLike<number>): void {
    const d = disagreement(a, b);
    this.differ += d.differ;
    this.total += d.total;
    this.largest = Math.max(this.largest, d.largest);
  }
  toString(): string {
    return `${this.differ}/${this.total} differ, largest ${this.largest}`;
  }
}

/** How two int8 outputs differ: bytes that differ and the largest difference. */
export function disagreement(a: ArrayLike<number>, b: ArrayLike<number>): { differ: number; largest: number; total: number } {
  let differ = 0;
  let largest = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) differ++;
    largest = Math.max(largest, d);
  }
  return { differ, largest, total: a.length };
}

/** A seeded generator of ints in [lo, hi]. */
export function seededInts(seed: number): (lo: number, hi: number) => number {
  let s = seed;
  return (lo, hi) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return lo + (s % (hi - lo + 1));
  };
}

const scalarF = (name: string, v: number) => ({ name, dataType: 1, dims: [], floatData: [v] });
const scalarI8 = (name: string, v: number) => ({ name, dataType: 3, dims: [], int32Data: [v] });

/**
 * One QLinearConv node, int8 activations and weights (per-channel scales), int32 bias: input
 * x [1, C, H, W]. `group` = C with filters = multiplier * C makes it depthwise.
 */
export function qlinearConvModel(o: { channels: number; size: number; filters: number; kernel: number; stride: number; pad: number; group: number; seed: number }): Uint8Array {
  const r = seededInts(o.seed);
  const perGroup = o.channels / o.group;
  const weights = Array.from({ length: o.filters * perGroup * o.kernel * o.kernel }, () => r(-127, 127));
  const out = Math.floor((o.size + 2 * o.pad - o.kernel) / o.stride) + 1;
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "qlinearconv",
      node: [{ opType: "QLinearConv", input: ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp", "b"], output: ["y"], attribute: [
        { name: "pads", type: 7, ints: [o.pad, o.pad, o.pad, o.pad] }, { name: "strides", type: 7, ints: [o.stride, o.stride] },
        { name: "kernel_shape", type: 7, ints: [o.kernel, o.kernel] }, { name: "group", type: 2, i: o.group }] }],
      initializer: [
        scalarF("xs", 0.05), scalarI8("xzp", -3),
        { name: "w", dataType: 3, dims: [o.filters, perGroup, o.kernel, o.kernel], int32Data: weights },
        { name: "ws", dataType: 1, dims: [o.filters], floatData: Array.from({ length: o.filters }, (_, f) => 0.002 + 0.001 * f) },
        { name: "wzp", dataType: 3, dims: [o.filters], int32Data: new Array(o.filters).fill(0) },
        scalarF("ys", 0.25), scalarI8("yzp", 5),
        { name: "b", dataType: 6, dims: [o.filters], int32Data: Array.from({ length: o.filters }, () => r(-2000, 2000)) },
      ],
      input: [{ name: "x", type: { tensorType: { elemType: 3, shape: { dim: [1, o.channels, o.size, o.size].map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: "y", type: { tensorType: { elemType: 3, shape: { dim: [1, o.filters, out, out].map((d) => ({ dimValue: d })) } } } }],
    },
  }).finish();
}

/** One QLinearMatMul node: a int8 [1, k] times a constant int8 [k, n]. */
export function qlinearMatMulModel(k: number, n: number, seed: number): Uint8Array {
  const r = seededInts(seed);
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "qlinearmatmul",
      node: [{ opType: "QLinearMatMul", input: ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"], output: ["y"] }],
      initializer: [
        scalarF("as", 0.04), scalarI8("azp", 7),
        { name: "b", dataType: 3, dims: [k, n], int32Data: Array.from({ length: k * n }, () => r(-127, 127)) },
        scalarF("bs", 0.003), scalarI8("bzp", 0), scalarF("ys", 0.3), scalarI8("yzp", -10),
      ],
      input: [{ name: "a", type: { tensorType: { elemType: 3, shape: { dim: [{ dimValue: 1 }, { dimValue: k }] } } } }],
      output: [{ name: "y", type: { tensorType: { elemType: 3 } } }],
    },
  }).finish();
}

/** NCHW [c, h, w] data -> HWC, and back. */
export const nchwToHwc = (x: ArrayLike<number>, c: number, h: number, w: number): Int8Array =>
  Int8Array.from({ length: c * h * w }, (_, i) => x[(i % c) * h * w + Math.floor(i / c)]!);
export const hwcToNchw = (x: ArrayLike<number>, c: number, h: number, w: number): Int8Array =>
  Int8Array.from({ length: c * h * w }, (_, i) => x[(i % (h * w)) * c + Math.floor(i / (h * w))]!);

/**
 * The static-quantization pattern around ConvInteger (or MatMulInteger): float x ->
 * QuantizeLinear (uint8) -> ConvInteger with uint8 weights (zero point 128) -> Cast(float) ->
 * Mul(s_x * s_w) -> Relu -> QuantizeLinear (uint8) -> y.
 */
export function integerOpModel(kind: "ConvInteger" | "MatMulInteger", seed: number): { bytes: Uint8Array; inputDims: number[]; outputDims: number[] } {
  const r = seededInts(seed);
  const conv = kind === "ConvInteger";
  const wDims = conv ? [3, 2, 3, 3] : [8, 4];
  const inputDims = conv ? [1, 2, 5, 5] : [1, 8];
  const outputDims = conv ? [1, 3, 3, 3] : [1, 4];
  const u8 = (name: string, v: number) => ({ name, dataType: 2, dims: [], int32Data: [v] });
  const bytes = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: kind,
      node: [
        { opType: "QuantizeLinear", input: ["x", "xs", "xzp"], output: ["xq"] },
        { opType: kind, input: ["xq", "w", "xzp", "wzp"], output: ["acc"] },
        { opType: "Cast", input: ["acc"], output: ["accf"], attribute: [{ name: "to", type: 2, i: 1 }] },
        { opType: "Mul", input: ["accf", "m"], output: ["y0"] },
        { opType: "Relu", input: ["y0"], output: ["y1"] },
        { opType: "QuantizeLinear", input: ["y1", "ys", "yzp"], output: ["y"] },
      ],
      initializer: [
        scalarF("xs", 0.02), u8("xzp", 128),
        { name: "w", dataType: 2, dims: wDims, int32Data: Array.from({ length: wDims.reduce((a, b) => a * b, 1) }, () => r(30, 226)) },
        u8("wzp", 128), scalarF("m", 0.02 * 0.01), scalarF("ys", conv ? 0.02 : 0.01), u8("yzp", 0),
      ],
      input: [{ name: "x", type: { tensorType: { elemType: 1, shape: { dim: inputDims.map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: "y", type: { tensorType: { elemType: 2, shape: { dim: outputDims.map((d) => ({ dimValue: d })) } } } }],
    },
  }).finish();
  return { bytes, inputDims, outputDims };
}

/**
 * A float model that exercises the layout and the operators mnist-8 does not: an NHWC input read
 * through Transpose(0,3,1,2), Conv with bias and pads, Clip(0, 6), depthwise Conv (group 4,
 * SAME_UPPER, stride 2), Relu, MaxPool and AveragePool (count_include_pad 0, padded) branches
 * joined by Add, GlobalAveragePool, Flatten, Gemm (transB), Softmax. Input [1, 8, 8, 3], 5 classes.
 */
export function coverageModel(seed: number): Uint8Array {
  const r = seededInts(seed);
  const floats = (n: number, scale: number) => Array.from({ length: n }, () => (r(-1000, 1000) / 1000) * scale);
  const t = (name: string, dims: number[], scale: number) => ({ name, dataType: 1, dims, floatData: floats(dims.reduce((a, b) => a * b, 1), scale) });
  const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
  const int = (name: string, v: number) => ({ name, type: 2, i: v });
  const str = (name: string, v: string) => ({ name, type: 3, s: new TextEncoder().encode(v) });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "coverage",
      node: [
        { opType: "Transpose", input: ["x"], output: ["x_nchw"], attribute: [ints("perm", [0, 3, 1, 2])] },
        { opType: "Conv", input: ["x_nchw", "w1", "b1"], output: ["c1"], attribute: [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1])] },
        { opType: "Clip", input: ["c1", "lo", "hi"], output: ["r1"] },
        { opType: "Conv", input: ["r1", "w2", "b2"], output: ["c2"], attribute: [ints("kernel_shape", [3, 3]), ints("strides", [2, 2]), int("group", 4), str("auto_pad", "SAME_UPPER")] },
        { opType: "Relu", input: ["c2"], output: ["r2"] },
        { opType: "MaxPool", input: ["r2"], output: ["p1"], attribute: [ints("kernel_shape", [2, 2]), ints("strides", [1, 1]), ints("pads", [0, 0, 1, 1])] },
        { opType: "AveragePool", input: ["r2"], output: ["p2"], attribute: [ints("kernel_shape", [2, 2]), ints("strides", [1, 1]), ints("pads", [0, 0, 1, 1])] },
        { opType: "Add", input: ["p1", "p2"], output: ["s"] },
        { opType: "GlobalAveragePool", input: ["s"], output: ["g"] },
        { opType: "Flatten", input: ["g"], output: ["f"] },
        { opType: "Gemm", input: ["f", "w3", "b3"], output: ["logits"], attribute: [int("transB", 1), { name: "alpha", type: 1, f: 0.5 }] },
        { opType: "Softmax", input: ["logits"], output: ["y"] },
      ],
      initializer: [
        t("w1", [4, 3, 3, 3], 0.5), t("b1", [4], 0.2), { name: "lo", dataType: 1, dims: [], floatData: [0] }, { name: "hi", dataType: 1, dims: [], floatData: [6] },
        t("w2", [8, 1, 3, 3], 0.6), t("b2", [8], 0.1), t("w3", [5, 8], 1.5), t("b3", [5], 0.3),
      ],
      input: [{ name: "x", type: { tensorType: { elemType: 1, shape: { dim: [1, 8, 8, 3].map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: "y", type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 5 }] } } } }],
    },
  }).finish();
}
