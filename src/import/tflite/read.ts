/**
 * The TFLite flatbuffer reader: turns a .tflite file into a plain TfliteGraph (subgraph 0, its
 * tensors with their constant bytes and quantization, its operators with decoded options). It
 * interprets nothing: deciding what strongnet can convert is the converter's job (see
 * describeUnsupported for the list of reasons to refuse).
 *
 * Every failure is a ModelError naming the field (`tflite: operators[3].inputs[1]`) and the file.
 * The bytes are read through CheckedByteBuffer, which verifies every offset, table, vector and
 * string as it is read (see checked-buffer.ts); anything else the flatbuffers runtime might throw
 * is caught and reported as a ModelError too.
 */
import { readFileSync } from "node:fs";
import * as flatbuffers from "flatbuffers";
import { ModelError } from "../../format/errors.js";
import { CheckedByteBuffer, FlatbufferError } from "./checked-buffer.js";
import { TABLE_FIELDS } from "./schema/fields.js";
import * as fb from "./schema/schema_generated.js";

export interface TfliteQuantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  /** as stored */
  shape: number[];
  /** when present and non-empty (-1 = dynamic dimension) */
  shapeSignature?: number[];
  /** TensorType name: "INT8", "INT32", "FLOAT32", "INT16", "INT4", "UINT8", ... */
  type: string;
  buffer: number;
  /** a copy of the constant bytes when the tensor's buffer is non-empty, else undefined */
  data?: Uint8Array;
  /** undefined when absent or empty (no scale and no zero point) */
  quantization?: TfliteQuantization;
  isVariable: boolean;
  /** set when the tensor has sparsity parameters: `data` is then the compressed form, unchecked */
  sparse?: true;
}

export interface TfliteOperator {
  index: number;
  /** BuiltinOperator name, e.g. "FULLY_CONNECTED"; "CUSTOM:<custom_code>" for custom operators;
   *  "BUILTIN_<n>" for a builtin code this schema does not know */
  opcode: string;
  version: number;
  /** tensor indices, -1 = optional input absent */
  inputs: number[];
  outputs: number[];
  /**
   * the builtin options table as a plain object: every field of the table (defaults included),
   * camelCase as flatc names the accessors, enums as their names, longs as numbers, vectors as
   * arrays, nested tables as objects; {} when the operator has none
   */
  options: Record<string, unknown>;
}

export interface TfliteGraph {
  file: string;
  version: number;
  description: string;
  /** the reader reads subgraph 0; the converter refuses > 1 */
  subgraphCount: number;
  inputs: number[];
  outputs: number[];
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
}

const IDENTIFIER = "TFL3";
const MAX_NESTING = 16;

/** bytes per element of each TensorType; null = variable size (no data size check) */
const TYPE_BITS: Readonly<Record<string, number | null>> = {
  FLOAT32: 32,
  FLOAT16: 16,
  INT32: 32,
  UINT8: 8,
  INT64: 64,
  STRING: null,
  BOOL: 8,
  INT16: 16,
  COMPLEX64: 64,
  INT8: 8,
  FLOAT64: 64,
  COMPLEX128: 128,
  UINT64: 64,
  RESOURCE: null,
  VARIANT: null,
  UINT32: 32,
  UINT16: 16,
  INT4: 4, // packed two per byte
  BFLOAT16: 16,
  INT2: 2, // packed four per byte
  UINT4: 4,
  FLOAT8_E4M3FN: 8,
  FLOAT8_E5M2: 8,
};

/** the options table each of these operators must carry when it carries one */
const EXPECTED_OPTIONS: Readonly<Record<string, string>> = {
  FULLY_CONNECTED: "FullyConnectedOptions",
  CONV_2D: "Conv2DOptions",
  DEPTHWISE_CONV_2D: "DepthwiseConv2DOptions",
  AVERAGE_POOL_2D: "Pool2DOptions",
  MAX_POOL_2D: "Pool2DOptions",
  RESHAPE: "ReshapeOptions",
  SQUEEZE: "SqueezeOptions",
  SOFTMAX: "SoftmaxOptions",
  ADD: "AddOptions",
  MUL: "MulOptions",
  QUANTIZE: "QuantizeOptions",
  CONCATENATION: "ConcatenationOptions",
};

