/**
 * NumPy `.npy` and `.npz` files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 *
 * .npy: the magic "\x93NUMPY", a version byte pair (1.0, 2.0 or 3.0), a little-endian header
 * length (2 bytes in 1.0, 4 bytes after), a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }`, then the data in C order.
 * Element types read: b1, u1, i1, u2, i2, u4, i4, u8, i8 (integers up to 2^53), f4, f8, either
 * byte order. Fortran order, object arrays and structured types are refused.
 *
 * .npz: a zip archive of .npy files (`np.savez`: stored, `np.savez_compressed`: deflated), read
 * through its central directory, with zip64 sizes and offsets. Every problem is a DataError
 * naming the file (and the array inside an .npz).
 */
import { readFileSync } from "node:fs";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { DataError } from "./errors.js";

export type NpyData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface NpyArray {
  /** numpy's kind and size, e.g. "u1", "i1", "f4" */
  dtype: string;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function parseNpy(buf: Uint8Array, source: string): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw new DataError(source, "not a .npy file (no \\x93NUMPY magic)");
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let at: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    at = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new DataError(source, "truncated .npy header");
    headerLen = view.getUint32(8, true);
    at = 12;
  } else {
    throw new DataError(source, `unsupported .npy format version ${major}.${buf[7]}`);
  }
  if (at + headerLen > buf.length) throw new DataError(source, `truncated .npy header: ${headerLen} bytes declared, ${buf.length - at} present`);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(buf.subarray(at, at + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(source, `unreadable .npy header ${JSON.stringify(header.trim())} (expected descr, fortran_order and shape)`);
  }
  if (fortran === "True") throw new DataError(source, "fortran_order arrays are not supported; save a C-order array (np.ascontiguousarray)");
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => Number(s.replace(/L$/, "")));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DataError(source, `bad shape (${shapeText}) in the .npy header`);
  const m = /^([<>|=])([biuf])(\d+)$/.exec(descr);
  if (!m) throw new DataError(source, `unsupported element type '${descr}' (expected bool, integers or float32/float64)`);
  const [, order, kind, sizeText] = m as unknown as [string, string, string, string];
  const size = Number(sizeText);
  const dtype = `${kind}${size}`;
  if (!["b1", "u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"].includes(dtype)) throw new DataError(source, `unsupported element type '${descr}'`);
  const little = order !== ">";
  const count = shape.reduce((a, b) => a * b, 1);
  const start = at + headerLen;
  const available = buf.length - start;
  if (available < count * size) {
    throw new DataError(source, `truncated data: shape (${shape.join(", ")}) of '${descr}' needs ${count * size} bytes, the file has ${available}`);
  }
  const get = (i: number): number => {
    const o = start + i * size;
    switch (dtype) {
      case "b1":
      case "u1":
        return view.getUint8(o);
      case "i1":
        return view.getInt8(o);
      case "u2":
        return view.getUint16(o, little);
      case "i2":
        return view.getInt16(o, little);
      case "u4":
        return view.getUint32(o, little);
      case "i4":
        return view.getInt32(o, little);
      case "u8":
        return Number(view.getBigUint64(o, little));
      case "i8":
        return Number(view.getBigInt64(o, little));
      case "f4":
        return view.getFloat32(o, little);
      default:
        return view.getFloat64(o, little);
    }
  };
  let data: NpyData;
  // copies (a Node Buffer's slice would be a view into a shared pool)
  if (dtype === "u1" || dtype === "b1") data = Uint8Array.from(buf.subarray(start, start + count));
  else if (dtype === "i1") data = Int8Array.from(buf.subarray(start, start + count), (b) => (b << 24) >> 24);
  else {
    const Ctor = { u2: Uint16Array, i2: Int16Array, u4: Uint32Array, i4: Int32Array, u8: Float64Array, i8: Float64Array, f4: Float32Array, f8: Float64Array }[dtype]!;
    data = new Ctor(count);
    for (let i = 0; i < count; i++) data[i] = get(i);
    if (dtype === "u8" || dtype === "i8") {
      for (let i = 0; i < count; i++) {
        if (!Number.isSafeInteger(data[i]!)) throw new DataError(source, `value ${data[i]} does not fit a double exactly`, `element ${i}`);
      }
    }
  }
  return { dtype: dtype === "b1" ? "u1" : dtype, shape, data };
}

export function readNpyFile(path: string): NpyArray {
  return parseNpy(readBytes(path), path);
}

