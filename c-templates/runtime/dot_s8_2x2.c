#include <stdint.h>

#include "smlad_s8.c"

/* (not compiled with MVE: dot_s8_filters.c has its own kernel there) */
#if !defined(SN_DOT_MVE)
/*
 * acc[0] += w0 . c0, acc[1] += w1 . c0, acc[2] += w0 . c1, acc[3] += w1 . c1 over `words` words:
 * w is a filter pair interleaved by words, c0 and c1 two columns interleaved in `pair` as
 * sn_columns_s8 writes them (column_s8.c: int16 pairs with the DSP extension, so only the
 * weights are unpacked here).
 */
static inline void sn_dot_s8_2x2(const int8_t *w, const uint32_t *pair, int32_t words,
                                 int32_t acc[4])
{
    int32_t a00 = acc[0], a10 = acc[1], a01 = acc[2], a11 = acc[3];
    const int8_t *const end = w + 8 * words;
#if defined(SN_DOT_DSP)
    while (w != end) {
        /* taps (0, 2) and (1, 3) of a word of both columns, each used by both filters */
        const uint32_t x0_even = pair[0], x0_odd = pair[1], x1_even = pair[2], x1_odd = pair[3];
        uint32_t wv = sn_load_s8x4(w);
        uint32_t w_even = sn_sxtb16(wv), w_odd = sn_sxtb16_ror8(wv);
        a00 = sn_smlad(w_even, x0_even, a00);
        a00 = sn_smlad(w_odd, x0_odd, a00);
        a01 = sn_smlad(w_even, x1_even, a01);
        a01 = sn_smlad(w_odd, x1_odd, a01);
        wv = sn_load_s8x4(w + 4);
        w_even = sn_sxtb16(wv);
        w_odd = sn_sxtb16_ror8(wv);
        a10 = sn_smlad(w_even, x0_even, a10);
        a10 = sn_smlad(w_odd, x0_odd, a10);
        a11 = sn_smlad(w_even, x1_even, a11);
        a11 = sn_smlad(w_odd, x1_odd, a11);
        w += 8;
        pair += 4;
    }
#else
    const int8_t *x0 = (const int8_t *)pair;
    while (w != end) {
        int32_t k;
        for (k = 0; k < 4; k++) {
            const int32_t v0 = x0[k], v1 = x0[4 + k], w0 = w[k], w1 = w[4 + k];
            a00 += w0 * v0;
            a10 += w1 * v0;
            a01 += w0 * v1;
            a11 += w1 * v1;
        }
        w += 8;
        x0 += 8;
    }
#endif
    acc[0] = a00;
    acc[1] = a10;
    acc[2] = a01;
    acc[3] = a11;
}
#endif
