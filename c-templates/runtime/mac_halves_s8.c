#include <stdint.h>

#include "simd_s8.c"

/*
 * SMLABB and SMLATT: one int16 x int16 multiply-accumulate from the low or the high halves. The
 * depthwise kernel unpacks a word of four channels with SXTB16 (simd_s8.c) and keeps the four
 * channels' sums apart, so it multiplies halves one at a time rather than SMLAD's pairs.
 */
#if defined(SN_DOT_DSP) && !defined(STRONGNET_EMULATE_DSP)
/* SMLABB: acc + lo(a) * lo(b) */
static int32_t sn_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* SMLATT: acc + hi(a) * hi(b) */
static int32_t sn_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
#elif defined(SN_DOT_DSP)
static int32_t sn_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return acc + sn_dsp_half(a, 0u) * sn_dsp_half(b, 0u);
}

static int32_t sn_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return acc + sn_dsp_half(a, 1u) * sn_dsp_half(b, 1u);
}
#endif
