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

#if defined(SN_DOT_DSP)
/*
 * acc[i] += x_i * w_i for the four int8 lanes i of words x and w (four channels of one depthwise
 * tap): lanes 0 and 2 are the halves of SXTB16, lanes 1 and 3 those of SXTB16 ROR #8.
 */
static inline void sn_mac_s8x4(uint32_t x, uint32_t w, int32_t acc[4])
{
    const uint32_t x_even = sn_sxtb16(x), w_even = sn_sxtb16(w);
    const uint32_t x_odd = sn_sxtb16_ror8(x), w_odd = sn_sxtb16_ror8(w);
    acc[0] = sn_smlabb(x_even, w_even, acc[0]);
    acc[2] = sn_smlatt(x_even, w_even, acc[2]);
    acc[1] = sn_smlabb(x_odd, w_odd, acc[1]);
    acc[3] = sn_smlatt(x_odd, w_odd, acc[3]);
}
#endif
