#include <stdint.h>
#include "dsp.h"
#include "mve.h"

/*
 * The dot products of four consecutive units of a dense layer with the input x, over
 * 4 * words inputs: dot[k] = sum over i of W[k][i] * x[i]. x_sum is the sum of those inputs.
 *
 * The weights of the four units come packed (src/kinds/dense.ts, packDenseWeights):
 * - DSP layout, per four inputs i..i+3 and per pair of units (A, B): the words
 *   [A(i)+128, B(i), A(i+2)+128, B(i+2)] and [A(i+1)+128, B(i+1), A(i+3)+128, B(i+3)].
 *   With X = the two inputs as int16 lanes, UXTB16 + SMLAD accumulates sum (A+128) x, and SMLAD on
 *   the raw word accumulates 256 * sum B x + sum (A+128) x: their difference is 256 * sum B x.
 *   Four multiply-accumulates cost one load, one UXTB16 and two SMLAD. The compiler only uses
 *   this layout when |sum B x| < 2^23 for every input, so 256 * sum B x fits in 32 bits.
 * - Portable layout, per input i: W[0][i]+128, W[1][i]+128, W[2][i]+128, W[3][i]+128. Unsigned
 *   bytes load with an immediate offset on Cortex-M0 (LDRSB has only a register form).
 * - MVE layout (Helium, Cortex-M55), per unit: its 4 * words weights as they are (int8 bytes).
 *   Sixteen inputs are one vector load shared by the four units, and one VMLADAVA per unit
 *   multiplies and adds all sixteen into its sum; x_sum is not needed.
 * The portable and DSP layouts' +128 adds 128 * x_sum to a dot product, taken off at the end.
 * The sums wrap modulo 2^32 (unsigned arithmetic, SMLAD's or VMLADAVA's), and the final dot
 * products fit in 32 bits.
 */
#if SN_DSP && !SN_MVE
/* Bytes 1 and 3 of `word`, sign-extended to two int16 lanes (SXTB16 with ROR #8). */
static inline int32_t sn_block_sxtb16_odd(int32_t word)
{
    int32_t lanes;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(lanes) : "r"(word));
    return lanes;
}

/* The running sums of one block: pair (A, B) = units (0, 1) and (2, 3). */
typedef struct {
    int32_t a0, ab0, a1, ab1;
} sn_block_sums;

/*
 * Four inputs (one word of x) into the sums; w points at the block's 16 bytes for them. Always
 * inlined: at -Os gcc would call it, and the sums would go through memory.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void sn_block4_word(sn_block_sums *s, int32_t input, const uint8_t *w)
{
    int32_t lanes = __sxtb16(input); /* x[i], x[i+2] */
    int32_t word = sn_read_word(w);
    s->a0 = __smlad(__uxtb16(word), lanes, s->a0);
    s->ab0 = __smlad(word, lanes, s->ab0);
    word = sn_read_word(w + 8);
    s->a1 = __smlad(__uxtb16(word), lanes, s->a1);
    s->ab1 = __smlad(word, lanes, s->ab1);
    lanes = sn_block_sxtb16_odd(input); /* x[i+1], x[i+3] */
    word = sn_read_word(w + 4);
    s->a0 = __smlad(__uxtb16(word), lanes, s->a0);
    s->ab0 = __smlad(word, lanes, s->ab0);
    word = sn_read_word(w + 12);
    s->a1 = __smlad(__uxtb16(word), lanes, s->a1);
    s->ab1 = __smlad(word, lanes, s->ab1);
}
#endif

