/**
 * ONNX graph -> LoweredGraph (ops.ts): strongnet's layer vocabulary in NHWC, real weights, and the
 * quantization the file states.
 *
 * - NCHW becomes NHWC: a 4-D [1, C, H, W] tensor is stored [H, W, C]; convolution weights
 *   [F, C, kh, kw] become [F, kh, kw, C]; a Flatten/Reshape of an NCHW tensor keeps the memory
 *   and records where each ONNX element went (`perm`), and the MatMul/Gemm that reads it permutes
 *   its weight rows instead, so no layer moves data. A Transpose is accepted where it only
 *   changes the layout (NCHW <-> NHWC of the same memory, or moving dimensions of size 1).
 * - QuantizeLinear / DequantizeLinear pairs are not layers: they state the quantization of the
 *   tensor between them; a DequantizeLinear of a constant gives int8 weights (or an int32 bias)
 *   with their scales. QLinearConv / QLinearMatMul / QLinearAdd state them as operands.
 * - A constant Add after Conv/MatMul/Gemm is its bias; Relu and Clip after Conv/MatMul/Gemm/Add
 *   are fused into its output range; elsewhere they are clamp layers.
 * - uint8 tensors are converted exactly: q8 = q - 128 with zero point zp - 128 for activations
 *   (the uint8 <-> int8 rule of TFLite and of strongnet's data sets), and weights (w - zp_w) when
 *   every one fits int8; otherwise they are refused.
 *
 * Everything the importer cannot take is listed before anything is converted (ModelError, exit 2).
 */
import { ModelError } from "../../format/errors.js";
import { valuesOf, type OnnxGraph, type OnnxNode, type OnnxTensor, type TensorData } from "./read.js";
import type { Activation, Bias, ConvOp, LoweredGraph, Op, Quant, Value, Weights } from "./ops.js";
import { shapeSize } from "./ops.js";

/** ONNX operators (default domain) the importer converts. */
export const ONNX_OPERATORS = [
  "Conv", "MatMul", "Gemm", "Add", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
  "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Softmax", "Transpose", "Identity", "Dropout",
  "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger",
  "Cast", "Mul",
] as const;
/** com.microsoft operators the importer converts. */
export const MICROSOFT_OPERATORS = ["QLinearAdd"] as const;
/** ai.onnx opsets the importer reads (7: Gemm/Add broadcasting as today; 21: the newest checked) */
export const OPSET_RANGE = [7, 21] as const;

export interface LowerOptions {
  /** the graph output to convert (default: the first) */
  output?: string;
}

/** A constant the file gives as int8/uint8/int32 with a DequantizeLinear: values without zero point. */
interface QuantizedConstant {
  values: Int32Array;
  dims: number[];
  /** one scale, or one per slice along `axis` */
  scales: number[];
  axis: number;
}

export function describeUnsupported(g: OnnxGraph): string[] {
  const problems: string[] = [];
  const opset = g.opsets[""] ?? OPSET_RANGE[0];
  if (opset < OPSET_RANGE[0] || opset > OPSET_RANGE[1]) problems.push(`ai.onnx opset ${opset} (strongnet reads opsets ${OPSET_RANGE[0]}..${OPSET_RANGE[1]})`);
  const unknown = new Map<string, string[]>();
  for (const n of g.nodes) {
    const known = n.domain === "" ? (ONNX_OPERATORS as readonly string[]).includes(n.opType) : n.domain === "com.microsoft" && (MICROSOFT_OPERATORS as readonly string[]).includes(n.opType);
    if (known) continue;
    const key = n.domain ? `${n.domain}.${n.opType}` : n.opType;
    unknown.set(key, [...(unknown.get(key) ?? []), n.name || `node ${n.index}`]);
  }
  for (const [op, names] of unknown) problems.push(`operator ${op} x${names.length} (${names.slice(0, 3).join(", ")}${names.length > 3 ? ", ..." : ""})`);
  for (const v of g.inputs) {
    if (!["float32", "int8", "uint8"].includes(v.type)) problems.push(`input "${v.name}" is ${v.type} (float32, int8 and uint8 inputs are read)`);
    v.dims.forEach((d, i) => {
      if (typeof d === "string" && i > 0) problems.push(`input "${v.name}" has a dynamic dimension ${i} ("${d}"); give the model static shapes (onnxruntime's make_dynamic_shape_fixed)`);
      if (typeof d === "number" && i === 0 && d !== 1 && v.dims.length === 4) problems.push(`input "${v.name}" has batch ${d}; strongnet models take one sample (batch 1)`);
    });
  }
  for (const t of g.constants.values()) {
    if (!["float32", "int8", "uint8", "int32", "int64"].includes(t.type)) problems.push(`constant "${t.name}" is ${t.type} (float32, int8, uint8, int32 and int64 constants are read)`);
  }
  if (g.outputs.length === 0) problems.push("the graph has no outputs");
  return problems;
}

export function lowerOnnx(g: OnnxGraph, options: LowerOptions = {}): LoweredGraph {
  const problems = describeUnsupported(g);
  if (problems.length > 0) throw new ModelError("onnx", `${g.file} uses what strongnet cannot import yet:\n  - ${problems.join("\n  - ")}`);
  return new Lowering(g).run(options);
}

class Lowering {
  private readonly values = new Map<string, Value>();
  private readonly constants: Map<string, OnnxTensor>;
  private readonly quantized = new Map<string, QuantizedConstant>();
  private readonly alias = new Map<string, string>();
  private readonly producer = new Map<string, Op>();
  private readonly consumers = new Map<string, number>();
  private readonly ops: Op[] = [];
  private readonly ids = new Set<string>();
  private readonly notes = new Set<string>();
  private floatWeights = false;
  /** outputs of ConvInteger / MatMulInteger (int32 accumulators), which a Cast to float may read */
  private readonly integerOutputs = new Set<string>();

  constructor(private readonly g: OnnxGraph) {
    this.constants = new Map(g.constants);
    for (const n of g.nodes) for (const i of n.inputs) if (i) this.consumers.set(i, (this.consumers.get(i) ?? 0) + 1);
    for (const o of g.outputs) this.consumers.set(o.name, (this.consumers.get(o.name) ?? 0) + 1);
  }

