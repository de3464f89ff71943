#include <stdint.h>

/*
 * The OR-of-ANDs loop of strong neurons, shared by strong and strong_conv layers: for each of
 * `count` neurons, y[n] = max over its groups (min over the group's literals of T[x[input]]).
 * `neurons` holds each neuron's group count, `group` each group's literal count and `literal`
 * one code per literal; the caller's pointers `group` and `literal` are advanced through them
 * in order (see src/plan/lowering.ts). group_t and code_t are their element types.
 *
 * A group stops at the first literal that is not above the maximum so far: its min could not
 * raise the max any more, so the result is unchanged (min and max ignore order). Every group
 * has at least one literal, so the first is read before the loop (most groups stop there).
 *
 * `lookup(table, x, code)` is T[x[input]] of a code: SN_LOOKUP_INPUT when the layer uses one
 * table (table = that table + 128, codes are input offsets), SN_LOOKUP_CODE when it uses several
 * (table = sn_tables + 128, codes are SN_CODE(table, input)).
 *
 * A macro rather than a function, so the loop compiles exactly as if written inside the layer.
 * As a static function gcc -O2 optimises its body before inlining it, without the layer's
 * constants: same results, other machine code, and mnist_demo's instruction count per inference
 * moved by -10% to +9% depending on the core (measured under QEMU).
 */
#define SN_STRONG_GROUPS(group_t, code_t, count, neurons, group, literal, x, table, lookup, y) \
    do {                                                                                       \
        uint32_t n;                                                                            \
        for (n = 0; n < (count); n++) {                                                        \
            const group_t *const groups_stop = (group) + (neurons)[n];                         \
            int32_t or_value = -128;                                                           \
            while ((group) != groups_stop) {                                                   \
                const code_t *const stop = (literal) + *(group)++;                             \
                code_t code = *(literal)++;                                                    \
                int32_t and_value = lookup((table), (x), code);                                \
                if (and_value <= or_value) {                                                   \
                    (literal) = stop;                                                          \
                    continue;                                                                  \
                }                                                                              \
                while ((literal) != stop) {                                                    \
                    int32_t v;                                                                 \
                    code = *(literal)++;                                                       \
                    v = lookup((table), (x), code);                                            \
                    if (v < and_value) {                                                       \
                        if (v <= or_value) {                                                   \
                            (literal) = stop;                                                  \
                            and_value = or_value;                                              \
                            break;                                                             \
                        }                                                                      \
                        and_value = v;                                                         \
                    }                                                                          \
                }                                                                              \
                or_value = and_value;                                                          \
            }                                                                                  \
            (y)[n] = (int8_t)or_value;                                                         \
        }                                                                                      \
    } while (0)
