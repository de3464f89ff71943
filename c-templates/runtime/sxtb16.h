#include <stdint.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

/*
 * For SMLAD on cores with the DSP extension (a summator's block form). sn_int8x4 reads four int8
 * values as one word, byte i in bits 8i..8i+7 (one LDR: every DSP core allows unaligned loads).
 * sn_sxtb16_even / sn_sxtb16_odd sign-extend its bytes 0 and 2 / 1 and 3 into the two 16-bit
 * halves SMLAD multiplies. The odd bytes are one SXTB16 with its ROR #8 operand: written as
 * __sxtb16 of a rotate, gcc 12 emits a separate rotate (and its arm_acle.h has no __ror), so that
 * one is inline assembly.
 */
static inline uint32_t sn_int8x4(const int8_t *p)
{
    return (uint32_t)(uint8_t)p[0] | (uint32_t)(uint8_t)p[1] << 8 | (uint32_t)(uint8_t)p[2] << 16 |
           (uint32_t)(uint8_t)p[3] << 24;
}

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
