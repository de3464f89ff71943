#include <stdint.h>
#include "dsp.h"

/*
 * Dense layers that read strong neurons (src/kinds/dense.ts, readsMostlyOff). A strong neuron is
 * a min over table lookups, so one literal that does not match sends it to -128, "off": on MNIST
 * about 70% of a feature layer's outputs are -128 on a typical image. With
 *     sum_i W[u][i] x[i] = -128 sum_i W[u][i] + sum over x[i] != -128 of W[u][i] (x[i] + 128)
 * the first term is folded into the bias at compile time, and the kernel multiplies only the
 * inputs that are on: it first lists them (sn_active_inputs), then runs the list once per block
 * of eight units (sn_dense_active8).
 *
 * Weights, per block of eight units and per input i, the eight bytes W[k][i] + 128 (unsigned:
 * Cortex-M0 loads bytes with an immediate offset only unsigned). A list entry is
 * (i << 11) | (x[i] + 128): the offset 8 * i of input i's weights in a block, shifted left 8, and
 * the input's value 1..255. The +128 of the weights adds 128 * (the sum of the values) to every
 * dot product; the caller takes it off. Sums wrap modulo 2^32 (unsigned arithmetic, or SMLAxy's):
 * the final accumulators fit in 32 bits (src/ir/checks.ts, checkAccumulator).
 */

#if SN_DSP && !SN_MVE
/* Bytes 1 and 3 of `word`, zero-extended to two 16-bit lanes (UXTB16 with ROR #8). */
static inline int32_t sn_active_uxtb16_odd(int32_t word)
{
    int32_t lanes;
    __asm__("uxtb16 %0, %1, ror #8" : "=r"(lanes) : "r"(word));
    return lanes;
}
#endif

/*
 * Lists the inputs of x[0..n) that are not -128 in `list` (n entries at most) and returns how
 * many there are; *value_sum is the sum of their values x[i] + 128.
 */
static uint32_t sn_active_inputs(const int8_t *x, uint32_t n, uint32_t *list, int32_t *value_sum)
{
    uint32_t count = 0u, sum = 0u, i;
    for (i = 0; i < n; i++) {
        const uint32_t value = (uint32_t)(x[i] + 128);
        if (value != 0u) {
            list[count++] = (i << 11) | value;
            sum += value;
        }
    }
    *value_sum = (int32_t)sum;
    return count;
}

/*
 * The dot products of one block's eight units with the listed inputs: dot[k] = sum over the
 * entries of (W[k][i] + 128) * value. w points at the block's weights, 8 bytes per input.
 * Out of line: inlined, gcc for Cortex-M0 keeps the eight sums on the stack of the caller.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void sn_dense_active8(const uint32_t *list, uint32_t count, const uint8_t *w, int32_t dot[8])
{
    const uint32_t *const end = list + count;
#if SN_DSP && !SN_MVE
    /* per entry: UXTB16 spreads four weights over two words of two 16-bit lanes, SMLABB/SMLATB
     * multiply one lane by the value and add */
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (; list != end; list++) {
        const uint32_t entry = *list;
        const int32_t value = (int32_t)(entry & 0xffu);
        const uint8_t *const p = w + (entry >> 8);
        const int32_t low = sn_read_word(p), high = sn_read_word(p + 4);
        const int32_t even = __uxtb16(low), odd = sn_active_uxtb16_odd(low);
        const int32_t even2 = __uxtb16(high), odd2 = sn_active_uxtb16_odd(high);
        a0 = __smlabb(even, value, a0);
        a2 = __smlatb(even, value, a2);
        a1 = __smlabb(odd, value, a1);
        a3 = __smlatb(odd, value, a3);
        a4 = __smlabb(even2, value, a4);
        a6 = __smlatb(even2, value, a6);
        a5 = __smlabb(odd2, value, a5);
        a7 = __smlatb(odd2, value, a7);
    }
    dot[0] = a0;
    dot[1] = a1;
    dot[2] = a2;
    dot[3] = a3;
    dot[4] = a4;
    dot[5] = a5;
    dot[6] = a6;
    dot[7] = a7;
#else
    uint32_t a0 = 0u, a1 = 0u, a2 = 0u, a3 = 0u, a4 = 0u, a5 = 0u, a6 = 0u, a7 = 0u;
    for (; list != end; list++) {
        const uint32_t entry = *list;
        const uint32_t value = entry & 0xffu;
        const uint8_t *const p = w + (entry >> 8);
        a0 += p[0] * value;
        a1 += p[1] * value;
        a2 += p[2] * value;
        a3 += p[3] * value;
        a4 += p[4] * value;
        a5 += p[5] * value;
        a6 += p[6] * value;
        a7 += p[7] * value;
    }
    dot[0] = (int32_t)a0;
    dot[1] = (int32_t)a1;
    dot[2] = (int32_t)a2;
    dot[3] = (int32_t)a3;
    dot[4] = (int32_t)a4;
    dot[5] = (int32_t)a5;
    dot[6] = (int32_t)a6;
    dot[7] = (int32_t)a7;
#endif
}
