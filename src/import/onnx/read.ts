/**
 * The ONNX reader: decodes a .onnx protobuf (with onnx-proto, the ONNX schema compiled for
 * protobufjs) into a plain OnnxGraph: its nodes with decoded attributes, its constant tensors
 * (initializers and Constant nodes) as typed arrays, and its real inputs and outputs with static
 * shapes. It interprets nothing: what can be converted is lower.ts's decision.
 *
 * Every failure, including a protobuf the decoder cannot read, is a ModelError naming the field
 * (`onnx: graph.node[3] (Conv).attribute "pads"`) and the reason (exit 2).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import onnxProto from "onnx-proto";
import { ModelError } from "../../format/errors.js";

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType names strongnet reads (others are listed as unsupported). */
export const DATA_TYPES: Record<number, string> = {
  1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
  9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16",
};

export type TensorData = Float32Array | Int8Array | Uint8Array | Int32Array | Float64Array;

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** a DATA_TYPES name */
  type: string;
  /** int64 values are converted to numbers (exact below 2^53; shapes and axes) */
  data: TensorData | number[];
}

export type AttributeValue = number | string | number[] | string[] | OnnxTensor;

export interface OnnxNode {
  index: number;
  name: string;
  opType: string;
  /** "" for the default ONNX domain, e.g. "com.microsoft" */
  domain: string;
  /** tensor names; "" for an absent optional input */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

export interface OnnxValueInfo {
  name: string;
  type: string;
  /** a number per static dimension, a string for a symbolic one (dim_param) or "?" */
  dims: (number | string)[];
}

export interface OnnxGraph {
  file: string;
  irVersion: number;
  /** domain ("" = ai.onnx) -> opset version */
  opsets: Record<string, number>;
  producer: string;
  nodes: OnnxNode[];
  /** initializers and Constant node outputs, by name */
  constants: Map<string, OnnxTensor>;
  /** graph inputs that are not initializers */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export function readOnnxFile(path: string): OnnxGraph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ModelError(path, `cannot read: ${(e as Error).message}`);
  }
  return readOnnx(bytes, path);
}

export function readOnnx(bytes: Uint8Array, file = "model.onnx"): OnnxGraph {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelError(`onnx: ${file}`, `not a readable ONNX protobuf (${(e as Error).message})`);
  }
  const g = model.graph;
  if (!g) throw new ModelError(`onnx: ${file}`, "has no graph (is it an ONNX model?)");
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain ?? ""] = Number(o.version);
  if (opsets[""] === undefined && !Object.keys(opsets).length) opsets[""] = 1;
  const constants = new Map<string, OnnxTensor>();
  (g.initializer ?? []).forEach((t, i) => constants.set(t.name ?? "", tensorOf(t, `onnx: graph.initializer[${i}]`)));
  const nodes = (g.node ?? []).map((n, index) => nodeOf(n, index));
  for (const n of nodes) {
    if (n.opType === "Constant" && n.domain === "") constants.set(n.outputs[0] ?? "", constantValue(n));
  }
  const inputs = (g.input ?? []).filter((v) => !constants.has(v.name ?? "")).map((v, i) => valueInfoOf(v, `onnx: graph.input[${i}]`));
  const outputs = (g.output ?? []).map((v, i) => valueInfoOf(v, `onnx: graph.output[${i}]`));
  return {
    file,
    irVersion: Number(model.irVersion ?? 0),
    opsets,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(" "),
    nodes: nodes.filter((n) => !(n.opType === "Constant" && n.domain === "")),
    constants,
    inputs,
    outputs,
  };
}

function nodeOf(n: onnxProto.onnx.INodeProto, index: number): OnnxNode {
  const opType = n.opType ?? "";
  const field = `onnx: graph.node[${index}] (${opType || "?"})`;
  if (!opType) throw new ModelError(field, "has no op_type");
  const attributes: Record<string, AttributeValue> = {};
  for (const a of n.attribute ?? []) attributes[a.name ?? ""] = attributeOf(a, `${field}.attribute "${a.name}"`);
  return {
    index,
    name: n.name ?? "",
    opType,
    domain: n.domain === "ai.onnx" ? "" : (n.domain ?? ""),
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes,
  };
}

/** AttributeProto.AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, 8 STRINGS. */
function attributeOf(a: onnxProto.onnx.IAttributeProto, field: string): AttributeValue {
  switch (Number(a.type ?? 0)) {
    case 1:
      return Number(a.f ?? 0);
    case 2:
      return toNumber(a.i ?? 0, field);
    case 3:
      return Buffer.from(a.s ?? new Uint8Array()).toString("utf8");
    case 4:
      if (!a.t) throw new ModelError(field, "a TENSOR attribute without a tensor");
      return tensorOf(a.t, field);
    case 6:
      return (a.floats ?? []).map(Number);
    case 7:
      return (a.ints ?? []).map((v) => toNumber(v, field));
    case 8:
      return (a.strings ?? []).map((s) => Buffer.from(s).toString("utf8"));
    default:
      throw new ModelError(field, `attribute type ${a.type} (graphs, sparse tensors, type protos) is not supported`);
  }
}