  run(options: LowerOptions): LoweredGraph {
    const inputs = this.g.inputs.map((v, i) => this.inputValue(v.name, v.dims, v.type, i));
    for (const n of this.g.nodes) this.node(n);
    const wanted = options.output ?? this.g.outputs[0]!.name;
    if (!this.g.outputs.some((o) => o.name === wanted)) throw new ModelError("onnx: --output", `"${wanted}" is not a graph output (${this.g.outputs.map((o) => o.name).join(", ")})`);
    let output = this.resolve(wanted);
    if (!this.values.has(output)) throw new ModelError(`onnx: graph.output "${wanted}"`, "is a constant; nothing to compute");
    if (!this.producer.has(output)) output = this.copyOf(output); // an input straight to the output: one copy layer
    return {
      file: this.g.file,
      inputs: inputs.map((v) => this.values.get(v.name)!),
      output,
      outputName: wanted,
      droppedOutputs: this.g.outputs.map((o) => o.name).filter((n) => n !== wanted),
      ops: this.live(output),
      values: this.values,
      quantizedInFile: !this.floatWeights,
      notes: [...this.notes],
    };
  }

  // ---- tensors ---------------------------------------------------------------------------------

  private at(n: OnnxNode, what = ""): string {
    return `onnx: graph.node[${n.index}] (${n.opType}${n.name ? ` "${n.name}"` : ""})${what ? `.${what}` : ""}`;
  }

  private resolve(name: string): string {
    let n = name;
    for (let i = 0; this.alias.has(n) && i < 10_000; i++) n = this.alias.get(n)!;
    return n;
  }

  private inputValue(name: string, dims: (number | string)[], type: string, index: number): Value {
    const field = `onnx: graph.input[${index}] "${name}"`;
    const fixed = dims.map((d, i) => (typeof d === "number" ? d : i === 0 ? 1 : NaN));
    if (fixed.some((d) => !Number.isInteger(d) || d < 1)) throw new ModelError(field, `has shape [${dims.join(", ")}]; strongnet needs static positive dimensions`);
    if (typeof dims[0] === "string") this.notes.add(`input "${name}": symbolic batch dimension "${dims[0]}" read as 1`);
    // a 4-D input read only through Transpose(0, 3, 1, 2) is NHWC already (a TensorFlow export)
    const readers = this.g.nodes.filter((n) => n.inputs.includes(name));
    const nhwc = fixed.length === 4 && readers.length > 0 && readers.every((n) => n.opType === "Transpose" && sameList(ints(n, "perm", []), [0, 3, 1, 2]));
    const v = this.makeValue(name, fixed, fixed.length === 4 ? (nhwc ? "nhwc" : "nchw") : "plain", field);
    if (type === "uint8") this.notes.add(`input "${name}" is uint8: the model input is q - 128 (exact; the zero point moves by -128)`);
    return v;
  }

  private makeValue(name: string, dims: number[], layout: Value["layout"], field: string, perm?: Int32Array): Value {
    let shape: [number, number, number];
    if (layout !== "plain") {
      if (dims.length !== 4 || dims[0] !== 1) throw new ModelError(field, `has shape [${dims.join(", ")}]; 4-D tensors must be [1, C, H, W]`);
      shape = layout === "nchw" ? [dims[2]!, dims[3]!, dims[1]!] : [dims[1]!, dims[2]!, dims[3]!];
    } else {
      const rest = dims.length > 1 && dims[0] === 1 ? dims.slice(1) : dims;
      const kept = rest.length > 3 ? rest.filter((d, i) => d !== 1 || i >= rest.length - 3) : rest;
      if (kept.length > 3 || shapeSize(dims) < 1) throw new ModelError(field, `has shape [${dims.join(", ")}]; strongnet stores batch-1 tensors of up to 3 dimensions besides NCHW`);
      shape = [1, 1, 1, ...kept].slice(-3) as [number, number, number];
    }
    const v: Value = { name, shape, dims, layout, ...(perm ? { perm } : {}) };
    this.values.set(name, v);
    return v;
  }

  /** The activation tensor a node input names (after Q/DQ aliases). */
  private value(n: OnnxNode, slot: number): Value {
    const name = this.resolve(n.inputs[slot] ?? "");
    const v = this.values.get(name);
    if (!v) {
      if (this.constants.has(name) || this.quantized.has(name)) throw new ModelError(this.at(n, `input[${slot}]`), `"${n.inputs[slot]}" is a constant where strongnet needs a computed tensor`);
      throw new ModelError(this.at(n, `input[${slot}]`), `"${n.inputs[slot]}" is not produced by an earlier node (nodes must be in topological order)`);
    }
    return v;
  }

  private constant(n: OnnxNode, slot: number, what: string): OnnxTensor | undefined {
    const raw = n.inputs[slot];
    if (!raw) return undefined;
    const t = this.constants.get(this.resolve(raw));
    if (!t) throw new ModelError(this.at(n, `input[${slot}]`), `${what} "${raw}" is not a constant (a graph input or computed tensor); strongnet needs it in the file`);
    return t;
  }

  /** A constant operand that must be there. */
  private required(n: OnnxNode, slot: number, what: string): OnnxTensor {
    const t = this.constant(n, slot, what);
    if (!t) throw new ModelError(this.at(n, `input[${slot}]`), `${what} is missing`);
    return t;
  }

  private scalar(n: OnnxNode, slot: number, what: string, fallback?: number): number {
    const t = this.constant(n, slot, what);
    if (!t) {
      if (fallback === undefined) throw new ModelError(this.at(n, `input[${slot}]`), `${what} is missing`);
      return fallback;
    }
    if (shapeSize(t.dims) !== 1) throw new ModelError(this.at(n, `input[${slot}]`), `${what} "${t.name}" has ${shapeSize(t.dims)} values; per-channel quantization of activations is not supported`);
    return valuesOf(t)[0]!;
  }

  /** The int8 quantization of an activation from a scale and zero point operand pair. */
  private quantOf(n: OnnxNode, scaleSlot: number, zpSlot: number): Quant {
    const scale = this.scalar(n, scaleSlot, "the scale");
    const zpT = n.inputs[zpSlot] ? this.constant(n, zpSlot, "the zero point") : undefined;
    if (!(scale > 0) || !Number.isFinite(scale)) throw new ModelError(this.at(n, `input[${scaleSlot}]`), `scale ${scale} must be positive and finite`);
    const zp = zpT ? this.scalar(n, zpSlot, "the zero point") : 0;
    // no zero point operand: ONNX's uint8 with zero point 0
    const uint8 = !zpT || zpT.type === "uint8";
    if (zpT && zpT.type !== "int8" && zpT.type !== "uint8") throw new ModelError(this.at(n, `input[${zpSlot}]`), `zero point is ${zpT.type}; int8 and uint8 are read (int16 and float8 activations are not supported)`);
    if (uint8) this.notes.add("uint8 activations are stored as int8 q - 128 with zero point zp - 128 (exact)");
    return { scale, zeroPoint: uint8 ? zp - 128 : zp, ...(uint8 ? { fromUint8: true } : {}) };
  }

