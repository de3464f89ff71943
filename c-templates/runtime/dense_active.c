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
 * Cortex-M0 loads bytes with an immediate offset only unsigned), the array word-aligned. A list
 * entry is (8 i) << 16 | (x[i] + 128): the offset of input i's weights in a block in the top
 * half (so at most 8192 inputs: src/kinds/dense.ts, ACTIVE_MAX_INPUTS), the input's value
 * 1..255 in the bottom half, where SMLABB reads it as is. The +128 of the weights adds
 * 128 * (the sum of the values) to every dot product; the caller takes it off. Sums wrap modulo
 * 2^32 (unsigned arithmetic, or SMLAxy's): the final accumulators fit in 32 bits
 * (src/ir/checks.ts, checkAccumulator).
 */

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
            list[count++] = (i << 19) | value;
            sum += value;
        }
    }
    *value_sum = (int32_t)sum;
    return count;
}

#if SN_DSP && !SN_MVE && defined(__GNUC__)
/*
 * The dot products of one block's eight units with the listed inputs: dot[k] = sum over the
 * entries of (W[k][i] + 128) * value. w points at the block's weights, 8 bytes per input, and is
 * word-aligned (LDRD).
 *
 * In assembly because the loop needs every register: eight accumulators (r4-r11), the list
 * (r0), the weights (r2), the entry (r1) and three temporaries (r3, r12, lr), with the list's
 * end and `dot` on the stack. From C, gcc reloads the end from the stack every entry (and
 * spills accumulators once the loop is unrolled), and inline assembly with these operands
 * fails to allocate (clang at every level, gcc at -O0). Per entry:
 * LDR the entry, ADD its weights' address, LDRD eight weights, four UXTB16 spread them over
 * 16-bit lanes, eight SMLABB/SMLATB multiply a lane by the entry's bottom half (the value) and
 * add; two entries per turn of the loop (an odd count enters at the second). Naked: no prologue
 * of the compiler's, so the static stack bound takes its frame (44 bytes) from the pushes
 * (src/report/stack.ts).
 */
/* one list entry: the eight products of its value with its weights, added to r4-r11 */
#define SN_ACTIVE_ENTRY \
    "ldr    r1, [r0], #4\n\t" \
    "add    r3, r2, r1, lsr #16\n\t" \
    "ldrd   r12, lr, [r3]\n\t"    /* W[0..3], W[4..7] (+128) */ \
    "uxtb16 r3, r12\n\t"          /* W[0], W[2] */ \
    "uxtb16 r12, r12, ror #8\n\t" /* W[1], W[3] */ \
    "smlabb r4, r3, r1, r4\n\t" \
    "smlatb r6, r3, r1, r6\n\t" \
    "smlabb r5, r12, r1, r5\n\t" \
    "smlatb r7, r12, r1, r7\n\t" \
    "uxtb16 r3, lr\n\t"           /* W[4], W[6] */ \
    "uxtb16 lr, lr, ror #8\n\t"   /* W[5], W[7] */ \
    "smlabb r8, r3, r1, r8\n\t" \
    "smlatb r10, r3, r1, r10\n\t" \
    "smlabb r9, lr, r1, r9\n\t" \
    "smlatb r11, lr, r1, r11\n\t"

/* the parameters arrive in r0-r3 (AAPCS); only the assembly reads them */
#define SN_ASM_ARG __attribute__((unused))
__attribute__((naked, noinline))
static void sn_dense_active8(const uint32_t *list SN_ASM_ARG, uint32_t count SN_ASM_ARG,
                             const uint8_t *w SN_ASM_ARG, int32_t dot[8] SN_ASM_ARG)
{
    __asm__(
        "push   {r4-r11, lr}\n\t"
        "add    r1, r0, r1, lsl #2\n\t" /* end of the list */
        "push   {r1, r3}\n\t"          /* [sp] end, [sp, #4] dot */
        "movs   r4, #0\n\t"
        "movs   r5, #0\n\t"
        "movs   r6, #0\n\t"
        "movs   r7, #0\n\t"
        "mov    r8, r4\n\t"
        "mov    r9, r4\n\t"
        "mov    r10, r4\n\t"
        "mov    r11, r4\n\t"
        "subs   r3, r1, r0\n\t"
        "beq    3f\n\t"               /* no entries */
        "tst    r3, #4\n\t"
        "bne    2f\n"                  /* odd count: start with the second entry of a turn */
        "1:\n\t"
        SN_ACTIVE_ENTRY
        "2:\n\t"
        SN_ACTIVE_ENTRY
        "ldr    r3, [sp]\n\t"
        "cmp    r0, r3\n\t"
        "bne    1b\n"
        "3:\n\t"
        "ldr    r3, [sp, #4]\n\t"
        "stm    r3, {r4-r11}\n\t"     /* dot[0..7] */
        "add    sp, #8\n\t"
        "pop    {r4-r11, pc}\n\t");
}
#else
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
    uint32_t a0 = 0u, a1 = 0u, a2 = 0u, a3 = 0u, a4 = 0u, a5 = 0u, a6 = 0u, a7 = 0u;
    for (; list != end; list++) {
        const uint32_t entry = *list;
        const uint32_t value = entry & 0xffffu;
        const uint8_t *const p = w + (entry >> 16);
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
}
#endif
