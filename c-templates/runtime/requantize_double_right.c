#include <stdint.h>
#if defined(__ARM_FEATURE_SAT)
#include <arm_acle.h>
#endif

/*
 * TFLite's default requantization (MultiplyByQuantizedMultiplier, two roundings; the model
 * format's rounding "double") for a shift of 33 or more, the form convolutions call; the general
 * form, any shift, is requantize_double.c. With exponent e = 31 - shift <= -2 TFLite computes
 * x = round(acc * multiplier / 2^31) (halves up: floor((P + 2^30) / 2^31), P = acc * multiplier)
 * and then x / 2^right, right = -e, rounded halves away from zero: floor((x + 2^(right-1) -
 * [x < 0]) / 2^right). Floors of floors by powers of two compose, so both roundings are one:
 *
 *   y = floor((P + 2^30 + 2^(30 + right) - [x < 0] * 2^31) / 2^(31 + right))
 *
 * and [x < 0] may be read as [acc < 0]: they differ only when x = 0, where both give y = 0. On
 * Cortex-M that is one SMLAL onto the nudges, a 64-bit subtract of the sign term and one shift
 * of the high word, as few instructions as CMSIS-NN's arm_nn_requantize. The TypeScript twin is
 * multiplyDoubleRounding in src/reference/requant.ts (the host tests compare the two on the
 * extremes of every argument).
 */

/* floor(x / 2^right), right 0..31: arithmetic shift written without shifting a negative value */
static inline int32_t sn_floor_shift(int32_t x, uint32_t right)
{
    return x >= 0 ? x >> right : ~(~x >> right);
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
 * The requantization for a shift of 33 to 62 (right = shift - 31 is 2..31), + offset, clamped to
 * -128..127: what a layer whose every scale is below 1/4 calls (convolutions in practice). The
 * sum is biased by 2^62 so that it is never negative (|P| < 2^62) and only unsigned values are
 * shifted; the bias is 2^30 in the high word, taken back out. |y| <= 2^30, so y + offset cannot
 * overflow.
 */
static inline int8_t sn_requantize_double_right(int32_t acc, int32_t multiplier, int32_t shift,
                                                 int32_t offset)
{
    const uint32_t right = (uint32_t)shift - 31u;
    /* 2^62 + 2^(30 + right) in the high word (right >= 2), the multiply's 2^30 in the low */
    const uint32_t high_halves = (UINT32_C(1) << (right - 2u)) + (UINT32_C(1) << 30);
    const uint64_t halves = ((uint64_t)high_halves << 32) + (UINT64_C(1) << 30);
    /* 2^31 less for a negative accumulator: the divide's halves go away from zero */
    const uint64_t negative = (uint64_t)((uint32_t)acc >> 31) << 31;
    const uint64_t sum = (uint64_t)((int64_t)acc * multiplier) + halves - negative;
    const int32_t high = (int32_t)((int64_t)(sum >> 32) - (INT64_C(1) << 30));
    return sn_saturate_int8(sn_floor_shift(high, right - 1u) + offset);
}
