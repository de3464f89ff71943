#include <stdint.h>

#include "smlad_s8.c"

/* (not compiled with MVE: dot_s8_filters.c has its own kernel there) */
#if !defined(SN_DOT_MVE)
/* acc[0] += w . c0, acc[1] += w . c1 over `words` words: one filter, the pair of dot_s8_2x2.c. */
static inline void sn_dot_s8_1x2(const int8_t *w, const uint32_t *pair, int32_t words,
                                 int32_t acc[2])
{
    int32_t a0 = acc[0], a1 = acc[1];
    const int8_t *const end = w + 4 * words;
#if defined(SN_DOT_DSP)
    while (w != end) {
        const uint32_t wv = sn_load_s8x4(w);
        const uint32_t w_even = sn_sxtb16(wv), w_odd = sn_sxtb16_ror8(wv);
        a0 = sn_smlad(w_even, pair[0], a0);
        a0 = sn_smlad(w_odd, pair[1], a0);
        a1 = sn_smlad(w_even, pair[2], a1);
        a1 = sn_smlad(w_odd, pair[3], a1);
        w += 4;
        pair += 4;
    }
#else
    const int8_t *x0 = (const int8_t *)pair;
    while (w != end) {
        int32_t k;
        for (k = 0; k < 4; k++) {
            const int32_t wk = w[k];
            a0 += wk * x0[k];
            a1 += wk * x0[4 + k];
        }
        w += 4;
        x0 += 8;
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
}
#endif
