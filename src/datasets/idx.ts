/**
 * A reader for the IDX format (the file format of MNIST and Fashion-MNIST,
 * http://yann.lecun.com/exdb/mnist/):
 *
 *   bytes 0-1  zero
 *   byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
 *   byte  3    number of dimensions (1..255)
 *   then       one big-endian uint32 per dimension
 *   then       the elements, big-endian, row-major (last dimension fastest)
 *
 * A file whose name ends in `.gz` is gunzipped first (node:zlib). Anything wrong — bad magic,
 * unknown type, truncated header or data, trailing bytes — is an IdxError naming the file and
 * the problem.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { DataError } from "./errors.js";

export type IdxDtype = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  dims: number[];
  data: IdxData;
}

/** A malformed IDX file: a DataError (exit 2) naming the file and the problem. */
export class IdxError extends DataError {
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(source, reason);
    this.name = "IdxError";
  }
}

const DTYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: "uint8", bytes: 1 },
  0x09: { dtype: "int8", bytes: 1 },
  0x0b: { dtype: "int16", bytes: 2 },
  0x0c: { dtype: "int32", bytes: 4 },
  0x0d: { dtype: "float32", bytes: 4 },
  0x0e: { dtype: "float64", bytes: 8 },
};

/** Parses an (already decompressed) IDX buffer. `source` names it in error messages. */
export function parseIdx(buf: Uint8Array, source = "IDX data"): IdxArray {
  if (buf.length < 4) throw new IdxError(source, `truncated header: ${buf.length} bytes, an IDX file starts with 4 magic bytes`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new IdxError(source, `bad magic number 0x${hex(buf, 0, 4)}: the first two bytes of an IDX file are zero`);
  }
  const type = DTYPES[buf[2]!];
  if (!type) throw new IdxError(source, `unknown element type 0x${buf[2]!.toString(16).padStart(2, "0")} in magic number 0x${hex(buf, 0, 4)}`);
  const ndim = buf[3]!;
  if (ndim === 0) throw new IdxError(source, "magic number declares 0 dimensions");
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) {
    throw new IdxError(source, `truncated header: ${ndim} dimensions need ${headerBytes} header bytes, the file has ${buf.length}`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size;
  }
  const dataBytes = count * type.bytes;
  const available = buf.length - headerBytes;
  if (available < dataBytes) {
    throw new IdxError(source, `truncated data: dims [${dims.join(", ")}] of ${type.dtype} need ${dataBytes} bytes, the file has ${available}`);
  }
  if (available > dataBytes) {
    throw new IdxError(source, `${available - dataBytes} unexpected trailing bytes after the data of dims [${dims.join(", ")}]`);
  }
  return { dtype: type.dtype, dims, data: decode(view, headerBytes, count, type.dtype) };
}

function decode(view: DataView, at: number, count: number, dtype: IdxDtype): IdxData {
  switch (dtype) {
    case "uint8":
      return new Uint8Array(view.buffer, view.byteOffset + at, count).slice();
    case "int8":
      return new Int8Array(view.buffer, view.byteOffset + at, count).slice();
    case "int16":
      return Int16Array.from({ length: count }, (_, i) => view.getInt16(at + 2 * i, false));
    case "int32":
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(at + 4 * i, false));
    case "float32":
      return Float32Array.from({ length: count }, (_, i) => view.getFloat32(at + 4 * i, false));
    case "float64":
      return Float64Array.from({ length: count }, (_, i) => view.getFloat64(at + 8 * i, false));
  }
}

/** Reads an IDX file from disk, gunzipping it when the name ends in `.gz` or it starts with gzip's magic bytes. */
export function readIdxFile(path: string): IdxArray {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw new IdxError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let buf: Uint8Array = raw;
  if (path.endsWith(".gz") || (raw[0] === 0x1f && raw[1] === 0x8b)) {
    try {
      buf = gunzipSync(raw);
    } catch (err) {
      throw new IdxError(path, `not a valid gzip file (${(err as Error).message})`);
    }
  }
  return parseIdx(buf, path);
}

/** Builds an IDX buffer (used by tests and by anyone exporting data sets). */
export function encodeIdx(dtype: IdxDtype, dims: number[], values: ArrayLike<number>): Uint8Array {
  const code = Number(Object.entries(DTYPES).find(([, t]) => t.dtype === dtype)![0]);
  const bytes = DTYPES[code]!.bytes;
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`encodeIdx: ${values.length} values for dims [${dims.join(", ")}]`);
  const buf = new Uint8Array(4 + 4 * dims.length + count * bytes);
  const view = new DataView(buf.buffer);
  buf[2] = code;
  buf[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const at = 4 + 4 * dims.length;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    const o = at + i * bytes;
    if (dtype === "uint8") view.setUint8(o, v);
    else if (dtype === "int8") view.setInt8(o, v);
    else if (dtype === "int16") view.setInt16(o, v, false);
    else if (dtype === "int32") view.setInt32(o, v, false);
    else if (dtype === "float32") view.setFloat32(o, v, false);
    else view.setFloat64(o, v, false);
  }
  return buf;
}

const hex = (buf: Uint8Array, from: number, to: number) =>
  Array.from(buf.subarray(from, to), (b) => b.toString(16).padStart(2, "0")).join("");
