#include <stdint.h>

#include "mve.h"

#if SN_MVE
/*
 * TFLite's default requantization (two roundings, the model format's rounding "double"; scalar:
 * requantize_double.c) of four int32 lanes at once, before the offset, on Helium. Per lane, with
 * exponent e = 31 - shift, left = max(e, 0) and right = max(-e, 0):
 * - VSHL by left: acc * 2^left, which the loader proved fits int32 (no saturation needed);
 * - VQRDMULH: round(x * multiplier / 2^31), halves up: (2 x m + 2^31) >> 32 is exactly
 *   floor((x m + 2^30) / 2^31), gemmlowp's SaturatingRoundingDoublingHighMul for every product
 *   but INT32_MIN * INT32_MIN, and the multiplier is at least 1;
 * - VRSHL by -right rounds halves up ((x + 2^(right-1)) >> right, computed without overflow);
 *   a negative x is first lowered by one (VQADD, saturating: INT32_MIN stays, and gives the same
 *   quotient) so that its halves go away from zero: RoundingDivideByPOT. The -1 is x's sign bit,
 *   kept only where -right (0 or negative) has its sign bit set, i.e. where right > 0.
 * This is gemmlowp's NEON form of the same functions. The emulator and host tests compare it
 * with the scalar rule (the TypeScript reference) on every board with MVE.
 */
static inline int32x4_t sn_requantize_double_x4(int32x4_t acc, int32x4_t multiplier,
                                                int32x4_t shift)
{
    const int32x4_t exponent = vsubq_s32(vdupq_n_s32(31), shift);
    const int32x4_t left = vmaxq_s32(exponent, vdupq_n_s32(0));
    const int32x4_t right = vminq_s32(exponent, vdupq_n_s32(0)); /* -right */
    const int32x4_t x = vqrdmulhq_s32(vshlq_s32(acc, left), multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, right), 31);
    return vrshlq_s32(vqaddq_s32(x, fixup), right);
}
#endif
