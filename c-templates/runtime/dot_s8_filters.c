#include <stdint.h>

#include "dot_s8_2x2.c"
#include "dot_s8_1x2.c"

/* never inlined (where the compiler has the attribute): see sn_dot_s8_filters */
#if defined(__GNUC__)
#define SN_NOINLINE __attribute__((noinline))
#else
#define SN_NOINLINE
#endif

/*
 * Every filter's sums for two columns (the pair sn_columns_s8 writes): sums[f] = bias[f] +
 * w_f . c0 and sums[filters + f] = bias[f] + w_f . c1, w the filters packed as dot_s8_2x2.c
 * reads them (pairs interleaved by words, an odd last filter alone). A function of its own, never
 * inlined, so that the compiler allocates the multiply loop's registers without the layer's
 * other values (gcc 12 spills the sums otherwise).
 *
 * With MVE (SN_DOT_MVE) the filters come one after the other (4 * words bytes each, conv2d.ts's
 * mveFilterWeights) and `pair` holds the two int8 columns one after the other (column_s8.c). Two
 * filters by two columns share every vector load: per sixteen taps, two column loads, two weight
 * loads and four VMLADAVA (sixteen multiply-accumulates each); a column's last 4 * words % 16
 * bytes are one predicated step (the loads read only those bytes and zero the other lanes).
 */
#if defined(SN_DOT_MVE)
static SN_NOINLINE void sn_dot_s8_filters(const int8_t *w, const uint32_t *pair, int32_t words,
                                          const int32_t *bias, int32_t filters, int32_t *sums)
{
    const int32_t n = 4 * words, full = n - n % 16;
    const int8_t *const c0 = (const int8_t *)pair;
    const int8_t *const c1 = c0 + n;
    int32_t f;
    for (f = 0; f + 1 < filters; f += 2) {
        const int8_t *const w0 = w + f * n;
        const int8_t *const w1 = w0 + n;
        int32_t a00 = bias[f], a10 = bias[f + 1], a01 = a00, a11 = a10;
        int32_t i;
        for (i = 0; i < full; i += 16) {
            const int8x16_t x0 = vldrbq_s8(c0 + i), x1 = vldrbq_s8(c1 + i);
            int8x16_t wv = vldrbq_s8(w0 + i);
            a00 = vmladavaq_s8(a00, wv, x0);
            a01 = vmladavaq_s8(a01, wv, x1);
            wv = vldrbq_s8(w1 + i);
            a10 = vmladavaq_s8(a10, wv, x0);
            a11 = vmladavaq_s8(a11, wv, x1);
        }
        if (full < n) {
            const mve_pred16_t p = vctp8q((uint32_t)(n - full));
            const int8x16_t x0 = vldrbq_z_s8(c0 + full, p), x1 = vldrbq_z_s8(c1 + full, p);
            int8x16_t wv = vldrbq_z_s8(w0 + full, p);
            a00 = vmladavaq_s8(a00, wv, x0);
            a01 = vmladavaq_s8(a01, wv, x1);
            wv = vldrbq_z_s8(w1 + full, p);
            a10 = vmladavaq_s8(a10, wv, x0);
            a11 = vmladavaq_s8(a11, wv, x1);
        }
        sums[f] = a00;
        sums[f + 1] = a10;
        sums[filters + f] = a01;
        sums[filters + f + 1] = a11;
    }
    if (f < filters) {
        const int8_t *const w0 = w + f * n;
        int32_t a0 = bias[f], a1 = a0;
        int32_t i;
        for (i = 0; i < full; i += 16) {
            const int8x16_t wv = vldrbq_s8(w0 + i);
            a0 = vmladavaq_s8(a0, wv, vldrbq_s8(c0 + i));
            a1 = vmladavaq_s8(a1, wv, vldrbq_s8(c1 + i));
        }
        if (full < n) {
            const mve_pred16_t p = vctp8q((uint32_t)(n - full));
            const int8x16_t wv = vldrbq_z_s8(w0 + full, p);
            a0 = vmladavaq_s8(a0, wv, vldrbq_z_s8(c0 + full, p));
            a1 = vmladavaq_s8(a1, wv, vldrbq_z_s8(c1 + full, p));
        }
        sums[f] = a0;
        sums[filters + f] = a1;
    }
}
#else
static SN_NOINLINE void sn_dot_s8_filters(const int8_t *w, const uint32_t *pair, int32_t words,
                                          const int32_t *bias, int32_t filters, int32_t *sums)
{
    int32_t f;
    for (f = 0; f + 1 < filters; f += 2) {
        int32_t acc[4];
        acc[0] = acc[2] = bias[f];
        acc[1] = acc[3] = bias[f + 1];
        sn_dot_s8_2x2(w, pair, words, acc);
        w += 8 * words;
        sums[f] = acc[0];
        sums[f + 1] = acc[1];
        sums[filters + f] = acc[2];
        sums[filters + f + 1] = acc[3];
    }
    if (f < filters) {
        int32_t acc[2];
        acc[0] = acc[1] = bias[f];
        sn_dot_s8_1x2(w, pair, words, acc);
        sums[f] = acc[0];
        sums[filters + f] = acc[1];
    }
}
#endif