/*
 * Out of line: inlined into a model's predict function, gcc for Cortex-M0 runs out of its eight
 * low registers and keeps the loop's pointers on the stack.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void sn_dense_block4(const int8_t *x, const uint8_t *w, uint32_t words, int32_t x_sum,
                            int32_t dot[4])
{
#if SN_MVE
    const int8_t *const w0 = (const int8_t *)w, *const w1 = w0 + 4u * words;
    const int8_t *const w2 = w1 + 4u * words, *const w3 = w2 + 4u * words;
    const uint32_t n = 4u * words;
    uint32_t i = 0;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    (void)x_sum;
    for (; i + 16u <= n; i += 16u) {
        const int8x16_t xv = vldrbq_s8(x + i);
        a0 = vmladavaq_s8(a0, vldrbq_s8(w0 + i), xv);
        a1 = vmladavaq_s8(a1, vldrbq_s8(w1 + i), xv);
        a2 = vmladavaq_s8(a2, vldrbq_s8(w2 + i), xv);
        a3 = vmladavaq_s8(a3, vldrbq_s8(w3 + i), xv);
    }
    if (i < n) {
        /* the last n % 16 inputs: the predicated loads read only those and zero the other lanes */
        const mve_pred16_t p = vctp8q(n - i);
        const int8x16_t xv = vldrbq_z_s8(x + i, p);
        a0 = vmladavaq_s8(a0, vldrbq_z_s8(w0 + i, p), xv);
        a1 = vmladavaq_s8(a1, vldrbq_z_s8(w1 + i, p), xv);
        a2 = vmladavaq_s8(a2, vldrbq_z_s8(w2 + i, p), xv);
        a3 = vmladavaq_s8(a3, vldrbq_z_s8(w3 + i, p), xv);
    }
    dot[0] = a0;
    dot[1] = a1;
    dot[2] = a2;
    dot[3] = a3;
#else
    const uint32_t bias_sum = 128u * (uint32_t)x_sum;
#if SN_DSP
    sn_block_sums s = {0, 0, 0, 0};
    uint32_t twice = words / 2u;
    /* two words a pass: the loop's own instructions are spread over 32 multiply-accumulates */
    for (; twice != 0u; twice--) {
        sn_block4_word(&s, sn_read_word(x), w);
        sn_block4_word(&s, sn_read_word(x + 4), w + 16);
        x += 8;
        w += 32;
    }
    if (words % 2u != 0u) {
        sn_block4_word(&s, sn_read_word(x), w);
    }
    /* 256 * sum B x is exact in 32 bits: dividing by 256 never rounds */
    dot[0] = (int32_t)((uint32_t)s.a0 - bias_sum);
    dot[1] = (int32_t)((uint32_t)s.ab0 - (uint32_t)s.a0) / 256;
    dot[2] = (int32_t)((uint32_t)s.a1 - bias_sum);
    dot[3] = (int32_t)((uint32_t)s.ab1 - (uint32_t)s.a1) / 256;
#else
    uint32_t acc0 = 0u, acc1 = 0u, acc2 = 0u, acc3 = 0u;
    const int8_t *const end = x + 4u * words;
    while (x != end) {
        const int32_t input = *x++;
        acc0 += (uint32_t)(w[0] * input);
        acc1 += (uint32_t)(w[1] * input);
        acc2 += (uint32_t)(w[2] * input);
        acc3 += (uint32_t)(w[3] * input);
        w += 4;
    }
    dot[0] = (int32_t)(acc0 - bias_sum);
    dot[1] = (int32_t)(acc1 - bias_sum);
    dot[2] = (int32_t)(acc2 - bias_sum);
    dot[3] = (int32_t)(acc3 - bias_sum);
#endif
#endif
}

/*
 * The sum of n int8 values (n < 2^24, so it fits in 32 bits). The MVE kernel does not use it, so
 * there it is only a stand-in 0 (the DSP and portable kernels' x_sum).
 */
static int32_t sn_sum_int8(const int8_t *x, uint32_t n)
{
    int32_t sum = 0;
#if SN_MVE
    (void)x;
    (void)n;
#else
    uint32_t i;
    for (i = 0; i < n; i++) {
        sum += x[i];
    }
#endif
    return sum;
}
