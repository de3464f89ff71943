/**
 * The importer's middle form: an ONNX graph lowered to strongnet's layer vocabulary in NHWC, still
 * with real (float) weights and with the quantization of each tensor where the file states it
 * (QuantizeLinear / DequantizeLinear pairs, QLinear* operands). Calibration fills in the rest;
 * emit.ts turns it into int8 layers.
 */

/** real = scale * (q - zeroPoint), q int8 */
export interface Quant {
  scale: number;
  zeroPoint: number;
  /** the file stored it as uint8 (zeroPoint is already moved by -128) */
  fromUint8?: boolean;
}

/** A tensor as strongnet stores it. */
export interface Value {
  name: string;
  /** [h, w, c] in memory (NHWC without the batch) */
  shape: [number, number, number];
  /** the ONNX dims, batch included */
  dims: number[];
  /** "nchw": a 4-D ONNX tensor stored as HWC; "nhwc": a 4-D ONNX tensor already NHWC (after a
   *  Transpose); "plain": any other rank, stored in ONNX order (except `perm`) */
  layout: "nchw" | "nhwc" | "plain";
  /** a flat tensor made from an NCHW one: ONNX element i lives at memory index perm[i] */
  perm?: Int32Array;
  quant?: Quant;
}

/** Weights as stored by the file: real values, and the int8 values and scales when it gives them. */
export interface Weights {
  /** conv: [filters, kh, kw, cin]; depthwise: [kh, kw, channels]; dense: [units, inputs] (memory order) */
  real: Float32Array;
  /** the file's int8 weights (zero point already removed) and their scales (one or per channel) */
  q?: { values: Int32Array; scales: number[] };
}

export interface Bias {
  real: Float32Array;
  /** the file's int32 bias, in the scale s_in * s_w[c] */
  q?: Int32Array;
}

/** A fused or standalone activation: real bounds (-Infinity / Infinity when open). */
export interface Activation {
  min: number;
  max: number;
}

interface OpBase {
  /** a C identifier, unique: the ONNX node's name or op type with its index */
  id: string;
  input: string;
  output: string;
  /** the ONNX node(s) it came from, for messages */
  from: string;
}

export interface ConvOp extends OpBase {
  kind: "conv";
  depthwise: boolean;
  /** output channels per input channel of a depthwise layer (1 otherwise) */
  depthMultiplier: number;
  /** output channels */
  filters: number;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  /** [top, left, bottom, right] */
  padding: [number, number, number, number];
  weights: Weights;
  bias: Bias;
  act?: Activation;
}

export interface DenseOp extends OpBase {
  kind: "matmul";
  units: number;
  weights: Weights;
  bias: Bias;
  act?: Activation;
}

export interface AddOp extends OpBase {
  kind: "add";
  other: string;
  act?: Activation;
}

export interface PoolOp extends OpBase {
  kind: "max_pool" | "average_pool";
  pool: [number, number];
  stride: [number, number];
  padding: [number, number, number, number];
}

export interface ReshapeOp extends OpBase {
  kind: "reshape";
}

export interface SoftmaxOp extends OpBase {
  kind: "softmax";
  beta: number;
}

export interface ClampOp extends OpBase {
  kind: "clamp";
  act: Activation;
}

export type Op = ConvOp | DenseOp | AddOp | PoolOp | ReshapeOp | SoftmaxOp | ClampOp;

export interface LoweredGraph {
  file: string;
  /** the model inputs, in order */
  inputs: Value[];
  /** the value the model outputs */
  output: string;
  /** the graph output it is */
  outputName: string;
  /** graph outputs left out (strongnet models have one output) */
  droppedOutputs: string[];
  ops: Op[];
  values: Map<string, Value>;
  /** true when every weight came as int8 from the file (QDQ / QLinear): nothing to calibrate but activations */
  quantizedInFile: boolean;
  /** how uint8 tensors were converted, when there were any */
  notes: string[];
}

export const shapeSize = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
