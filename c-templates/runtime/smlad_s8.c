#include <stdint.h>

#include "simd_s8.c"

/* SMLAD: two int16 x int16 multiply-accumulates, low halves and high halves (simd_s8.c). */
#if defined(SN_DOT_DSP) && !defined(STRONGNET_EMULATE_DSP)
/* acc + lo(a) * lo(b) + hi(a) * hi(b), halves as int16 */
static int32_t sn_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
#elif defined(SN_DOT_DSP)
static int32_t sn_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return acc + sn_dsp_half(a, 0u) * sn_dsp_half(b, 0u) + sn_dsp_half(a, 1u) * sn_dsp_half(b, 1u);
}
#endif
