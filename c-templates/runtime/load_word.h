#include <stdint.h>

#if defined(__ARM_FEATURE_UNALIGNED)
/*
 * Four int8 values as one 32-bit word, byte i in bits 8i..8i+7, and back, at any address: on
 * cores that allow unaligned access gcc and clang make each one LDR or STR. Defined only there,
 * like the code that uses them (a strong layer's plane fill), so no core has an unused function.
 */
static inline uint32_t sn_load_word(const int8_t *p)
{
    return (uint32_t)(uint8_t)p[0] | (uint32_t)(uint8_t)p[1] << 8 | (uint32_t)(uint8_t)p[2] << 16 |
           (uint32_t)(uint8_t)p[3] << 24;
}

static inline void sn_store_word(int8_t *p, uint32_t v)
{
    uint8_t *const b = (uint8_t *)p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}
#endif