/** The arrays of an .npz archive by name (without the .npy suffix). */
export function parseNpz(buf: Uint8Array, source: string): Map<string, NpyArray> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // end of central directory: signature 0x06054b50, within the last 22 + 65535 bytes
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new DataError(source, "not an .npz file (no zip end-of-central-directory record)");
  let entries = view.getUint16(eocd + 10, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || entries === 0xffff) {
    // zip64 end of central directory locator just before
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50) throw new DataError(source, "zip64 archive without a zip64 locator");
    const z64 = Number(view.getBigUint64(loc + 8, true));
    if (z64 + 56 > buf.length || view.getUint32(z64, true) !== 0x06064b50) throw new DataError(source, "bad zip64 end of central directory");
    entries = Number(view.getBigUint64(z64 + 32, true));
    cdOffset = Number(view.getBigUint64(z64 + 48, true));
  }
  const out = new Map<string, NpyArray>();
  let p = cdOffset;
  for (let e = 0; e < entries; e++) {
    if (p + 46 > buf.length || view.getUint32(p, true) !== 0x02014b50) throw new DataError(source, `corrupt zip central directory at entry ${e}`);
    const method = view.getUint16(p + 10, true);
    let compSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let local = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: the fields that are 0xffffffff above, in order
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = view.getUint16(x, true);
      const len = view.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const next = () => {
          const v = Number(view.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compSize === 0xffffffff) compSize = next();
        if (local === 0xffffffff) local = next();
      }
      x += 4 + len;
    }
    p = xEnd + commentLen;
    if (local + 30 > buf.length || view.getUint32(local, true) !== 0x04034b50) throw new DataError(source, `corrupt zip local header of ${name}`);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (dataStart + compSize > buf.length) throw new DataError(source, `truncated zip entry ${name}`);
    const raw = buf.subarray(dataStart, dataStart + compSize);
    let bytes: Uint8Array;
    if (method === 0) bytes = raw;
    else if (method === 8) {
      try {
        bytes = inflateRawSync(raw);
      } catch (err) {
        throw new DataError(source, `cannot inflate ${name}: ${(err as Error).message}`);
      }
    } else throw new DataError(source, `zip entry ${name} uses compression method ${method}; only stored (0) and deflate (8) are read`);
    if (bytes.length !== size) throw new DataError(source, `zip entry ${name}: ${bytes.length} bytes after decompression, ${size} declared`);
    if (!name.endsWith(".npy")) continue;
    const key = name.slice(0, -4);
    out.set(key, parseNpy(bytes, `${source} (array '${key}')`));
  }
  return out;
}

export function readNpzFile(path: string): Map<string, NpyArray> {
  return parseNpz(readBytes(path), path);
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DataError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

// ---- writers (tests, and anyone exporting data for strongnet) ------------------------------

const DESCR: Record<string, string> = { u1: "|u1", i1: "|i1", i2: "<i2", i4: "<i4", f4: "<f4", f8: "<f8", i8: "<i8" };

/** An .npy (version 1.0) buffer of a C-order array. */
export function encodeNpy(dtype: "u1" | "i1" | "i2" | "i4" | "i8" | "f4" | "f8", shape: number[], values: ArrayLike<number>): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`encodeNpy: ${values.length} values for shape (${shape.join(", ")})`);
  const size = Number(dtype.slice(1));
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + count * size);
  out.set(MAGIC);
  out[6] = 1;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const at = 10 + header.length;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    const o = at + i * size;
    if (dtype === "u1") view.setUint8(o, v);
    else if (dtype === "i1") view.setInt8(o, v);
    else if (dtype === "i2") view.setInt16(o, v, true);
    else if (dtype === "i4") view.setInt32(o, v, true);
    else if (dtype === "i8") view.setBigInt64(o, BigInt(v), true);
    else if (dtype === "f4") view.setFloat32(o, v, true);
    else view.setFloat64(o, v, true);
  }
  return out;
}

/** An .npz archive of named .npy buffers: stored, or deflated like np.savez_compressed. */
export function encodeNpz(arrays: Record<string, Uint8Array>, compress = false): Uint8Array {
  const { deflate, crc32 } = zlibWriters();
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [key, npy] of Object.entries(arrays)) {
    const name = new TextEncoder().encode(`${key}.npy`);
    const body = compress ? deflate(npy) : npy;
    const crc = crc32(npy);
    const lh = new Uint8Array(30 + name.length);
    const lv = new DataView(lh.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, compress ? 8 : 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, npy.length, true);
    lv.setUint16(26, name.length, true);
    lh.set(name, 30);
    const ch = new Uint8Array(46 + name.length);
    const cv = new DataView(ch.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, compress ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, npy.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    ch.set(name, 46);
    locals.push(lh, body);
    central.push(ch);
    offset += lh.length + body.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, central.length, true);
  ev.setUint16(10, central.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const parts = [...locals, ...central, end];
  const out = new Uint8Array(parts.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

function zlibWriters() {
  // CRC-32 by table (node:zlib.crc32 needs Node >= 20.15)
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (b: Uint8Array) => {
    let c = 0xffffffff;
    for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  return { crc32, deflate: (b: Uint8Array) => new Uint8Array(deflateRawSync(b)) };
}
