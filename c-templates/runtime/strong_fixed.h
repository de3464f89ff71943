#include <stdint.h>

/*
 * One group of a strong neuron in the plane form of a strong layer (src/plan/strong-planes.ts):
 * or_value = max(or_value, min over the group's `literals` literals of planes[lit[j]]).
 * `literals` is a compile-time constant, so the loop unrolls; a group shorter than `literals`
 * repeats its last literal, which leaves its min unchanged. The layer's template writes one
 * SN_STRONG_GROUP per group of a neuron, so the group loop has no counter either.
 *
 * A group whose first literal is not above the maximum so far cannot raise it (its min is no
 * larger), so the rest of it is skipped; most groups stop there. The other literals are a
 * branch-free min.
 */
#define SN_STRONG_GROUP(literals, planes, lit, or_value)                                       \
    do {                                                                                       \
        int32_t and_value = (planes)[(lit)[0]];                                                \
        if (and_value > (or_value)) {                                                          \
            uint32_t j;                                                                        \
            for (j = 1; j < (uint32_t)(literals); j++) {                                       \
                const int32_t w = (planes)[(lit)[j]];                                          \
                and_value = w < and_value ? w : and_value;                                     \
            }                                                                                  \
            (or_value) = and_value > (or_value) ? and_value : (or_value);                      \
        }                                                                                      \
    } while (0)
