#include <stdint.h>
#include <string.h>

#include "mve.h"

/*
 * SIMD helpers of the convolution kernels (dot_s8_*.c, mac_halves_s8.c). The dot products of
 * int8 vectors compute several outputs per pass so that every load and unpack is shared: two
 * filters by two columns (sn_dot_s8_2x2, four accumulators), or one filter by two columns
 * (sn_dot_s8_1x2). A column is the input window of
 * one output pixel, flattened (ky, kx, channel) like the filter's weights. Vectors are whole
 * 32-bit words: the lowering pads each filter's weights, and the kernel each column, to a
 * multiple of 4 with zeros. The weights of a filter pair are interleaved one word at a time
 * (w0[0..3], w1[0..3], w0[4..7], w1[4..7], ...) so that one pointer streams them.
 *
 * With the DSP extension (Cortex-M4/M7/M33, __ARM_FEATURE_DSP) a word of four int8 b0..b3 is
 * unpacked by SXTB16 into the int16 pair (b0, b2) and, rotated right by 8, into (b1, b3); one
 * SMLAD then does two multiply-accumulates (acc + lo * lo + hi * hi). Weights and inputs are
 * unpacked the same way, so the pairs line up and the sum is the plain dot product. Without DSP
 * (Cortex-M0/M0+/M3) plain C, four bytes per step, no 64-bit arithmetic. The accumulators never
 * overflow: loading proves |bias| + 128 * sum |w| < 2^31 for every filter.
 *
 * gcc's arm_acle.h (12.2) has __sxtb16 and __smlad but no __ror, and SXTB16's rotate only comes
 * fused from inline asm, hence one-instruction helpers (SMLAD in smlad_s8.c, SMLABB / SMLATT
 * in mac_halves_s8.c: each in the file of its users, so no pasted helper is unused).
 * STRONGNET_EMULATE_DSP builds the DSP loops with C versions of them, so host tests check the
 * DSP data layout bit for bit.
 *
 * With Helium (MVE: Cortex-M55, SN_MVE) SN_DOT_MVE is defined instead of SN_DOT_DSP: the columns
 * stay int8 and the kernels multiply sixteen taps per VMLADAVA (dot_s8_filters.c).
 */
#if SN_MVE
#define SN_DOT_MVE 1
#elif defined(__ARM_FEATURE_DSP) && !defined(STRONGNET_EMULATE_DSP)
#define SN_DOT_DSP 1
/* SXTB16: (sign-extended byte 0, sign-extended byte 2) as two int16 halves */
static uint32_t sn_sxtb16(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(v));
    return r;
}

/* SXTB16 of v rotated right by 8: (byte 1, byte 3) */
static uint32_t sn_sxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
#elif defined(STRONGNET_EMULATE_DSP)
#define SN_DOT_DSP 1
/* the int8 in bits 8k..8k+7 of v, sign-extended, as an unsigned 16-bit pattern */
static uint32_t sn_dsp_byte16(uint32_t v, uint32_t k)
{
    const uint32_t b = (v >> (8u * k)) & 0xffu;
    return (b & 0x80u) != 0u ? b | 0xff00u : b;
}

static uint32_t sn_sxtb16(uint32_t v)
{
    return sn_dsp_byte16(v, 0u) | (sn_dsp_byte16(v, 2u) << 16);
}

static uint32_t sn_sxtb16_ror8(uint32_t v)
{
    return sn_dsp_byte16(v, 1u) | (sn_dsp_byte16(v, 3u) << 16);
}

/* the int16 in bits 16k..16k+15 of v */
static int32_t sn_dsp_half(uint32_t v, uint32_t k)
{
    const uint32_t h = (v >> (16u * k)) & 0xffffu;
    return (int32_t)h - ((h & 0x8000u) != 0u ? 65536 : 0);
}
#endif

#if defined(SN_DOT_DSP)
/* four int8 at p (any alignment) as one word, byte 0 lowest: one LDR on Cortex-M4/M7/M33 */
static uint32_t sn_load_s8x4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}
#endif
