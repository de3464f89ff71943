#include <stdint.h>
#include <string.h>

#include "simd_s8.c"

/*
 * A column (one output pixel's input window, `words` words of int8) in the form the dot kernels
 * (dot_s8_2x2.c, dot_s8_1x2.c) read, written to `column` (2 * words words). With the DSP
 * extension each input word b0..b3 becomes the two words SXTB16 makes of it, the int16 pairs
 * (b0, b2) and (b1, b3): a column is reused by every filter, so widening it once here leaves the
 * kernels' inner loops to unpack only weights (CMSIS-NN's im2col widens to int16 the same way).
 * Without DSP the bytes are copied as they are, into the first half. `src` may be the second
 * half of `column` (the im2col window is built there): each word is read before the words it
 * becomes are written, and no later source word is written over.
 */
static inline void sn_column_s8(const int8_t *src, uint32_t *column, int32_t words)
{
#if defined(SN_DOT_DSP)
    int32_t i;
    for (i = 0; i < words; i++) {
        const uint32_t v = sn_load_s8x4(src + 4 * i);
        column[2 * i] = sn_sxtb16(v);
        column[2 * i + 1] = sn_sxtb16_ror8(v);
    }
#else
    memcpy(column, src, (size_t)words * 4u);
#endif
}