  private annotate(n: OnnxNode, v: Value, q: Quant): void {
    if (v.quant && (Math.fround(v.quant.scale) !== Math.fround(q.scale) || v.quant.zeroPoint !== q.zeroPoint)) {
      throw new ModelError(this.at(n), `tensor "${v.name}" is quantized twice (scale ${v.quant.scale}, zero point ${v.quant.zeroPoint}; then ${q.scale}, ${q.zeroPoint}); requantizing between them is not supported`);
    }
    v.quant = q;
  }

  private newId(n: OnnxNode): string {
    const base = cIdentifier(n.name || `${n.opType}_${n.index}`).toLowerCase();
    let id = base;
    for (let k = 2; this.ids.has(id) || id === "input"; k++) id = `${base}_${k}`;
    this.ids.add(id);
    return id;
  }

  private emit(op: Op): void {
    this.ops.push(op);
    this.producer.set(op.output, op);
  }

  /** One consumer, not a graph output: the op before may absorb what follows. */
  private single(name: string): boolean {
    return this.consumers.get(name) === 1 && !this.g.outputs.some((o) => o.name === name);
  }

  private copyOf(name: string): string {
    const v = this.values.get(name)!;
    const out = `${name}__copy`;
    this.makeValue(out, v.dims, v.layout, "onnx", v.perm);
    this.values.get(out)!.quant = v.quant;
    this.emit({ kind: "reshape", id: "copy", input: name, output: out, from: "graph output" });
    return out;
  }

  /** The ops the output depends on, in order. */
  private live(output: string): Op[] {
    const need = new Set([output]);
    const kept: Op[] = [];
    for (const op of [...this.ops].reverse()) {
      if (!need.has(op.output)) continue;
      kept.push(op);
      need.add(op.input);
      if (op.kind === "add") need.add(op.other);
    }
    return kept.reverse();
  }

  // ---- nodes -----------------------------------------------------------------------------------

  private node(n: OnnxNode): void {
    const arity = REQUIRED_INPUTS[n.opType] ?? 1;
    const missing = Array.from({ length: arity }, (_, i) => i).find((i) => !n.inputs[i]);
    if (missing !== undefined) throw new ModelError(this.at(n, `input[${missing}]`), `is missing (${n.opType} needs ${arity} inputs)`);
    if (!n.outputs[0]) throw new ModelError(this.at(n, "output[0]"), "is missing");
    if (this.fold(n)) return;
    switch (n.opType) {
      case "Identity":
      case "Dropout":
        this.alias.set(n.outputs[0]!, this.resolve(n.inputs[0]!));
        return;
      case "QuantizeLinear":
        return this.quantizeLinear(n);
      case "DequantizeLinear":
        return this.dequantizeLinear(n);
      case "Conv":
        return this.conv(n, this.value(n, 0), this.weightsOf(n, 1), n.inputs[2] ? this.biasOf(n, 2) : undefined);
      case "QLinearConv":
        return this.qlinearConv(n);
      case "ConvInteger":
        return this.conv(n, this.value(n, 0), this.integerWeights(n, 1, 0), undefined);
      case "MatMulInteger":
        this.integerWeights(n, 1, 1);
        return this.dense(n, this.matrix(n, 1, false, 1), undefined);
      case "Cast":
        return this.cast(n);
      case "Mul":
        return this.scale(n);
      case "MatMul":
        return this.dense(n, this.matrix(n, 1, false, 1), undefined);
      case "QLinearMatMul":
        return this.qlinearMatMul(n);
      case "Gemm":
        return this.gemm(n);
      case "Add":
        return this.add(n);
      case "QLinearAdd":
        return this.qlinearAdd(n);
      case "Relu":
        return this.activation(n, { min: 0, max: Infinity });
      case "Clip":
        return this.activation(n, this.clipBounds(n));
      case "MaxPool":
      case "AveragePool":
      case "GlobalAveragePool":
        return this.pool(n);
      case "Reshape":
      case "Flatten":
      case "Squeeze":
      case "Unsqueeze":
        return this.reshape(n, this.value(n, 0), this.reshapeDims(n, this.value(n, 0).dims));
      case "Transpose":
        return this.transpose(n);
      case "Softmax":
        return this.softmax(n);
      default:
        throw new ModelError(this.at(n), "is not supported"); // describeUnsupported listed it
    }
  }

  /** Nodes whose inputs are all constants become constants (reshaped weights, dequantized biases). */
  private fold(n: OnnxNode): boolean {
    const ins = n.inputs.filter(Boolean).map((i) => this.resolve(i));
    if (ins.length === 0 || !ins.every((i) => this.constants.has(i))) return false;
    const t = this.constants.get(ins[0]!)!;
    const out = n.outputs[0]!;
    switch (n.opType) {
      case "Identity":
        this.constants.set(out, { ...t, name: out });
        return true;
      case "Reshape":
      case "Flatten":
      case "Squeeze":
      case "Unsqueeze":
        this.constants.set(out, { ...t, name: out, dims: this.reshapeDims(n, t.dims) });
        return true;
      case "Transpose": {
        const perm = ints(n, "perm", t.dims.map((_, i) => t.dims.length - 1 - i));
        this.constants.set(out, transposeTensor(t, perm, out));
        return true;
      }
      case "DequantizeLinear":
        this.dequantizeConstant(n, t);
        return true;
      default:
        return false;
    }
  }

  private dequantizeConstant(n: OnnxNode, t: OnnxTensor): void {
    const scaleT = this.required(n, 1, "the scale");
    const zpT = n.inputs[2] ? this.constant(n, 2, "the zero point") : undefined;
    const scales = valuesOf(scaleT);
    const zps = zpT ? valuesOf(zpT) : [0];
    let axis = int(n, "axis", 1);
    if (axis < 0) axis += t.dims.length;
    if (scales.length > 1 && (t.dims[axis] ?? 0) !== scales.length) throw new ModelError(this.at(n, "input[1]"), `${scales.length} scales for dimension ${axis} of size ${t.dims[axis]}`);
    const q = valuesOf(t);
    const inner = shapeSize(t.dims.slice(axis + 1));
    const slice = (i: number) => (scales.length > 1 ? Math.floor(i / inner) % scales.length : 0);
    const values = Int32Array.from(q, (v, i) => v - (zps[zps.length > 1 ? slice(i) : 0] ?? 0));
    const out = n.outputs[0]!;
    this.quantized.set(out, { values, dims: t.dims, scales, axis });
    this.constants.set(out, { name: out, dims: t.dims, type: "float32", data: dequantized(this.quantized.get(out)!) });
  }

  private quantizeLinear(n: OnnxNode): void {
    const v = this.value(n, 0);
    this.annotate(n, v, this.quantOf(n, 1, 2));
    this.alias.set(n.outputs[0]!, v.name);
  }

  private dequantizeLinear(n: OnnxNode): void {
    const v = this.value(n, 0);
    this.annotate(n, v, this.quantOf(n, 1, 2));
    this.alias.set(n.outputs[0]!, v.name);
  }

