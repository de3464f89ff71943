#include <stdint.h>

#include "requantize_double_right.c"

/*
 * TFLite's MultiplyByQuantizedMultiplier (two roundings) on an int32 value for any shift 0..62,
 * with exponent e = 31 - shift: x is scaled by 2^max(e, 0) (the loader proved this fits int32),
 * multiplied by the Q31 multiplier and rounded to the high word (halves up), then divided by
 * 2^max(-e, 0) rounding halves away from zero. The TypeScript twin is multiplyDoubleRounding in
 * src/reference/requant.ts.
 *
 * Written for 32-bit cores (one SMLAL and a few 32-bit operations) without C's
 * implementation-defined corners: no right shift of a negative value and no conversion of an
 * out-of-range unsigned value to a signed type.
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

/*
 * x / 2^right rounded to nearest, halves away from zero (gemmlowp's RoundingDivideByPOT), right
 * 0..31
 */
static inline int32_t sn_round_shift(int32_t x, uint32_t right)
{
    const uint32_t mask = (UINT32_C(1) << right) - 1u;
    const uint32_t remainder = (uint32_t)x & mask;
    /* a negative x rounds up only past the half, a positive one at it */
    const uint32_t threshold = (mask >> 1) + (x < 0 ? 1u : 0u);
    return sn_floor_shift(x, right) + (remainder > threshold ? 1 : 0);
}

static inline int32_t sn_rescale_double(int32_t x, int32_t multiplier, int32_t shift)
{
    if (shift < 31) {
        /* scale >= 1/2 (rare: ADD's input rescales): a left shift and one rounding */
        return sn_high_mul_up(x, multiplier, (uint32_t)(31 - shift));
    }
    return sn_round_shift(sn_high_mul_up(x, multiplier, 0u), (uint32_t)(shift - 31));
}

/*
 * q + offset clamped to -128..127: the clamp comes first, to bounds moved by the offset, so the
 * sum cannot overflow.
 */
static inline int8_t sn_offset_int8(int32_t q, int32_t offset)
{
    const int32_t lo = -128 - offset, hi = 127 - offset;
    return (int8_t)((q < lo ? lo : q > hi ? hi : q) + offset);
}

/*
 * TFLite's default requantization, the model format's rounding "double": sn_rescale_double of
 * the accumulator, + offset, clamped to -128..127 (sn_requantize_double_right's form for a shift
 * of 33 or more).
 */
static inline int8_t sn_requantize_double(int32_t acc, int32_t multiplier, int32_t shift,
                                          int32_t offset)
{
    if (shift >= 33) {
        return sn_requantize_double_right(acc, multiplier, shift, offset);
    }
    return sn_offset_int8(sn_rescale_double(acc, multiplier, shift), offset);
}
