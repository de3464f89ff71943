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
 */
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
