/**
 * A bounds-checked flatbuffers ByteBuffer: the verifier of the TFLite reader.
 *
 * The npm `flatbuffers` runtime trusts its input: an offset past the end reads `undefined` bytes
 * (silently 0), a negative or huge vector length makes loops run away, and the `*Array()`
 * accessors throw RangeError. This subclass checks, at the moment each thing is read, what the C++
 * flatbuffers Verifier checks up front, so every accessor of the generated code is safe on any
 * bytes:
 *
 * - every scalar read lies inside the bytes;
 * - uoffsets (to tables, vectors, strings) are in 1..2^31-1 and land inside the bytes
 *   (they point forward only, so the object graph has no cycles);
 * - a table starts 4-aligned; its vtable (soffset from the table) is 2-aligned and inside
 *   the bytes, its size even and >= 4, the table's inline size >= 4 and inside the bytes;
 *   a field offset read from the vtable is 0 (absent) or within the table's inline size;
 * - a vector or string starts 4-aligned, its length field is inside the bytes and its
 *   elements (at least one byte each; the reader checks the exact element size of the vectors
 *   it reads in bulk) too; a string ends with its 0 terminator inside the bytes.
 *
 * Work is bounded: every checked read spends one unit of a budget proportional to the file size,
 * so crafted sharing (many references to one large object) cannot make reading quadratic.
 * Failures throw FlatbufferError; the reader turns it into a ModelError naming the field.
 */
import * as flatbuffers from "flatbuffers";

export class FlatbufferError extends Error {
  override name = "FlatbufferError";
}

/** the most reads a legitimate file can need is a small multiple of its size; this is generous */
const BUDGET_PER_BYTE = 64;
const BUDGET_BASE = 1 << 20;

export class CheckedByteBuffer extends flatbuffers.ByteBuffer {
  readonly size: number;
  private budget: number;
  private copyBudget: number;

  constructor(private readonly data: Uint8Array) {
    super(data);
    this.size = data.length;
    this.budget = BUDGET_BASE + BUDGET_PER_BYTE * data.length;
    this.copyBudget = (1 << 20) + 2 * data.length;
  }