/** a generated table class instance, seen untyped */
interface FbTable {
  bb: flatbuffers.ByteBuffer | null;
  bb_pos: number;
}
type Accessor = (...args: unknown[]) => unknown;
const generated = fb as unknown as Readonly<Record<string, unknown>>;

export function readTfliteFile(path: string): TfliteGraph {
  let bytes: Uint8Array;
  try {
    const buf = readFileSync(path);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  } catch (err) {
    throw new ModelError("", `cannot read TFLite file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return readTflite(bytes, path);
}

export function readTflite(bytes: Uint8Array, file: string): TfliteGraph {
  try {
    return new Reader(bytes, file).read();
  } catch (err) {
    if (err instanceof ModelError) throw err;
    // the catch-all: a runtime error the checks above did not anticipate
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new ModelError("tflite", `${file}: corrupt TFLite flatbuffer (${what})`);
  }
}

class Reader {
  private readonly bb: CheckedByteBuffer;
  private readonly dataCache = new Map<number, Uint8Array | undefined>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.bb = new CheckedByteBuffer(bytes);
  }

  private fail(path: string, reason: string): never {
    throw new ModelError(path ? `tflite: ${path}` : "tflite", `${reason} (in ${this.file})`);
  }

  /** runs `read`, reporting a verifier failure as a ModelError at `path` */
  private at<T>(path: string, read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof FlatbufferError) this.fail(path, `corrupt flatbuffer: ${err.message}`);
      throw err;
    }
  }

  read(): TfliteGraph {
    const { bytes, bb } = this;
    if (bytes.length < 8) {
      this.fail("", `the file is ${bytes.length} bytes long; a TFLite flatbuffer has at least 8 (root offset and "${IDENTIFIER}")`);
    }
    const ident = bytes.subarray(4, 8);
    const identText = String.fromCharCode(...ident);
    if (identText !== IDENTIFIER) {
      const shown = /^[\x20-\x7e]{4}$/.test(identText)
        ? JSON.stringify(identText)
        : `bytes ${[...ident].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`;
      this.fail("", `not a TFLite model: the file identifier (bytes 4..8) is ${shown}, expected "${IDENTIFIER}"`);
    }

    const model = this.at("model", () => new fb.Model().__init(bb.tableAt(0), bb));
    const version = this.at("version", () => model.version());
    const description = this.at("description", () => model.description() ?? "");
    const subgraphCount = this.at("subgraphs", () => model.subgraphsLength());
    if (subgraphCount === 0) this.fail("subgraphs", "the model has no subgraphs");
    const opcodes = this.readOperatorCodes(model);
    const bufferCount = this.at("buffers", () => model.buffersLength());
    const sg = this.at("subgraphs[0]", () => model.subgraphs(0)!);

    const tensorCount = this.at("tensors", () => sg.tensorsLength());
    const tensors: TfliteTensor[] = [];
    for (let i = 0; i < tensorCount; i++) {
      tensors.push(this.readTensor(model, sg, i, bufferCount));
    }
    const inputs = this.tensorList("inputs", tensorCount, false, () => sg.inputsLength(), (i) => sg.inputs(i));
    const outputs = this.tensorList("outputs", tensorCount, false, () => sg.outputsLength(), (i) => sg.outputs(i));

    const operatorCount = this.at("operators", () => sg.operatorsLength());
    const operators: TfliteOperator[] = [];
    for (let i = 0; i < operatorCount; i++) {
      operators.push(this.readOperator(sg, i, opcodes, tensorCount));
    }
    return { file: this.file, version, description, subgraphCount, inputs, outputs, tensors, operators };
  }

  private readOperatorCodes(model: fb.Model): Array<{ name: string; version: number }> {
    const count = this.at("operator_codes", () => model.operatorCodesLength());
    const out: Array<{ name: string; version: number }> = [];
    for (let i = 0; i < count; i++) {
      const path = `operator_codes[${i}]`;
      out.push(
        this.at(path, () => {
          const oc = model.operatorCodes(i)!;
          // TFLite's rule (schema_utils GetBuiltinCode): the larger of the two code fields
          const code = Math.max(oc.builtinCode(), oc.deprecatedBuiltinCode());
          let name = fb.BuiltinOperator[code] ?? `BUILTIN_${code}`;
          if (name === "CUSTOM") name = `CUSTOM:${oc.customCode() ?? ""}`;
          return { name, version: oc.version() };
        }),
      );
    }
    return out;
  }

  private tensorList(
    path: string,
    tensorCount: number,
    optional: boolean,
    length: () => number,
    get: (i: number) => number | null,
  ): number[] {
    const n = this.at(path, length);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = this.at(`${path}[${i}]`, () => get(i) ?? 0);
      if (optional && t === -1) {
        out.push(t);
        continue;
      }
      if (t < 0 || t >= tensorCount) {
        this.fail(
          `${path}[${i}]`,
          `tensor index ${t} is out of range: the subgraph has ${tensorCount} tensors${optional ? " (-1 marks an absent optional input)" : ""}`,
        );
      }
      out.push(t);
    }
    return out;
  }

  private intVector(path: string, length: () => number, get: (i: number) => number | null): number[] {
    return this.at(path, () => {
      const n = length();
      this.bb.spend(n);
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(get(i) ?? 0);
      return out;
    });
  }

  private readTensor(model: fb.Model, sg: fb.SubGraph, index: number, bufferCount: number): TfliteTensor {
    const path = `tensors[${index}]`;
    const t = this.at(path, () => sg.tensors(index)!);
    const name = this.at(`${path}.name`, () => t.name() ?? "");
    const shape = this.intVector(`${path}.shape`, () => t.shapeLength(), (i) => t.shape(i));
    shape.forEach((d, i) => {
      if (d < 0) this.fail(`${path}.shape[${i}]`, `tensor "${name}" has a negative dimension ${d}`);
    });
    const signature = this.intVector(`${path}.shape_signature`, () => t.shapeSignatureLength(), (i) => t.shapeSignature(i));
    const typeCode = this.at(`${path}.type`, () => t.type());
    const type = fb.TensorType[typeCode];
    if (type === undefined) this.fail(`${path}.type`, `tensor "${name}" has unknown tensor type ${typeCode}`);
    const buffer = this.at(`${path}.buffer`, () => t.buffer());
    if (buffer >= bufferCount) {
      this.fail(`${path}.buffer`, `tensor "${name}" refers to buffer ${buffer}, but the model has ${bufferCount} buffers`);
    }
    const isVariable = this.at(`${path}.is_variable`, () => t.isVariable());
    const sparse = this.at(`${path}.sparsity`, () => t.sparsity() !== null);
    const quantization = this.readQuantization(t, path, name);
    const data = this.bufferData(model, buffer);

    const tensor: TfliteTensor = { index, name, shape, type, buffer, isVariable };
    if (signature.length > 0) tensor.shapeSignature = signature;
    if (quantization) tensor.quantization = quantization;
    if (sparse) tensor.sparse = true;
    if (data) {
      tensor.data = data;
      const bits = TYPE_BITS[type];
      if (bits != null && !sparse) {
        let elements = 1;
        for (const d of shape) elements *= d;
        const expected = Math.ceil((elements * bits) / 8);
        if (expected !== data.length) {
          this.fail(
            `${path}.buffer`,
            `tensor "${name}" ${type}[${shape.join(",")}] needs ${expected} bytes, but buffer ${buffer} holds ${data.length}`,
          );
        }
      }
    }
    return tensor;
  }

  private readQuantization(t: fb.Tensor, tensorPath: string, name: string): TfliteQuantization | undefined {
    const path = `${tensorPath}.quantization`;
    const q = this.at(path, () => t.quantization());
    if (!q) return undefined;
    const scale = this.at(`${path}.scale`, () => {
      const n = q.scaleLength();
      this.bb.spend(n);
      return Array.from({ length: n }, (_, i) => q.scale(i) ?? 0);
    });
    const zeroPoint = this.at(`${path}.zero_point`, () => {
      const n = q.zeroPointLength();
      this.bb.spend(n);
      return Array.from({ length: n }, (_, i) => this.scalar(q.zeroPoint(i) ?? 0n, `${path}.zero_point[${i}]`) as number);
    });
    const quantizedDimension = this.at(`${path}.quantized_dimension`, () => q.quantizedDimension());
    if (scale.length === 0 && zeroPoint.length === 0) return undefined;
    if (zeroPoint.length !== scale.length) {
      this.fail(path, `tensor "${name}" has ${scale.length} scales but ${zeroPoint.length} zero points`);
    }
    // quantized_dimension is not checked against the shape: TOCO-era models (person_detect)
    // store per-channel rank-1 biases with the weights' dimension 3; the converter decides.
    return { scale, zeroPoint, quantizedDimension };
  }

  /** the bytes of buffer `index`, or undefined when it is empty */
  private bufferData(model: fb.Model, index: number): Uint8Array | undefined {
    if (this.dataCache.has(index)) return this.dataCache.get(index);
    const path = `buffers[${index}]`;
    const data = this.at(path, () => {
      const b = model.buffers(index)!;
      // `data` is Buffer's first field (vtable slot 4); read in bulk instead of byte by byte
      const dataField = this.bb.__offset(b.bb_pos, 4);
      if (dataField !== 0) {
        const v = this.bb.vectorAt(b.bb_pos + dataField);
        const len = this.bb.readUint32(v);
        if (len > 0) return this.bb.copy(v + 4, len, "the buffer's data");
      }
      // models over 2 GB keep data outside the flatbuffer: offset/size from the file start
      const offset = b.offset();
      const size = b.size();
      if (offset > 1n) {
        if (offset > BigInt(Number.MAX_SAFE_INTEGER) || size > BigInt(Number.MAX_SAFE_INTEGER)) {
          this.fail(path, `the buffer's external data (offset ${offset}, size ${size}) lies outside the ${this.bytes.length}-byte file`);
        }
        if (size === 0n) return undefined;
        return this.bb.copy(Number(offset), Number(size), "the buffer's external data");
      }
      return undefined;
    });
    this.dataCache.set(index, data);
    return data;
  }

  private readOperator(sg: fb.SubGraph, index: number, opcodes: ReadonlyArray<{ name: string; version: number }>, tensorCount: number): TfliteOperator {
    const path = `operators[${index}]`;
    const op = this.at(path, () => sg.operators(index)!);
    const opcodeIndex = this.at(`${path}.opcode_index`, () => op.opcodeIndex());
    const code = opcodes[opcodeIndex];
    if (!code) {
      this.fail(`${path}.opcode_index`, `operator code ${opcodeIndex} is out of range: the model has ${opcodes.length} operator codes`);
    }
    const inputs = this.tensorList(`${path}.inputs`, tensorCount, true, () => op.inputsLength(), (i) => op.inputs(i));
    const outputs = this.tensorList(`${path}.outputs`, tensorCount, false, () => op.outputsLength(), (i) => op.outputs(i));
    const options = this.readOptions(op, path, code.name);
    return { index, opcode: code.name, version: code.version, inputs, outputs, options };
  }

  private readOptions(op: fb.Operator, opPath: string, opcode: string): Record<string, unknown> {
    for (const [field, union] of [
      ["builtin_options", "BuiltinOptions"],
      ["builtin_options_2", "BuiltinOptions2"],
    ] as const) {
      const path = `${opPath}.${field}`;
      const typeCode = this.at(`${path}_type`, () => (union === "BuiltinOptions" ? op.builtinOptionsType() : op.builtinOptions2Type()));
      if (typeCode === 0) continue;
      const member = union === "BuiltinOptions" ? fb.BuiltinOptions[typeCode] : fb.BuiltinOptions2[typeCode];
      if (member === undefined) this.fail(`${path}_type`, `unknown ${union} type ${typeCode}`);
      const expected = EXPECTED_OPTIONS[opcode];
      if (expected !== undefined && member !== expected) {
        this.fail(`${path}_type`, `a ${opcode} operator carries ${member}, expected ${expected}`);
      }
      const Cls = generated[member];
      if (typeof Cls !== "function") this.fail(path, `no generated class for ${member}`);
      const table = this.at(path, () =>
        union === "BuiltinOptions"
          ? (op.builtinOptions(new (Cls as new () => FbTable)()) as FbTable | null)
          : (op.builtinOptions2(new (Cls as new () => FbTable)()) as FbTable | null),
      );
      return table ? this.decodeTable(table, member, path, 0) : {};
    }
    return {};
  }

  /** any generated table as a plain object, driven by fields.ts (generated from the accessors) */
  private decodeTable(table: FbTable, className: string, path: string, depth: number): Record<string, unknown> {
    if (depth > MAX_NESTING) this.fail(path, `tables nested more than ${MAX_NESTING} deep`);
    const fields = TABLE_FIELDS[className];
    if (!fields) this.fail(path, `no field list for ${className}`);
    const methods = table as unknown as Record<string, Accessor | undefined>;
    const call = (name: string, ...args: unknown[]): unknown => {
      const f = methods[name];
      if (typeof f !== "function") this.fail(path, `${className} has no accessor ${name}`);
      return f.apply(table, args);
    };
    const out: Record<string, unknown> = {};
    for (const [name, kind, type] of fields) {
      const p = `${path}.${name}`;
      this.at(p, () => {
        const length = (): number => {
          const n = call(`${name}Length`) as number;
          this.bb.spend(n);
          return n;
        };
        switch (kind) {
          case "scalar":
            out[name] = this.scalar(call(name), p);
            break;
          case "enum":
            out[name] = this.enumName(type, call(name), p);
            break;
          case "string": {
            const s = call(name);
            if (s !== null) out[name] = s;
            break;
          }
          case "table": {
            const t = call(name) as FbTable | null;
            if (t) out[name] = this.decodeTable(t, type, p, depth + 1);
            break;
          }
          case "union": {
            const tc = call(`${name}Type`);
            if (tc === 0) break;
            const member = this.enumName(type, tc, `${p}Type`);
            const Cls = generated[member];
            if (typeof Cls !== "function") this.fail(p, `no generated class for ${member}`);
            const t = call(name, new (Cls as new () => FbTable)()) as FbTable | null;
            if (t) out[name] = { type: member, ...this.decodeTable(t, member, p, depth + 1) };
            break;
          }
          case "vector":
            out[name] = Array.from({ length: length() }, (_, i) => this.scalar(call(name, i), `${p}[${i}]`));
            break;
          case "enumVector":
            out[name] = Array.from({ length: length() }, (_, i) => this.enumName(type, call(name, i), `${p}[${i}]`));
            break;
          case "stringVector":
            out[name] = Array.from({ length: length() }, (_, i) => call(name, i));
            break;
          case "tableVector":
            out[name] = Array.from({ length: length() }, (_, i) =>
              this.decodeTable(call(name, i) as FbTable, type, `${p}[${i}]`, depth + 1),
            );
            break;
        }
      });
    }
    return out;
  }

  private scalar(v: unknown, path: string): number | boolean {
    if (typeof v === "bigint") {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        this.fail(path, `the value ${v} does not fit a JavaScript number`);
      }
      return Number(v);
    }
    if (typeof v === "number" || typeof v === "boolean") return v;
    return this.fail(path, `unexpected ${typeof v} value`);
  }

  private enumName(enumName: string, v: unknown, path: string): string {
    const e = generated[enumName] as Readonly<Record<string, unknown>> | undefined;
    const name = typeof v === "number" && e ? e[v] : undefined;
    if (typeof name !== "string") this.fail(path, `${String(v)} is not a ${enumName} value`);
    return name;
  }
}

