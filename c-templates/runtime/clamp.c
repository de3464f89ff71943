#include <stdint.h>

/* y clamped to [lo, hi]: a fused activation's output range (ReLU, ReLU6 on int8). */
static int8_t sn_clamp(int8_t y, int8_t lo, int8_t hi)
{
    if (y < lo) {
        return lo;
    }
    if (y > hi) {
        return hi;
    }
    return y;
}
