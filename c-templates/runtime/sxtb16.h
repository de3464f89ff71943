#include <stdint.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

/*
 * Bytes 0 and 2 (sn_sxtb16_even) or 1 and 3 (sn_sxtb16_odd) of v, sign-extended into the two
 * 16-bit halves SMLAD multiplies. The odd bytes are one SXTB16 with its ROR #8 operand: written
 * as __sxtb16 of a rotate, gcc 12 emits a separate rotate (and its arm_acle.h has no __ror), so
 * that one is inline assembly.
 */
static inline int16x2_t sn_sxtb16_even(uint32_t v)
{
    return __sxtb16((int8x4_t)v);
}

static inline int16x2_t sn_sxtb16_odd(uint32_t v)
{
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
#endif
