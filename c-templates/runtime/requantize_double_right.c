#include <stdint.h>
#if defined(__ARM_FEATURE_SAT)
#include <arm_acle.h>
#endif

/*
 * TFLite's default requantization (MultiplyByQuantizedMultiplier, two roundings; the model
 * format's rounding "double") for a shift of 32 or more, and the pieces it is made of; the
 * general form, any shift, is in requantize_double.c. Exponent e = 31 - shift <= 0: the int32
 * value is multiplied by the Q31 multiplier and rounded to the high word (halves up, toward
 * +infinity: gemmlowp's nudge 1 - 2^30 for a negative product), then divided by 2^-e rounding
 * halves away from zero. The TypeScript twin is multiplyDoubleRounding in src/reference/requant.ts.
 *
 * Written for 32-bit cores (one SMLAL and a few 32-bit operations, as CMSIS-NN's
 * arm_nn_requantize) without C's implementation-defined corners: no right shift of a negative
 * value and no conversion of an out-of-range unsigned value to a signed type.
 */

/*
 * round(x * 2^left * multiplier / 2^31), halves up, for 1 <= multiplier < 2^31 and x * 2^left in
 * int32. gemmlowp's nudge (2^30, or 1 - 2^30 for a negative product) with a division truncating
 * toward zero is the same as floor((product + 2^30) / 2^31) for either sign. |product| < 2^62,
 * so product + 2^62 + 2^30 is never negative and the floor is an unsigned shift; the 2^62 comes
 * back out as 2^31 in the high word. On Cortex-M: SMLAL onto the constant, two shifts, one add.
 */
static inline int32_t sn_high_mul_up(int32_t x, int32_t multiplier, uint32_t left)
{
    const uint64_t product = (uint64_t)((int64_t)x * multiplier) << left;
    const uint64_t biased = product + ((UINT64_C(1) << 62) + (UINT64_C(1) << 30));
    return (int32_t)((int64_t)(biased >> 31) - INT64_C(0x80000000));
}

/* floor(x / 2^right), right 0..31: an arithmetic shift, spelled without shifting a negative value */
static inline int32_t sn_floor_shift(int32_t x, uint32_t right)
{
    return x >= 0 ? x >> right : ~(~x >> right);
}

/* x / 2^right rounded to nearest, halves away from zero (gemmlowp's RoundingDivideByPOT), right 0..31 */
static inline int32_t sn_round_shift(int32_t x, uint32_t right)
{
    const uint32_t mask = (UINT32_C(1) << right) - 1u;
    const uint32_t remainder = (uint32_t)x & mask;
    /* a negative x rounds up only past the half, a positive one at it */
    const uint32_t threshold = (mask >> 1) + (x < 0 ? 1u : 0u);
    return sn_floor_shift(x, right) + (remainder > threshold ? 1 : 0);
}

/* y clamped to -128..127: one SSAT on cores that have it (Cortex-M3 and up) */
static inline int8_t sn_saturate_int8(int32_t y)
{
#if defined(__ARM_FEATURE_SAT)
    return (int8_t)__ssat(y, 8);
#else
    return (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
#endif
}

/*
 * The requantization for a shift of 32 or more, as right = shift - 31 (1..31), + offset, clamped
 * to -128..127: what a layer whose every scale is below 1/2 calls (convolutions in practice),
 * with no branch on the shift's direction, small enough to inline into the kernels' loops. A
 * right shift of at least 1 leaves |q| <= 2^30, so q + offset cannot overflow.
 */
static inline int8_t sn_requantize_double_right(int32_t acc, int32_t multiplier, uint32_t right, int32_t offset)
{
    return sn_saturate_int8(sn_round_shift(sn_high_mul_up(acc, multiplier, 0u), right) + offset);
}
