/**
 * Models of the Armv7E-M DSP instructions the dense kernels use (ARM ARM A7.7: SXTB16, UXTB16,
 * SMLAD, SMLABB, SMLATB), on 32-bit words held as JavaScript numbers, with the wrapping 32-bit
 * sums of the hardware; and the naive dot products the kernels must reproduce. Shared by
 * test/dense-kernel.test.ts and test/dense-active.test.ts.
 */

/** The naive dot products of every unit (weights unit-major, `x.length` inputs): the reference. */
export function dots(weights: Int8Array, units: number, x: Int8Array): number[] {
  return Array.from({ length: units }, (_, u) => x.reduce((sum, v, i) => sum + weights[u * x.length + i]! * v, 0));
}

/** Byte `byte` (0 = least significant) of a word, unsigned. */
export const lane = (word: number, byte: number) => (word >>> (8 * byte)) & 0xff;
const signed8 = (v: number) => (v << 24) >> 24;
/** Halfword `h` (0 = bottom, 1 = top) of a word, sign-extended. */
export const half = (word: number, h: number) => ((word >>> (16 * h)) << 16) >> 16;
const pack16 = (lo: number, hi: number) => ((lo & 0xffff) | ((hi & 0xffff) << 16)) >>> 0;
/** SXTB16 (with ROR #8 when `ror8`): bytes 0 and 2 (1 and 3) sign-extended into the halfwords. */
export const sxtb16 = (w: number, ror8 = false) => pack16(signed8(lane(w, ror8 ? 1 : 0)), signed8(lane(w, ror8 ? 3 : 2)));
/** UXTB16 (with ROR #8 when `ror8`): bytes 0 and 2 (1 and 3) zero-extended into the halfwords. */
export const uxtb16 = (w: number, ror8 = false) => pack16(lane(w, ror8 ? 1 : 0), lane(w, ror8 ? 3 : 2));
/** SMLAD: acc + bottom * bottom + top * top, wrapping. */
export const smlad = (a: number, b: number, acc: number) => (acc + half(a, 0) * half(b, 0) + half(a, 1) * half(b, 1)) | 0;
/** SMLABB (top 0) / SMLATB (top 1): acc + halfword `top` of `a` * bottom halfword of `value`, wrapping. */
export const smlaxb = (a: number, top: 0 | 1, value: number, acc: number) => (acc + half(a, top) * half(value, 0)) | 0;
/** The little-endian word at byte `at`, unsigned. */
export const word = (bytes: Uint8Array | Int8Array, at: number) =>
  ((bytes[at]! & 0xff) | ((bytes[at + 1]! & 0xff) << 8) | ((bytes[at + 2]! & 0xff) << 16) | ((bytes[at + 3]! & 0xff) << 24)) >>> 0;
