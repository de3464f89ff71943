/**
 * The one definition of requantization (see `requantSchema` in src/format/fields.ts), one
 * function per rounding mode; their C twins are in c-templates/runtime/. Both must change together.
 *
 *   single: y = clamp( floor((acc * multiplier + round) / 2^shift) + offset, min, max ),
 *           round = shift > 0 ? 2^(shift-1) : 0
 *   double: TFLite's MultiplyByQuantizedMultiplier with exponent e = 31 - shift, + offset, clamp
 */
import type { Requant } from "../format/fields.js";

const SAFE = Number.MAX_SAFE_INTEGER;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export function requantize(acc: number, rq: Requant): number {
  const q = rq.rounding === "double" ? multiplyDoubleRounding(acc, rq.multiplier, rq.shift) : multiplySingleRounding(acc, rq.multiplier, rq.shift);
  return clampTo(q + rq.offset, rq.min ?? -128, rq.max ?? 127);
}

/** floor((acc * multiplier + 2^(shift-1)) / 2^shift): one rounding, halves toward +infinity. */
export function multiplySingleRounding(acc: number, multiplier: number, shift: number): number {
  const round = shift > 0 ? 2 ** (shift - 1) : 0;
  const product = acc * multiplier;
  if (Math.abs(product) + round <= SAFE) {
    // Exact in doubles: the product and the sum are integers below 2^53 and dividing by a
    // power of two only changes the exponent.
    return Math.floor((product + round) / 2 ** shift);
  }
  // BigInt's >> is a floor shift for negative values, matching Math.floor above.
  return Number((BigInt(acc) * BigInt(multiplier) + BigInt(round)) >> BigInt(shift));
}

/**
 * TFLite's default requantization: exponent e = 31 - shift; the accumulator is shifted left by
 * max(e, 0) (the model must guarantee this fits int32: validation checks it), multiplied by the
 * Q31 multiplier with a saturating rounding doubling high multiply, then divided by
 * 2^max(-e, 0) rounding halves away from zero. (The high multiply rounds halves up, toward
 * +infinity, as gemmlowp's nudge does: -12.5 becomes -12, 12.5 becomes 13.)
 */
export function multiplyDoubleRounding(acc: number, multiplier: number, shift: number): number {
  const exponent = 31 - shift;
  const left = Math.max(exponent, 0);
  const right = Math.max(-exponent, 0);
  return roundingDivideByPowerOfTwo(saturatingRoundingDoublingHighMul(acc * 2 ** left, multiplier), right);
}

/** round(a * b / 2^31) with halves up (toward +infinity), saturating the one overflow (INT32_MIN^2). */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  // BigInt division truncates toward zero, as C's does
  return Number((ab + nudge) / (1n << 31n));
}

/** x / 2^exponent rounded to nearest, halves away from zero (exponent 0..31). */
export function roundingDivideByPowerOfTwo(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const divisor = 2 ** exponent;
  const floor = Math.floor(x / divisor);
  const remainder = x - floor * divisor;
  const threshold = Math.floor((divisor - 1) / 2) + (x < 0 ? 1 : 0);
  return floor + (remainder > threshold ? 1 : 0);
}

export function clampInt8(v: number): number {
  return clampTo(v, -128, 127);
}

/** sum / count rounded to nearest, halves away from zero (C's truncating division on a nudged sum): avgpool's rule */
export function roundedMean(sum: number, count: number): number {
  const half = Math.trunc(count / 2);
  return Math.trunc((sum > 0 ? sum + half : sum - half) / count);
}

/** v clamped to [lo, hi]. */
export const clampTo = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/**
 * Picks multiplier and shift so that requantize(acc) ~= round(acc * scale) for a real scale > 0,
 * with a 31-bit multiplier for precision. Used by the quantizer, not at run time.
 */
export function requantFromScale(scale: number, offset = 0): Requant {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`requantization scale must be positive and finite, got ${scale}`);
  let shift = 0;
  let multiplier = scale;
  while (multiplier < 2 ** 30 && shift < 62) {
    multiplier *= 2;
    shift++;
  }
  while (multiplier >= 2 ** 31 && shift > 0) {
    multiplier /= 2;
    shift--;
  }
  const m = Math.min(2 ** 31 - 1, Math.max(1, Math.round(multiplier)));
  return { multiplier: m, shift, offset };
}

/**
 * TFLite's QuantizeMultiplier: a real scale as a Q31 multiplier in [2^30, 2^31) and an exponent,
 * from frexp of the double (q = round(fraction * 2^31), halves away from zero; q = 2^31 becomes
 * 2^30 with the exponent one higher; exponents below -31 flush to zero). Returned as this
 * format's (multiplier, shift) with shift = 31 - exponent; null when the scale flushes to zero.
 */
export function tfliteMultiplier(scale: number): { multiplier: number; shift: number } | null {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`requantization scale must be positive and finite, got ${scale}`);
  let exponent = Math.floor(Math.log2(scale)) + 1;
  // frexp: scale = fraction * 2^exponent with fraction in [0.5, 1); fix log2's rounding at the edges
  while (scale / 2 ** exponent >= 1) exponent++;
  while (scale / 2 ** exponent < 0.5) exponent--;
  const fraction = scale / 2 ** exponent;
  let q = Math.round(fraction * 2 ** 31); // fraction > 0: Math.round is half away from zero here
  if (q === 2 ** 31) {
    q /= 2;
    exponent++;
  }
  if (exponent < -31) return null;
  return { multiplier: q, shift: 31 - exponent };
}