  // ---- weights ---------------------------------------------------------------------------------

  /** A weight operand: its real values, and its int8 values and scales when the file has them. */
  private weightsOf(n: OnnxNode, slot: number): { dims: number[]; real: Float32Array; q?: QuantizedConstant } {
    const t = this.required(n, slot, "the weights");
    const q = this.quantized.get(this.resolve(n.inputs[slot]!));
    if (!q) {
      if (t.type !== "float32") throw new ModelError(this.at(n, `input[${slot}]`), `weights "${t.name}" are ${t.type} without a DequantizeLinear; strongnet reads float weights or QDQ int8 weights`);
      this.floatWeights = true;
    }
    return { dims: t.dims, real: q ? dequantized(q) : Float32Array.from(t.data as ArrayLike<number>), ...(q ? { q } : {}) };
  }

  private biasOf(n: OnnxNode, slot: number): Bias {
    const t = this.required(n, slot, "the bias");
    const q = this.quantized.get(this.resolve(n.inputs[slot]!));
    return { real: Float32Array.from(t.data as ArrayLike<number>), ...(q ? { q: q.values } : {}) };
  }

  /** int8 weights with per-output-channel scales, or undefined when they need quantizing. */
  private int8Weights(n: OnnxNode, q: QuantizedConstant | undefined, channels: number, channelAxis: number, reorder: (values: Int32Array) => Int32Array): Weights["q"] {
    if (!q) return undefined;
    if (q.scales.length > 1 && q.axis !== channelAxis) throw new ModelError(this.at(n), `weights are quantized per slice of dimension ${q.axis}; strongnet needs per output channel (dimension ${channelAxis}) or per tensor`);
    const bad = q.values.findIndex((v) => v < -128 || v > 127);
    if (bad >= 0) throw new ModelError(this.at(n), `weight ${bad} is ${q.values[bad]} after removing its zero point; it does not fit int8 (uint8 weights convert only when every w - zp fits)`);
    const scales = q.scales.length > 1 ? q.scales : new Array<number>(channels).fill(q.scales[0]!);
    return { values: reorder(q.values), scales };
  }

  /** A [K, N] constant (or [N, K] when transposed) as dense weights [N, K'] in the input's memory order. */
  private matrix(n: OnnxNode, slot: number, transposed: boolean, alpha: number): { units: number; weights: Weights; input: Value } {
    const input = this.value(n, 0);
    const w = this.weightsOf(n, slot);
    if (w.dims.length !== 2) throw new ModelError(this.at(n, `input[${slot}]`), `weights have shape [${w.dims.join(", ")}]; strongnet reads a constant 2-D matrix`);
    const [k, units] = transposed ? [w.dims[1]!, w.dims[0]!] : [w.dims[0]!, w.dims[1]!];
    const rows = input.dims.at(-1) === k && !input.perm ? shapeSize(input.dims) / k : 1;
    if (shapeSize(input.dims) !== rows * k || (rows > 1 && input.layout !== "plain")) {
      throw new ModelError(this.at(n, "input[0]"), `reads [${input.dims.join(", ")}] with a [${w.dims.join(", ")}] matrix; strongnet multiplies rows of ${k} values`);
    }
    const memory = rows > 1 ? memoryOrder({ ...input, dims: [k] }) : memoryOrder(input);
    const place = (values: ArrayLike<number>, out: Float32Array | Int32Array) => {
      for (let u = 0; u < units; u++) for (let i = 0; i < k; i++) out[u * k + memory[i]!] = values[transposed ? u * k + i : i * units + u]!;
      return out;
    };
    const real = place(w.real, new Float32Array(units * k)) as Float32Array;
    if (alpha !== 1) for (let i = 0; i < real.length; i++) real[i]! *= alpha;
    const q = this.int8Weights(n, w.q, units, transposed ? 0 : 1, (v) => place(v, new Int32Array(units * k)) as Int32Array);
    if (q && alpha !== 1) q.scales = q.scales.map((s) => s * alpha);
    return { units, weights: { real, ...(q ? { q } : {}) }, input };
  }

  // ---- layers ----------------------------------------------------------------------------------

  private conv(n: OnnxNode, x: Value, w: { dims: number[]; real: Float32Array; q?: QuantizedConstant }, bias: Bias | undefined): void {
    if (x.layout !== "nchw") throw new ModelError(this.at(n, "input[0]"), `reads "${x.name}" of shape [${x.dims.join(", ")}]; Conv needs an NCHW [1, C, H, W] tensor`);
    if (w.dims.length !== 4) throw new ModelError(this.at(n, "input[1]"), `weights have shape [${w.dims.join(", ")}]; 2-D convolution weights are [F, C/group, kh, kw]`);
    const [filters, perGroup, kh, kw] = w.dims as [number, number, number, number];
    const [, channels, inH, inW] = x.dims as [number, number, number, number];
    const group = int(n, "group", 1);
    const depthwise = group > 1;
    if (depthwise && !(group === channels && perGroup === 1 && filters % channels === 0)) {
      throw new ModelError(this.at(n, "attribute group"), `group ${group} with ${channels} input channels and ${filters} filters: strongnet converts group 1 and depthwise (group = channels) convolutions`);
    }
    if (!depthwise && perGroup !== channels) throw new ModelError(this.at(n, "input[1]"), `weights expect ${perGroup} input channels; the input has ${channels}`);
    const kernel: [number, number] = [kh, kw];
    const g = this.window(n, [inH, inW], kernel);
    // [F, C, kh, kw] -> conv [F, kh, kw, C] / depthwise [kh, kw, F]
    const reorder = <T extends Float32Array | Int32Array>(src: ArrayLike<number>, out: T): T => {
      for (let f = 0; f < filters; f++)
        for (let c = 0; c < perGroup; c++)
          for (let y = 0; y < kh; y++)
            for (let xx = 0; xx < kw; xx++) {
              const from = ((f * perGroup + c) * kh + y) * kw + xx;
              out[depthwise ? (y * kw + xx) * filters + f : ((f * kh + y) * kw + xx) * perGroup + c] = src[from]!;
            }
      return out;
    };
    const weights: Weights = { real: reorder(w.real, new Float32Array(w.real.length)) };
    const q = this.int8Weights(n, w.q, filters, 0, (v) => reorder(v, new Int32Array(v.length)));
    if (q) weights.q = q;
    const out = this.makeValue(n.outputs[0]!, [1, filters, g.out[0], g.out[1]], "nchw", this.at(n, "output[0]"));
    const op: ConvOp = {
      kind: "conv", id: this.newId(n), input: x.name, output: out.name, from: this.at(n), depthwise, depthMultiplier: depthwise ? filters / channels : 1, filters, kernel,
      stride: g.stride, dilation: g.dilation, padding: g.padding, weights, bias: bias ?? { real: new Float32Array(filters) },
    };
    if (bias && bias.real.length !== filters) throw new ModelError(this.at(n, "input[2]"), `bias has ${bias.real.length} values for ${filters} filters`);
    this.emit(op);
  }

