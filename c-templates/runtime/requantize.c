#include <stdint.h>

/*
 * Fixed-point requantization of an int32 accumulator to int8, the rule of the model format:
 *   y = clamp(floor((acc * multiplier + 2^(shift-1)) / 2^shift) + offset, -128, 127)
 * The floor division never right-shifts a negative value (implementation-defined in C).
 */
static int8_t sn_requantize(int32_t acc, int32_t multiplier, int32_t shift, int32_t offset)
{
    int64_t x = (int64_t)acc * (int64_t)multiplier;
    int64_t q;
    if (shift > 0) {
        x += (int64_t)1 << (shift - 1);
    }
    if (x >= 0) {
        q = x >> shift;
    } else {
        q = -((-x + (((int64_t)1 << shift) - 1)) >> shift);
    }
    q += offset;
    if (q < -128) {
        return -128;
    }
    if (q > 127) {
        return 127;
    }
    return (int8_t)q;
}
