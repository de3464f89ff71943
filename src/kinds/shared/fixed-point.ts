/**
 * The int32 fixed-point operations of gemmlowp (fixedpoint.h), as TensorFlow Lite's integer
 * softmax uses them, written for clarity. Values are int32 held in JS numbers; products go
 * through BigInt because they exceed 2^53.
 *
 * A fixed-point value with I integer bits ("Q I.(31-I)") is an int32 raw value r meaning
 * r / 2^(31-I). gemmlowp's + and - on fixed-point values are plain int32 additions; C must never
 * overflow them, so `add` and `sub` here throw if a result leaves the int32 range (the tests
 * then prove the C's additions safe for the inputs they run).
 */
import { INT32_MAX, INT32_MIN } from "../../format/fields.js";

function checkInt32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw new Error(`fixed point: ${what} = ${v} is outside int32`);
  return v;
}

/** a + b, which must stay in int32 */
export const add = (a: number, b: number): number => checkInt32(a + b, "sum");
/** a - b, which must stay in int32 */
export const sub = (a: number, b: number): number => checkInt32(a - b, "difference");

/**
 * SaturatingRoundingDoublingHighMul: the high 32 bits of 2ab, rounded to nearest with ties up,
 * toward +infinity (the 64-bit sum is divided by 2^31 truncating toward zero after adding 2^30,
 * or 1 - 2^30 for a negative product);
 * the one overflowing case, a = b = -2^31, saturates to 2^31 - 1. The product of two Q0.31
 * values is their Q0.31 product; of Qm and Qn values, a Q(m+n) value.
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, like C
}

/**
 * RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero (exponent 0..31).
 * As gemmlowp writes it: the floor quotient, plus one when the remainder is above half (above
 * or at half for positive x).
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent < 0 || exponent > 31) throw new Error(`fixed point: rounding divide by 2^${exponent}`);
  const divisor = 2 ** exponent;
  const floor = Math.floor(x / divisor); // exact: dividing by a power of two
  const remainder = x - floor * divisor; // x & mask
  const threshold = Math.floor((divisor - 1) / 2) + (x < 0 ? 1 : 0); // (mask >> 1) + (x < 0)
  return floor + (remainder > threshold ? 1 : 0);
}

/** SaturatingRoundingMultiplyByPOT for a positive exponent: x * 2^exponent, saturated to int32. */
export function saturatingMultiplyByPOT(x: number, exponent: number): number {
  const threshold = 2 ** (31 - exponent) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** exponent;
}

/** 1.0 in Q0.31 is not representable; gemmlowp's One() saturates to 2^31 - 1. */
export const Q0_ONE = INT32_MAX;

/**
 * exp(a) for a Q0.31 value a in [-1/4, 0): a Taylor polynomial of degree 4 around -1/8
 * (gemmlowp's exp_on_interval_between_negative_one_quarter_and_0_excl).
 */
function expOnQuarterInterval(a: number): number {
  const EXP_MINUS_ONE_EIGHTH = 1895147668; // exp(-1/8) in Q0.31
  const ONE_THIRD = 715827883; // 1/3 in Q0.31
  const x = add(a, 1 << 28); // x = a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT(add(srdhm(add(x4Over4, x3), ONE_THIRD), x2), 1); // x^4/24 + x^3/6 + x^2/2
  return add(EXP_MINUS_ONE_EIGHTH, srdhm(EXP_MINUS_ONE_EIGHTH, add(x, poly)));
}

/** exp(-2^k) in Q0.31 for k = -2..4: the barrel shifter's factors, bit 26 + k of the remainder */
const EXP_OF_MINUS_POWERS_OF_TWO = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242] as const;

/**
 * exp(a) for a Q5.26 value a <= 0, as a Q0.31 value (gemmlowp's exp_on_negative_values with 5
 * integer bits). a = (a mod 1/4 - 1/4) - r: the first part through the polynomial, then one
 * factor exp(-2^k) for every bit of r (r is a multiple of 1/4 below 32); exp(0) is One().
 */
export function expOnNegativeValues(a: number): number {
  if (a > 0) throw new Error(`fixed point: exp_on_negative_values of a positive value (${a})`);
  const FRACTIONAL_BITS = 26;
  const QUARTER = 1 << (FRACTIONAL_BITS - 2);
  const aModQuarterMinusQuarter = sub(a & (QUARTER - 1), QUARTER); // in [-1/4, 0)
  // Rescale<0> from Q5.26 to Q0.31: a saturating multiply by 2^5 (never saturates here)
  let result = expOnQuarterInterval(saturatingMultiplyByPOT(aModQuarterMinusQuarter, 5));
  const remainder = sub(aModQuarterMinusQuarter, a);
  EXP_OF_MINUS_POWERS_OF_TWO.forEach((factor, i) => {
    const bit = FRACTIONAL_BITS - 2 + i;
    if (remainder & (1 << bit)) result = srdhm(result, factor);
  });
  return a === 0 ? Q0_ONE : result;
}

/**
 * 1 / (1 + a) for a Q0.31 value a in [0, 1), as a Q0.31 value (the result is in (1/2, 1]):
 * three Newton-Raphson steps for 1 / d, d = (1 + a) / 2, from 48/17 - 32/17 d, in Q2.29
 * (gemmlowp's one_over_one_plus_x_for_x_in_0_1), then halved back to Q0.31.
 */
export function oneOverOnePlusX(a: number): number {
  const FORTY_EIGHT_OVER_17 = 1515870810; // Q2.29
  const MINUS_THIRTY_TWO_OVER_17 = -1010580540; // Q2.29
  const Q2_ONE = 1 << 29;
  // RoundingHalfSum(a, One()): (a + one) / 2, the 64-bit sum nudged away from zero, truncated
  const sum = a + Q0_ONE;
  const halfDenominator = Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
  let x = add(FORTY_EIGHT_OVER_17, srdhm(halfDenominator, MINUS_THIRTY_TWO_OVER_17));
  for (let i = 0; i < 3; i++) {
    const halfDenominatorTimesX = srdhm(halfDenominator, x); // Q2.29
    const oneMinus = sub(Q2_ONE, halfDenominatorTimesX); // Q2.29
    x = add(x, saturatingMultiplyByPOT(srdhm(x, oneMinus), 2)); // Q4.27 product, rescaled to Q2.29
  }
  // ExactMulByPot<-1> (same raw, one integer bit fewer), then Rescale<0> from Q1.30 to Q0.31
  return saturatingMultiplyByPOT(x, 1);
}

/**
 * TFLite's GetReciprocal: for x > 0 in Q(integerBits), the Q0.31 value s and the shift
 * `bitsOverUnit` with 1/x = s / 2^bitsOverUnit. x is normalised to [1, 2) by shifting its
 * leading one to bit 31, then s = 1 / (1 + fraction).
 */
export function reciprocal(x: number, integerBits: number): { scale: number; bitsOverUnit: number } {
  if (x <= 0) throw new Error(`fixed point: reciprocal of ${x}`);
  const headroomPlusOne = Math.clz32(x);
  const shiftedMinusOne = x * 2 ** headroomPlusOne - 2 ** 31; // (x << headroom) - 1.0, in [0, 2^31)
  return { scale: oneOverOnePlusX(shiftedMinusOne), bitsOverUnit: integerBits - headroomPlusOne };
}
