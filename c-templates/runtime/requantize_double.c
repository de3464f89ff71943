#include <stdint.h>

#include "requantize_double_right.c"

/*
 * TFLite's MultiplyByQuantizedMultiplier (two roundings) on an int32 value for any shift 0..62,
 * with exponent e = 31 - shift: x is scaled by 2^max(e, 0) (the loader proved this fits int32),
 * multiplied by the Q31 multiplier and rounded to the high word (halves up), then divided by
 * 2^max(-e, 0) rounding halves away from zero (requantize_double_right.c has the pieces). The
 * TypeScript twin is multiplyDoubleRounding in src/reference/requant.ts.
 */
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
 * of 32 or more).
 */
static inline int8_t sn_requantize_double(int32_t acc, int32_t multiplier, int32_t shift, int32_t offset)
{
    if (shift >= 32) {
        return sn_requantize_double_right(acc, multiplier, (uint32_t)(shift - 31), offset);
    }
    return sn_offset_int8(sn_rescale_double(acc, multiplier, shift), offset);
}
