/**
 * The one definition of requantization (see `requantSchema` in src/format/schema.ts):
 *   y = clamp( floor((acc * multiplier + round) / 2^shift) + offset, -128, 127 ),
 *   round = shift > 0 ? 2^(shift-1) : 0
 * The C twin is `sn_requantize` in c-templates/runtime/requantize.c. Both must change together.
 */
import type { Requant } from "../format/schema.js";

const SAFE = Number.MAX_SAFE_INTEGER;

export function requantize(acc: number, rq: Requant): number {
  const round = rq.shift > 0 ? 2 ** (rq.shift - 1) : 0;
  const product = acc * rq.multiplier;
  let q: number;
  if (Math.abs(product) + round <= SAFE) {
    // Exact in doubles: the product and the sum are integers below 2^53 and dividing by a
    // power of two only changes the exponent.
    q = Math.floor((product + round) / 2 ** rq.shift);
  } else {
    const big = BigInt(acc) * BigInt(rq.multiplier) + BigInt(round);
    // BigInt's >> is a floor shift for negative values, matching Math.floor above.
    q = Number(big >> BigInt(rq.shift));
  }
  return clampInt8(q + rq.offset);
}

export function clampInt8(v: number): number {
  return v < -128 ? -128 : v > 127 ? 127 : v;
}

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
