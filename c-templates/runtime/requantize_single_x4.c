#include <stdint.h>

#include "mve.h"

#if SN_MVE
/*
 * The model format's single-rounding requantization (scalar: requantize.c), floor((acc *
 * multiplier + 2^(shift-1)) / 2^shift), of four int32 lanes at once, before the offset, on
 * Helium, for shifts of 32 to 62 only. With P = acc * multiplier and h = floor(P / 2^31) (VQDMULH:
 * (2 acc m) >> 32, which saturates only for INT32_MIN * INT32_MIN; the multiplier is at least 1),
 * 2^(shift-1) is a multiple of 2^31, so floors of floors give floor((h + 2^(shift-32)) /
 * 2^(shift-31)): VRSHL by -(shift - 31), a right shift of 1 to 31 that adds half first (without
 * overflow). |P| < 2^62, so h fits int32.
 */
static inline int32x4_t sn_requantize_single_x4(int32x4_t acc, int32x4_t multiplier,
                                                int32x4_t shift)
{
    return vrshlq_s32(vqdmulhq_s32(acc, multiplier), vsubq_s32(vdupq_n_s32(31), shift));
}
#endif