  private qlinearConv(n: OnnxNode): void {
    const x = this.value(n, 0);
    const inQ = this.quantOf(n, 1, 2);
    this.annotate(n, x, inQ);
    const w = this.qlinearWeights(n, 3, 4, 5, 0);
    const bias = n.inputs[8] ? this.int32Bias(n, 8, inQ.scale, w.q!.scales) : undefined;
    this.conv(n, x, w, bias);
    this.annotate(n, this.values.get(n.outputs[0]!)!, this.quantOf(n, 6, 7));
  }

  private qlinearMatMul(n: OnnxNode): void {
    const a = this.value(n, 0);
    this.annotate(n, a, this.quantOf(n, 1, 2));
    const w = this.qlinearWeights(n, 3, 4, 5, 1);
    this.quantized.set(this.resolve(n.inputs[3]!), w.q!);
    this.dense(n, this.matrix(n, 3, false, 1), undefined);
    this.annotate(n, this.values.get(this.resolve(n.outputs[0]!))!, this.quantOf(n, 6, 7));
  }

  /** QLinear* weights: int8/uint8 constant, scale(s), zero point(s) -> a quantized constant. */
  private qlinearWeights(n: OnnxNode, slot: number, scaleSlot: number, zpSlot: number, axis: number): { dims: number[]; real: Float32Array; q?: QuantizedConstant } {
    const t = this.required(n, slot, "the weights");
    if (t.type !== "int8" && t.type !== "uint8") throw new ModelError(this.at(n, `input[${slot}]`), `weights are ${t.type}; QLinear weights are int8 or uint8`);
    if (t.type === "uint8") this.notes.add("uint8 weights converted exactly to w - zero point");
    const scales = valuesOf(this.required(n, scaleSlot, "the weight scale"));
    const zps = n.inputs[zpSlot] ? valuesOf(this.required(n, zpSlot, "the weight zero point")) : [0];
    const inner = shapeSize(t.dims.slice(axis + 1));
    const slice = (i: number) => (scales.length > 1 ? Math.floor(i / inner) % scales.length : 0);
    const values = Int32Array.from(valuesOf(t), (v, i) => v - (zps[zps.length > 1 ? slice(i) : 0] ?? 0));
    const q: QuantizedConstant = { values, dims: t.dims, scales, axis };
    return { dims: t.dims, real: dequantized(q), q };
  }

  /**
   * ConvInteger / MatMulInteger: acc = sum((x - x_zp)(w - w_zp)) in int32. With x quantized
   * (scale s_x, from a QuantizeLinear), acc = sum(real_x * (w - w_zp) / s_x): a layer whose weights
   * are w - w_zp at scale 1 / s_x. The Cast to float and the Mul by a constant that usually follow
   * scale it into real values (`cast`, `scale`).
   */
  private integerWeights(n: OnnxNode, slot: number, axis: number): { dims: number[]; real: Float32Array; q?: QuantizedConstant } {
    const x = this.value(n, 0);
    if (!x.quant) throw new ModelError(this.at(n, "input[0]"), `"${x.name}" has no quantization (no QuantizeLinear before it; dynamic quantization is not supported)`);
    const zp = n.inputs[2] ? this.scalar(n, 2, "the input zero point") - (this.required(n, 2, "the input zero point").type === "uint8" ? 128 : 0) : x.quant.fromUint8 ? -128 : 0;
    if (zp !== x.quant.zeroPoint) throw new ModelError(this.at(n, "input[2]"), `input zero point ${zp} differs from the quantization of "${x.name}" (${x.quant.zeroPoint})`);
    const t = this.required(n, slot, "the weights");
    if (t.type !== "int8" && t.type !== "uint8") throw new ModelError(this.at(n, `input[${slot}]`), `weights are ${t.type}; int8 or uint8 expected`);
    const zps = n.inputs[3] ? valuesOf(this.required(n, 3, "the weight zero point")) : [0];
    const inner = shapeSize(t.dims.slice(axis + 1));
    const values = Int32Array.from(valuesOf(t), (v, i) => v - (zps[zps.length > 1 ? Math.floor(i / inner) % zps.length : 0] ?? 0));
    const q: QuantizedConstant = { values, dims: t.dims, scales: [1 / x.quant.scale], axis };
    this.quantized.set(this.resolve(n.inputs[slot]!), q);
    this.integerOutputs.add(n.outputs[0]!);
    return { dims: t.dims, real: dequantized(q), q };
  }

  /** Cast to float of a ConvInteger / MatMulInteger result: the same values. */
  private cast(n: OnnxNode): void {
    const to = int(n, "to", 0);
    if (!this.integerOutputs.has(this.resolve(n.inputs[0]!)) || to !== 1) {
      throw new ModelError(this.at(n), "only a Cast to float of a ConvInteger / MatMulInteger output is supported");
    }
    this.alias.set(n.outputs[0]!, this.resolve(n.inputs[0]!));
  }

  /** x * constant after Conv/MatMul/Gemm (its only use): scales the weights and bias. */
  private scale(n: OnnxNode): void {
    const [a, b] = [this.resolve(n.inputs[0]!), this.resolve(n.inputs[1]!)];
    const constSlot = this.constants.has(b) ? 1 : this.constants.has(a) ? 0 : -1;
    const xName = this.resolve(n.inputs[1 - Math.max(constSlot, 0)]!);
    const op = constSlot >= 0 ? this.producer.get(xName) : undefined;
    if (!op || (op.kind !== "conv" && op.kind !== "matmul") || op.act || op.bias.q || !this.single(n.inputs[1 - constSlot]!)) {
      throw new ModelError(this.at(n), "Mul is supported only by a constant, as the only use of a Conv/MatMul/Gemm/ConvInteger/MatMulInteger output");
    }
    const channels = op.kind === "conv" ? op.filters : op.units;
    const c = valuesOf(this.constants.get(constSlot === 1 ? b : a)!);
    if (c.length !== 1 && c.length !== channels) throw new ModelError(this.at(n), `the constant has ${c.length} values; one, or one per output channel (${channels}), is supported`);
    if (c.some((v) => !(v > 0) || !Number.isFinite(v))) throw new ModelError(this.at(n), "the constant must be positive and finite (it becomes part of the weight scales)");
    const factor = (ch: number) => c[c.length === 1 ? 0 : ch]!;
    const channelOfWeight = op.kind === "matmul" ? (i: number) => Math.floor(i / (op.weights.real.length / op.units)) : op.depthwise ? (i: number) => i % op.filters : (i: number) => Math.floor(i / (op.weights.real.length / op.filters));
    op.weights.real = Float32Array.from(op.weights.real, (w, i) => w * factor(channelOfWeight(i)));
    if (op.weights.q) op.weights.q.scales = op.weights.q.scales.map((s, ch) => s * factor(ch));
    op.bias = { real: Float32Array.from(op.bias.real, (v, ch) => v * factor(ch)) };
    this.retarget(op, n.outputs[0]!);
  }