function constantValue(n: OnnxNode): OnnxTensor {
  const field = `onnx: graph.node[${n.index}] (Constant)`;
  const name = n.outputs[0] ?? "";
  const v = n.attributes.value;
  if (v && typeof v === "object" && !Array.isArray(v)) return { ...v, name };
  const scalar = n.attributes.value_float ?? n.attributes.value_int;
  if (typeof scalar === "number") return { name, dims: [], type: n.attributes.value_float !== undefined ? "float32" : "int64", data: n.attributes.value_float !== undefined ? Float32Array.of(scalar) : [scalar] };
  const list = n.attributes.value_floats ?? n.attributes.value_ints;
  if (Array.isArray(list)) return { name, dims: [list.length], type: n.attributes.value_floats !== undefined ? "float32" : "int64", data: n.attributes.value_floats !== undefined ? Float32Array.from(list as number[]) : (list as number[]) };
  throw new ModelError(field, "has no value strongnet reads (value, value_float(s), value_int(s))");
}

function tensorOf(t: onnxProto.onnx.ITensorProto, field: string): OnnxTensor {
  const name = t.name ?? "";
  const where = `${field} "${name}"`;
  if (Number(t.dataLocation ?? 0) === 1) throw new ModelError(where, "stores its data in an external file; save the model with the data inside (onnx.save(..., save_as_external_data=False))");
  if (t.segment) throw new ModelError(where, "is segmented; not supported");
  const dims = (t.dims ?? []).map((d) => toNumber(d, where));
  if (dims.some((d) => d < 0)) throw new ModelError(where, `has a negative dimension [${dims.join(", ")}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  const code = Number(t.dataType ?? 0);
  const type = DATA_TYPES[code] ?? `type ${code}`;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const data = raw ? fromRaw(raw, type, count, where) : fromFields(t, type, where);
  if (data.length !== count) throw new ModelError(where, `has ${data.length} values for dims [${dims.join(", ")}] (${count})`);
  return { name, dims, type, data };
}

const BYTES: Record<string, number> = { float32: 4, uint8: 1, int8: 1, int32: 4, int64: 8, float64: 8, int16: 2, uint16: 2, bool: 1 };

function fromRaw(raw: Uint8Array, type: string, count: number, where: string): TensorData | number[] {
  const size = BYTES[type];
  if (size === undefined) throw new ModelError(where, `${type} tensors are not supported`);
  if (raw.length !== count * size) throw new ModelError(where, `raw_data has ${raw.length} bytes; ${count} ${type} values need ${count * size}`);
  const copy = raw.slice();
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  switch (type) {
    case "float32":
      return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
    case "float64":
      return Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true));
    case "int32":
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
    case "int64":
      return Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    case "int8":
      return new Int8Array(copy.buffer, copy.byteOffset, count);
    case "uint8":
    case "bool":
      return copy;
    case "int16":
      return Int32Array.from({ length: count }, (_, i) => view.getInt16(i * 2, true));
    default:
      return Int32Array.from({ length: count }, (_, i) => view.getUint16(i * 2, true));
  }
}

/** The typed fields: float_data, int32_data (also int8/uint8/int16/bool), int64_data, double_data. */
function fromFields(t: onnxProto.onnx.ITensorProto, type: string, where: string): TensorData | number[] {
  switch (type) {
    case "float32":
      return Float32Array.from(t.floatData ?? []);
    case "float64":
      return Float64Array.from(t.doubleData ?? []);
    case "int32":
    case "int16":
    case "uint16":
      return Int32Array.from(t.int32Data ?? []);
    case "int8":
      return Int8Array.from(t.int32Data ?? []);
    case "uint8":
    case "bool":
      return Uint8Array.from(t.int32Data ?? []);
    case "int64":
      return (t.int64Data ?? []).map((v) => toNumber(v, where));
    default:
      throw new ModelError(where, `${type} tensors are not supported`);
  }
}

function valueInfoOf(v: onnxProto.onnx.IValueInfoProto, field: string): OnnxValueInfo {
  const name = v.name ?? "";
  const tt = v.type?.tensorType;
  if (!tt) return { name, type: "?", dims: [] };
  const code = Number(tt.elemType ?? 0);
  const dims = (tt.shape?.dim ?? []).map((d) => ((d as { value?: string }).value === "dimValue" ? toNumber(d.dimValue, `${field} "${name}"`) : d.dimParam || "?"));
  return { name, type: DATA_TYPES[code] ?? `type ${code}`, dims };
}

/** protobufjs returns int64 fields as numbers or Long objects. */
function toNumber(v: unknown, field: string): number {
  const n = typeof v === "number" ? v : typeof v === "object" && v !== null && "toNumber" in v ? (v as { toNumber(): number }).toNumber() : Number(v);
  if (!Number.isFinite(n) || !Number.isSafeInteger(Math.trunc(n))) throw new ModelError(field, `integer ${String(v)} is out of range`);
  return n;
}

/** A tensor's elements as plain numbers. */
export const valuesOf = (t: OnnxTensor): number[] => Array.from(t.data as ArrayLike<number>);
