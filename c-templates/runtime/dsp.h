#include <stdint.h>

#include "mve.h"

/*
 * SN_DSP is 1 when the compiler targets a core with the Armv7E-M / Armv8-M DSP extension
 * (Cortex-M4, M7, M33, M55): kernels then pack four int8 per word and do two multiply-accumulates
 * per SMLAD. Elsewhere (M0, M0+, M3, a host PC) it is 0 and the portable C loops are compiled.
 * Weight arrays whose layout depends on the path are emitted twice, under #if SN_DSP / #else.
 */
#if defined(__ARM_FEATURE_DSP)
#if __ARM_FEATURE_DSP
#define SN_DSP 1
#endif
#endif
#ifndef SN_DSP
#define SN_DSP 0
#endif

/* the DSP kernels' helpers; cores with MVE (which have DSP too) run the MVE kernels instead */
#if SN_DSP && !SN_MVE
#include <arm_acle.h>

/*
 * Four bytes from any address (LDR allows unaligned reads on cores with the DSP extension), as
 * int32_t: the type every ACLE intrinsic accepts in both gcc's and clang's <arm_acle.h>.
 */
static inline int32_t sn_read_word(const void *p)
{
    int32_t word;
    __builtin_memcpy(&word, p, sizeof word);
    return word;
}
#endif
