#include <stdint.h>

/*
 * TFLite's MultiplyByQuantizedMultiplier (two roundings) on an int32 value, with exponent
 * e = 31 - shift: x is scaled by 2^max(e, 0) (the loader proved this fits int32), multiplied by
 * the Q31 multiplier and rounded to the high word (halves up, toward +infinity: gemmlowp's nudge
 * 1 - 2^30 for a negative product), then divided by
 * 2^max(-e, 0) rounding halves away from zero. The TypeScript twin is multiplyDoubleRounding in
 * src/reference/requant.ts. No right shift of a negative value (implementation-defined in C):
 * negative values are divided as their magnitudes.
 */
static int32_t sn_rescale_double(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift < 31 ? 31 - shift : 0;
    const int32_t right = shift > 31 ? shift - 31 : 0;
    const int64_t scaled = (int64_t)x * ((int64_t)1 << left);
    const int64_t product = scaled * (int64_t)multiplier;
    /* round(product / 2^31), halves up; C99 division truncates toward zero */
    const int64_t nudge = product >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    int64_t q = (product + nudge) / ((int64_t)1 << 31);
    if (right > 0) {
        const int64_t magnitude = q >= 0 ? q : -q;
        const int64_t half = (int64_t)1 << (right - 1);
        /* |q| / 2^right rounded half up, then the sign back: halves away from zero */
        const int64_t rounded = (magnitude + half) >> right;
        q = q >= 0 ? rounded : -rounded;
    }
    return (int32_t)q;
}

/*
 * TFLite's default requantization, the model format's rounding "double": sn_rescale_double of
 * the accumulator, + offset, clamped to -128..127.
 */
static int8_t sn_requantize_double(int32_t acc, int32_t multiplier, int32_t shift, int32_t offset)
{
    const int64_t q = (int64_t)sn_rescale_double(acc, multiplier, shift) + offset;
    if (q < -128) {
        return -128;
    }
    if (q > 127) {
        return 127;
    }
    return (int8_t)q;
}
