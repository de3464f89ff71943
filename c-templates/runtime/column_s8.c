#include <stdint.h>
#include <string.h>

#include "simd_s8.c"

/*
 * Two columns (two output pixels' input windows, `words` words of int8 each) in the form the dot
 * kernels (dot_s8_2x2.c, dot_s8_1x2.c) read: interleaved word by word into `pair` (4 * words
 * words), so that one pointer walks both. With the DSP extension each input word b0..b3 becomes
 * the two words SXTB16 makes of it, the int16 pairs (b0, b2) and (b1, b3): pair[4i .. 4i + 3] =
 * word i of src0 as (even, odd), then of src1. A column is reused by every filter, so widening
 * it once here leaves the kernels' inner loops to unpack only weights (CMSIS-NN's im2col widens
 * to int16 the same way). Without DSP the bytes are copied as they are: word i of src0, then of
 * src1, in the first half of `pair`. With MVE (SN_DOT_MVE) the two columns are copied whole, one
 * after the other (bytes 0 .. 4 * words - 1 of `pair` and the next 4 * words), sixteen bytes a
 * vector, for dot_s8_filters.c's MVE kernel.
 */
static inline void sn_columns_s8(const int8_t *src0, const int8_t *src1, uint32_t *pair,
                                 int32_t words)
{
#if defined(SN_DOT_MVE)
    int8_t *const dst = (int8_t *)pair;
    const int32_t n = 4 * words;
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        vstrbq_s8(dst + i, vldrbq_s8(src0 + i));
        vstrbq_s8(dst + n + i, vldrbq_s8(src1 + i));
    }
    if (i < n) {
        const mve_pred16_t p = vctp8q((uint32_t)(n - i));
        vstrbq_p_s8(dst + i, vldrbq_z_s8(src0 + i, p), p);
        vstrbq_p_s8(dst + n + i, vldrbq_z_s8(src1 + i, p), p);
    }
#else
    int32_t i;
    for (i = 0; i < words; i++) {
#if defined(SN_DOT_DSP)
        const uint32_t v0 = sn_load_s8x4(src0 + 4 * i), v1 = sn_load_s8x4(src1 + 4 * i);
        pair[4 * i] = sn_sxtb16(v0);
        pair[4 * i + 1] = sn_sxtb16_ror8(v0);
        pair[4 * i + 2] = sn_sxtb16(v1);
        pair[4 * i + 3] = sn_sxtb16_ror8(v1);
#else
        memcpy(pair + 2 * i, src0 + 4 * i, 4u);
        memcpy(pair + 2 * i + 1, src1 + 4 * i, 4u);
#endif
    }
#endif
}