  /** throws unless [offset, offset + length) lies inside the bytes */
  need(offset: number, length: number, what: string): void {
    if (--this.budget < 0) {
      throw new FlatbufferError(
        "reading this file takes far more steps than its size allows (objects shared or overlapping many times over)",
      );
    }
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new FlatbufferError(`${what} at byte ${offset} (${length} bytes) lies outside the ${this.size}-byte file`);
    }
  }

  /** charges n units of work (loops over vector elements the reader does itself) */
  spend(n: number): void {
    this.budget -= n;
    if (this.budget < 0) this.need(0, 0, "");
  }

  override readInt8(offset: number): number {
    this.need(offset, 1, "an int8");
    return super.readInt8(offset);
  }
  override readUint8(offset: number): number {
    this.need(offset, 1, "a uint8");
    return super.readUint8(offset);
  }
  override readInt16(offset: number): number {
    this.need(offset, 2, "an int16");
    return super.readInt16(offset);
  }
  override readUint16(offset: number): number {
    this.need(offset, 2, "a uint16");
    return super.readUint16(offset);
  }
  override readInt32(offset: number): number {
    this.need(offset, 4, "an int32");
    return super.readInt32(offset);
  }
  override readUint32(offset: number): number {
    this.need(offset, 4, "a uint32");
    return super.readUint32(offset);
  }
  override readInt64(offset: number): bigint {
    this.need(offset, 8, "an int64");
    return super.readInt64(offset);
  }
  override readUint64(offset: number): bigint {
    this.need(offset, 8, "a uint64");
    return super.readUint64(offset);
  }
  override readFloat32(offset: number): number {
    this.need(offset, 4, "a float32");
    return super.readFloat32(offset);
  }
  override readFloat64(offset: number): number {
    this.need(offset, 8, "a float64");
    return super.readFloat64(offset);
  }

  /** follows the uoffset stored at `offset`; the target is inside the bytes */
  private follow(offset: number, what: string): number {
    const rel = this.readUint32(offset);
    if (rel === 0 || rel > 0x7fffffff) {
      throw new FlatbufferError(`the offset to ${what} stored at byte ${offset} is ${rel}, not a forward offset in 1..2^31-1`);
    }
    const target = offset + rel;
    this.need(target, 0, what);
    return target;
  }

  /** verifies the table starting at `pos` (not its fields' contents); returns its vtable position */
  table(pos: number): number {
    this.need(pos, 4, "a table");
    if (pos % 4 !== 0) throw new FlatbufferError(`a table at byte ${pos} is not 4-aligned`);
    const vt = pos - this.readInt32(pos);
    this.need(vt, 4, `the vtable of the table at byte ${pos}`);
    if (vt % 2 !== 0) throw new FlatbufferError(`the vtable at byte ${vt} is not 2-aligned`);
    const vtSize = super.readUint16(vt);
    const objSize = super.readUint16(vt + 2);
    if (vtSize < 4 || vtSize % 2 !== 0) throw new FlatbufferError(`the vtable at byte ${vt} has an invalid size ${vtSize}`);
    this.need(vt, vtSize, `the vtable of the table at byte ${pos}`);
    if (objSize < 4) throw new FlatbufferError(`the table at byte ${pos} has an invalid inline size ${objSize}`);
    this.need(pos, objSize, "a table");
    return vt;
  }

  /** the position of the table whose uoffset is stored at `offset` (verified) */
  tableAt(offset: number): number {
    const pos = this.follow(offset, "a table");
    this.table(pos);
    return pos;
  }

  /** the position of the length field of the vector whose uoffset is stored at `offset` */
  vectorAt(offset: number, elemSize = 1): number {
    const v = this.follow(offset, "a vector");
    if (v % 4 !== 0) throw new FlatbufferError(`a vector at byte ${v} is not 4-aligned`);
    const len = this.readUint32(v);
    this.need(v + 4, len * elemSize, `a vector of ${len} elements`);
    return v;
  }

  override __offset(bbPos: number, vtableOffset: number): number {
    const vt = this.table(bbPos);
    const vtSize = super.readUint16(vt);
    if (vtableOffset >= vtSize) return 0;
    const field = super.readUint16(vt + vtableOffset);
    const objSize = super.readUint16(vt + 2);
    if (field !== 0 && (field < 4 || field >= objSize)) {
      throw new FlatbufferError(`a field of the table at byte ${bbPos} has offset ${field} outside its ${objSize}-byte inline part`);
    }
    return field;
  }

  override __indirect(offset: number): number {
    // the generated TypeScript uses __indirect only for table references
    return this.tableAt(offset);
  }

  override __union(t: flatbuffers.Table, offset: number): flatbuffers.Table {
    t.bb_pos = this.tableAt(offset);
    t.bb = this;
    return t;
  }

  override __vector(offset: number): number {
    return this.vectorAt(offset) + 4;
  }

  override __vector_len(offset: number): number {
    return this.readUint32(this.vectorAt(offset));
  }

  override __string(offset: number, optionalEncoding?: flatbuffers.Encoding): string | Uint8Array {
    const s = this.follow(offset, "a string");
    if (s % 4 !== 0) throw new FlatbufferError(`a string at byte ${s} is not 4-aligned`);
    const len = this.readUint32(s);
    this.need(s + 4, len + 1, `a string of ${len} bytes and its terminator`);
    if (this.data[s + 4 + len] !== 0) throw new FlatbufferError(`the string at byte ${s} is not 0-terminated`);
    this.spend(len >> 4);
    return super.__string(offset, optionalEncoding);
  }

  /**
   * a copy of `length` bytes at `offset` (checked); all copies together may not exceed twice the
   * file size (plus 1 MiB), so buffers aliasing the same bytes cannot blow up memory
   */
  copy(offset: number, length: number, what: string): Uint8Array {
    this.need(offset, length, what);
    this.copyBudget -= length;
    if (this.copyBudget < 0) {
      throw new FlatbufferError(`${what} at byte ${offset}: the constant buffers together hold more bytes than the file (aliased data)`);
    }
    // a fresh Uint8Array (not .slice(): on a Node Buffer that is a view, not a copy)
    return new Uint8Array(this.data.subarray(offset, offset + length));
  }
}
