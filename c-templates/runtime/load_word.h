#include <stdint.h>

/*
 * Four int8 values as one 32-bit word, byte i in bits 8i..8i+7 (the order SXTB16 and SMLAD see),
 * from any address: gcc and clang turn this into one LDR on cores that allow unaligned loads.
 */
static inline uint32_t sn_load_word(const int8_t *p)
{
    return (uint32_t)(uint8_t)p[0] | (uint32_t)(uint8_t)p[1] << 8 | (uint32_t)(uint8_t)p[2] << 16 |
           (uint32_t)(uint8_t)p[3] << 24;
}