  private int32Bias(n: OnnxNode, slot: number, inScale: number, weightScales: number[]): Bias {
    const t = this.required(n, slot, "the bias");
    if (t.type !== "int32") throw new ModelError(this.at(n, `input[${slot}]`), `bias is ${t.type}; QLinear biases are int32`);
    const q = Int32Array.from(valuesOf(t));
    return { q, real: Float32Array.from(q, (v, c) => v * inScale * weightScales[weightScales.length > 1 ? c : 0]!) };
  }

  /** One row: a dense layer. Several rows ([..., R, K] x [K, N]): a 1x1 convolution over them. */
  private dense(n: OnnxNode, m: { units: number; weights: Weights; input: Value }, bias: Float32Array | undefined): void {
    const k = m.weights.real.length / m.units;
    const rows = shapeSize(m.input.dims) / k;
    if (rows > 1) {
      const out = this.makeValue(n.outputs[0]!, [...m.input.dims.slice(0, -1), m.units], "plain", this.at(n, "output[0]"));
      this.emit({
        kind: "conv", id: this.newId(n), input: m.input.name, output: out.name, from: this.at(n), depthwise: false, depthMultiplier: 1, filters: m.units,
        kernel: [1, 1], stride: [1, 1], dilation: [1, 1], padding: [0, 0, 0, 0], weights: m.weights, bias: { real: bias ?? new Float32Array(m.units) },
      });
      return;
    }
    const out = this.makeValue(n.outputs[0]!, [1, m.units], "plain", this.at(n, "output[0]"));
    this.emit({ kind: "matmul", id: this.newId(n), input: m.input.name, output: out.name, from: this.at(n), units: m.units, weights: m.weights, bias: { real: bias ?? new Float32Array(m.units) } });
  }

  private gemm(n: OnnxNode): void {
    if (int(n, "transA", 0) !== 0) throw new ModelError(this.at(n, "attribute transA"), "transA = 1 is not supported (the input is one row)");
    const alpha = float(n, "alpha", 1);
    const beta = float(n, "beta", 1);
    const m = this.matrix(n, 1, int(n, "transB", 0) === 1, alpha);
    let bias: Float32Array | undefined;
    if (n.inputs[2]) {
      const t = this.required(n, 2, "the bias C");
      const c = valuesOf(t);
      if (c.length !== 1 && c.length !== m.units) throw new ModelError(this.at(n, "input[2]"), `C has ${c.length} values; strongnet reads a scalar or one per output (${m.units})`);
      bias = Float32Array.from({ length: m.units }, (_, u) => beta * c[c.length === 1 ? 0 : u]!);
    }
    this.dense(n, m, bias);
  }

  private add(n: OnnxNode): void {
    const [a, b] = [this.resolve(n.inputs[0]!), this.resolve(n.inputs[1]!)];
    const constSlot = this.constants.has(b) ? 1 : this.constants.has(a) ? 0 : -1;
    if (constSlot >= 0) return this.biasAdd(n, constSlot);
    const x = this.value(n, 0);
    const y = this.value(n, 1);
    if (!sameList(x.dims, y.dims)) throw new ModelError(this.at(n), `adds [${x.dims.join(", ")}] and [${y.dims.join(", ")}]; broadcasting is not supported`);
    if (x.layout !== y.layout || !samePerm(x.perm, y.perm)) throw new ModelError(this.at(n), "adds tensors stored in different layouts");
    const out = this.makeValue(n.outputs[0]!, x.dims, x.layout, this.at(n, "output[0]"), x.perm);
    this.emit({ kind: "add", id: this.newId(n), input: x.name, other: y.name, output: out.name, from: this.at(n) });
  }

  private qlinearAdd(n: OnnxNode): void {
    const a = this.value(n, 0);
    const b = this.value(n, 3);
    this.annotate(n, a, this.quantOf(n, 1, 2));
    this.annotate(n, b, this.quantOf(n, 4, 5));
    if (!sameList(a.dims, b.dims)) throw new ModelError(this.at(n), `adds [${a.dims.join(", ")}] and [${b.dims.join(", ")}]; broadcasting is not supported`);
    const out = this.makeValue(n.outputs[0]!, a.dims, a.layout, this.at(n, "output[0]"), a.perm);
    out.quant = this.quantOf(n, 6, 7);
    this.emit({ kind: "add", id: this.newId(n), input: a.name, other: b.name, output: out.name, from: this.at(n) });
  }

  /** x + constant: the bias of the Conv/MatMul/Gemm that wrote x. */
  private biasAdd(n: OnnxNode, constSlot: number): void {
    const xName = this.resolve(n.inputs[1 - constSlot]!);
    const t = this.constants.get(this.resolve(n.inputs[constSlot]!))!;
    const op = this.producer.get(xName);
    if (!op || (op.kind !== "conv" && op.kind !== "matmul") || op.act || !this.single(n.inputs[1 - constSlot]!) || op.bias.q) {
      throw new ModelError(this.at(n), `adds the constant "${t.name}" to "${xName}", which is not the only use of a Conv/MatMul/Gemm output; only a bias add is supported`);
    }
    const channels = op.kind === "conv" ? op.filters : op.units;
    const c = valuesOf(t);
    const perChannel = c.length === channels && t.dims.filter((d) => d !== 1).length <= 1 && (op.kind === "matmul" || t.dims.length < 3 || t.dims.at(-3) === channels);
    if (c.length !== 1 && !perChannel) throw new ModelError(this.at(n), `constant "${t.name}" of shape [${t.dims.join(", ")}] is not one value per output channel (${channels})`);
    op.bias = { real: Float32Array.from(op.bias.real, (b, i) => b + c[c.length === 1 ? 0 : i]!) };
    this.retarget(op, n.outputs[0]!);
  }

  /** The op now writes `name` (what followed it was absorbed). */
  private retarget(op: Op, name: string): void {
    const old = this.values.get(op.output)!;
    this.producer.delete(op.output);
    this.values.delete(op.output);
    op.output = name;
    this.values.set(name, { ...old, name });
    this.producer.set(name, op);
  }

  private clipBounds(n: OnnxNode): Activation {
    const opset = this.g.opsets[""] ?? 11;
    if (opset < 11) return { min: float(n, "min", -Infinity), max: float(n, "max", Infinity) };
    const bound = (slot: number, open: number) => (n.inputs[slot] ? this.scalar(n, slot, slot === 1 ? "min" : "max") : open);
    return { min: bound(1, -Infinity), max: bound(2, Infinity) };
  }