/**
 * Everything in `graph` the converter cannot handle, one line each (empty when nothing):
 * extra subgraphs, unsupported operators (with counts and operator indices), unsupported tensor
 * types (with counts and the first tensor names), sparse tensors, dynamic shapes (-1 in the
 * shape signature outside dimension 0) and batch > 1 on the graph's inputs and outputs.
 */
export function describeUnsupported(
  graph: TfliteGraph,
  supportedOps: ReadonlySet<string>,
  supportedTypes: ReadonlySet<string>,
): string[] {
  const lines: string[] = [];
  const quoted = (name: string): string => JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
  const names = (ts: readonly TfliteTensor[]): string => {
    const shown = ts.slice(0, 5).map((t) => quoted(t.name));
    return shown.join(", ") + (ts.length > 5 ? ", ..." : "");
  };
  const indices = (xs: readonly number[]): string => xs.slice(0, 10).join(", ") + (xs.length > 10 ? ", ..." : "");
  const groupBy = <T>(items: readonly T[], key: (x: T) => string | undefined): Map<string, T[]> => {
    const m = new Map<string, T[]>();
    for (const x of items) {
      const k = key(x);
      if (k === undefined) continue;
      const list = m.get(k);
      if (list) list.push(x);
      else m.set(k, [x]);
    }
    return m;
  };

  if (graph.subgraphCount > 1) {
    lines.push(`subgraphs x${graph.subgraphCount}: only a single subgraph is supported (control flow or multiple signatures)`);
  }
  for (const [op, ops] of groupBy(graph.operators, (o) => (supportedOps.has(o.opcode) ? undefined : o.opcode))) {
    lines.push(`operator ${op} x${ops.length} (operator${ops.length > 1 ? "s" : ""} ${indices(ops.map((o) => o.index))})`);
  }
  for (const [type, ts] of groupBy(graph.tensors, (t) => (supportedTypes.has(t.type) ? undefined : t.type))) {
    lines.push(`tensor type ${type} x${ts.length}: ${names(ts)}`);
  }
  const sparse = graph.tensors.filter((t) => t.sparse);
  if (sparse.length > 0) lines.push(`sparse tensor x${sparse.length}: ${names(sparse)}`);
  // A -1 in dimension 0 is the usual "any batch" of Keras-converted models: the stored shape
  // fixes it (batch 1, checked below), as TFLite Micro does. Elsewhere -1 is a real dynamic shape.
  const dynamic = graph.tensors.filter((t) => t.shapeSignature?.some((d, i) => d < 0 && i > 0));
  if (dynamic.length > 0) {
    const shown = dynamic.slice(0, 5).map((t) => `${quoted(t.name)} [${t.shapeSignature!.join(",")}]`);
    lines.push(`dynamic shape x${dynamic.length}: ${shown.join(", ")}${dynamic.length > 5 ? ", ..." : ""}`);
  }
  for (const [role, list] of [
    ["input", graph.inputs],
    ["output", graph.outputs],
  ] as const) {
    for (const i of list) {
      const t = graph.tensors[i];
      if (t && t.shape.length >= 2 && t.shape[0]! > 1) {
        lines.push(`batch ${t.shape[0]} on ${role} ${quoted(t.name)} [${t.shape.join(",")}]: only batch 1 is supported`);
      }
    }
  }
  return lines;
}