  private activation(n: OnnxNode, act: Activation): void {
    const x = this.value(n, 0);
    const op = this.producer.get(x.name);
    if (op && (op.kind === "conv" || op.kind === "matmul" || op.kind === "add") && !op.act && !x.quant && this.single(n.inputs[0]!)) {
      op.act = act;
      this.retarget(op, n.outputs[0]!);
      return;
    }
    const out = this.makeValue(n.outputs[0]!, x.dims, x.layout, this.at(n, "output[0]"), x.perm);
    this.emit({ kind: "clamp", id: this.newId(n), input: x.name, output: out.name, from: this.at(n), act });
  }

  private pool(n: OnnxNode): void {
    const x = this.value(n, 0);
    if (x.layout !== "nchw") throw new ModelError(this.at(n, "input[0]"), `reads [${x.dims.join(", ")}]; pooling needs an NCHW [1, C, H, W] tensor`);
    const [, channels, inH, inW] = x.dims as [number, number, number, number];
    const global = n.opType === "GlobalAveragePool";
    const kernel: [number, number] = global ? [inH, inW] : (pair(ints(n, "kernel_shape", []), this.at(n, "attribute kernel_shape")));
    if (!global) {
      if (int(n, "storage_order", 0) !== 0) throw new ModelError(this.at(n, "attribute storage_order"), "column-major indices are not supported");
      if (ints(n, "dilations", [1, 1]).some((d) => d !== 1)) throw new ModelError(this.at(n, "attribute dilations"), "dilated pooling is not supported");
    }
    const g = global ? { out: [1, 1] as [number, number], stride: [1, 1] as [number, number], padding: [0, 0, 0, 0] as [number, number, number, number] } : this.window(n, [inH, inW], kernel);
    if (n.opType === "AveragePool" && int(n, "count_include_pad", 0) === 1 && g.padding.some((p) => p > 0)) {
      throw new ModelError(this.at(n, "attribute count_include_pad"), "padded averages that count the padding are not supported (strongnet averages the valid values, as count_include_pad = 0)");
    }
    const out = this.makeValue(n.outputs[0]!, [1, channels, g.out[0], g.out[1]], "nchw", this.at(n, "output[0]"));
    this.emit({ kind: n.opType === "MaxPool" ? "max_pool" : "average_pool", id: this.newId(n), input: x.name, output: out.name, from: this.at(n), pool: kernel, stride: g.stride, padding: g.padding });
  }

  /** strides, dilations, pads and auto_pad made explicit, with the output size. */
  private window(n: OnnxNode, input: [number, number], kernel: [number, number]) {
    const stride = pair(ints(n, "strides", [1, 1]), this.at(n, "attribute strides"));
    const dilation = pair(ints(n, "dilations", [1, 1]), this.at(n, "attribute dilations"));
    const autoPad = str(n, "auto_pad", "NOTSET");
    const ceil = int(n, "ceil_mode", 0) === 1;
    const pads = ints(n, "pads", [0, 0, 0, 0]);
    if (pads.length !== 4 || pads.some((p) => p < 0)) throw new ModelError(this.at(n, "attribute pads"), `[${pads.join(", ")}] is not 4 non-negative values`);
    const padding: [number, number, number, number] = [pads[0]!, pads[1]!, pads[2]!, pads[3]!];
    const out: [number, number] = [0, 0];
    for (const d of [0, 1]) {
      const eff = (kernel[d]! - 1) * dilation[d]! + 1;
      if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
        out[d] = Math.ceil(input[d]! / stride[d]!);
        const total = Math.max((out[d]! - 1) * stride[d]! + eff - input[d]!, 0);
        const small = Math.floor(total / 2);
        [padding[d], padding[d + 2]] = autoPad === "SAME_UPPER" ? [small, total - small] : [total - small, small];
      } else {
        if (autoPad === "VALID") [padding[d], padding[d + 2]] = [0, 0];
        else if (autoPad !== "NOTSET") throw new ModelError(this.at(n, "attribute auto_pad"), `"${autoPad}" is not an auto_pad mode`);
        const span = input[d]! + padding[d]! + padding[d + 2]! - eff;
        out[d] = (ceil ? Math.ceil(span / stride[d]!) : Math.floor(span / stride[d]!)) + 1;
        if (ceil && out[d] !== Math.floor(span / stride[d]!) + 1) throw new ModelError(this.at(n, "attribute ceil_mode"), "ceil_mode = 1 with a partial last window is not supported");
      }
      if (out[d]! < 1) throw new ModelError(this.at(n), `the window does not fit the input (${input.join("x")})`);
    }
    return { out, stride, dilation, padding };
  }

  /** The output dims of Reshape / Flatten / Squeeze / Unsqueeze. */
  private reshapeDims(n: OnnxNode, dims: number[]): number[] {
    const size = shapeSize(dims);
    switch (n.opType) {
      case "Flatten": {
        let axis = int(n, "axis", 1);
        if (axis < 0) axis += dims.length;
        return [shapeSize(dims.slice(0, axis)), shapeSize(dims.slice(axis))];
      }
      case "Reshape": {
        const target = valuesOf(this.required(n, 1, "the shape"));
        const out = target.map((d, i) => (d === 0 && int(n, "allowzero", 0) === 0 ? dims[i]! : d));
        const known = shapeSize(out.filter((d) => d !== -1));
        const filled = out.map((d) => (d === -1 ? size / known : d));
        if (shapeSize(filled) !== size || filled.some((d) => !Number.isInteger(d) || d < 0)) throw new ModelError(this.at(n, "input[1]"), `cannot reshape [${dims.join(", ")}] to [${target.join(", ")}]`);
        return filled;
      }
      case "Squeeze": {
        const axes = this.axes(n, dims.length);
        return dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
      }
      default: {
        const axes = this.axes(n, dims.length + (this.axes(n, 0)?.length ?? 0)) ?? [];
        const out = [...dims];
        for (const a of [...axes].sort((x, y) => x - y)) out.splice(a, 0, 1);
        return out;
      }
    }
  }

  /** Squeeze/Unsqueeze axes, from the attribute (opset < 13) or the second input. */
  private axes(n: OnnxNode, rank: number): number[] | undefined {
    const raw = n.attributes.axes !== undefined ? ints(n, "axes", []) : n.inputs[1] ? valuesOf(this.required(n, 1, "the axes")) : undefined;
    return raw?.map((a) => (a < 0 ? a + rank : a));
  }

  private reshape(n: OnnxNode, x: Value, dims: number[]): void {
    const field = this.at(n, "output[0]");
    let layout: Value["layout"] = "plain";
    let perm: Int32Array | undefined;
    if (dims.length === 4 && dims[0] === 1) {
      // into [1, C, H, W]: the memory must already be HWC
      layout = "nchw";
      const flatOk = x.layout !== "nhwc" && !x.perm && (dims[1] === 1 || dims[2]! * dims[3]! === 1);
      if (!(x.layout === "nchw" && sameList(x.dims, dims)) && !flatOk) throw new ModelError(field, `reshapes [${x.dims.join(", ")}] into NCHW [${dims.join(", ")}]; that needs a transpose to NHWC, which strongnet does not insert`);
    } else if (x.layout === "nchw") {
      const [, c, h, w] = x.dims as [number, number, number, number];
      if (c > 1 && h * w > 1) perm = Int32Array.from({ length: c * h * w }, (_, i) => (i % (h * w)) * c + Math.floor(i / (h * w)));
    } else if (x.layout === "plain") perm = x.perm;
    const out = this.makeValue(n.outputs[0]!, dims, layout, field, perm);
    this.emit({ kind: "reshape", id: this.newId(n), input: x.name, output: out.name, from: this.at(n) });
  }

  private transpose(n: OnnxNode): void {
    const x = this.value(n, 0);
    const perm = ints(n, "perm", x.dims.map((_, i) => x.dims.length - 1 - i));
    const dims = perm.map((p) => x.dims[p]!);
    let layout: Value["layout"] | undefined;
    if (x.layout === "nchw" && sameList(perm, [0, 2, 3, 1])) layout = "nhwc";
    else if (x.layout === "nhwc" && sameList(perm, [0, 3, 1, 2])) layout = "nchw";
    else if (x.layout === "plain" && !x.perm) {
      // moving only dimensions of size 1 keeps the order of the elements
      const order = perm.filter((p) => x.dims[p] !== 1);
      if (sameList(order, [...order].sort((a, b) => a - b))) layout = "plain";
    }
    if (!layout) throw new ModelError(this.at(n, "attribute perm"), `[${perm.join(", ")}] on [${x.dims.join(", ")}] moves data; strongnet accepts a Transpose only where it changes the layout (NCHW <-> NHWC)`);
    const out = this.makeValue(n.outputs[0]!, dims, layout, this.at(n, "output[0]"));
    this.emit({ kind: "reshape", id: this.newId(n), input: x.name, output: out.name, from: this.at(n) });
  }

  private softmax(n: OnnxNode): void {
    const x = this.value(n, 0);
    const opset = this.g.opsets[""] ?? 13;
    let axis = int(n, "axis", opset >= 13 ? -1 : 1);
    if (axis < 0) axis += x.dims.length;
    const rows = shapeSize(x.dims.slice(0, axis));
    const lastOnly = opset >= 13 ? shapeSize(x.dims) === x.dims[axis] : rows === 1;
    if (!lastOnly || (x.layout === "nchw" && x.shape[0] * x.shape[1] !== 1)) throw new ModelError(this.at(n), `softmax over axis ${axis} of [${x.dims.join(", ")}]; strongnet's softmax takes one row`);
    const out = this.makeValue(n.outputs[0]!, x.dims, x.layout, this.at(n, "output[0]"), x.perm);
    this.emit({ kind: "softmax", id: this.newId(n), input: x.name, output: out.name, from: this.at(n), beta: 1 });
  }
}

// ---- small helpers -------------------------------------------------------------------------------

/** How many leading inputs each operator must have (others: 1). */
const REQUIRED_INPUTS: Record<string, number> = {
  Conv: 2, MatMul: 2, Gemm: 2, Add: 2, Reshape: 2, QuantizeLinear: 2, DequantizeLinear: 2, QLinearConv: 8, QLinearMatMul: 8, QLinearAdd: 7,
  ConvInteger: 2, MatMulInteger: 2, Mul: 2,
};

/** The real values of a quantized constant: (q - zp) * scale of its slice. */
function dequantized(q: QuantizedConstant): Float32Array {
  const inner = shapeSize(q.dims.slice(q.axis + 1));
  return Float32Array.from(q.values, (v, i) => v * q.scales[q.scales.length > 1 ? Math.floor(i / inner) % q.scales.length : 0]!);
}

/** ONNX flat element i of a value -> its memory index. */
function memoryOrder(v: Value): Int32Array {
  if (v.perm) return v.perm;
  return Int32Array.from({ length: shapeSize(v.dims) }, (_, i) => i);
}

function transposeTensor(t: OnnxTensor, perm: number[], name: string): OnnxTensor {
  const dims = perm.map((p) => t.dims[p]!);
  const src = t.data as ArrayLike<number>;
  const strides = t.dims.map((_, i) => shapeSize(t.dims.slice(i + 1)));
  const out = new (t.data.constructor as new (n: number) => TensorData)(src.length) as unknown as number[];
  const index = new Array<number>(dims.length).fill(0);
  for (let o = 0; o < src.length; o++) {
    let from = 0;
    for (let d = 0; d < dims.length; d++) from += index[d]! * strides[perm[d]!]!;
    out[o] = src[from]!;
    for (let d = dims.length - 1; d >= 0 && ++index[d]! === dims[d]; d--) index[d] = 0;
  }
  return { name, dims, type: t.type, data: out as unknown as TensorData };
}

const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const samePerm = (a?: Int32Array, b?: Int32Array): boolean => (!a && !b) || (!!a && !!b && sameList(Array.from(a), Array.from(b)));

function ints(n: OnnxNode, name: string, fallback: number[]): number[] {
  const v = n.attributes[name];
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) throw new ModelError(`onnx: graph.node[${n.index}] (${n.opType}).attribute ${name}`, "should be a list of integers");
  return v as number[];
}

function int(n: OnnxNode, name: string, fallback: number): number {
  const v = n.attributes[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v)) throw new ModelError(`onnx: graph.node[${n.index}] (${n.opType}).attribute ${name}`, "should be an integer");
  return v;
}

function float(n: OnnxNode, name: string, fallback: number): number {
  const v = n.attributes[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number") throw new ModelError(`onnx: graph.node[${n.index}] (${n.opType}).attribute ${name}`, "should be a number");
  return v;
}

function str(n: OnnxNode, name: string, fallback: string): string {
  const v = n.attributes[name];
  if (v === undefined) return fallback;
  if (typeof v !== "string") throw new ModelError(`onnx: graph.node[${n.index}] (${n.opType}).attribute ${name}`, "should be a string");
  return v;
}

function pair(v: number[], field: string): [number, number] {
  if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < 1)) throw new ModelError(field, `[${v.join(", ")}] is not 2 positive integers (strongnet imports 2-D windows)`);
  return [v[0]!, v[1]!];
}

export function cIdentifier(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(?=[0-9])/, "n_").slice(0, 48);
  return name || "layer";
}
