#include <stdint.h>

/*
 * SN_MVE is 1 when the compiler targets a core with integer Helium, the M-profile Vector
 * Extension (Cortex-M55, M85: bit 0 of __ARM_FEATURE_MVE): kernels then work on 128-bit vectors
 * of sixteen int8 or four int32 lanes through <arm_mve.h>. Elsewhere it is 0 and the DSP or the
 * portable loops are compiled. MVE cores also have the DSP extension (SN_DSP); an array whose
 * layout depends on the path is emitted under #if SN_MVE / #elif SN_DSP / #else.
 *
 * The MVE kernels are written for gcc 12, which does not make tail-predicated loops: the main
 * loops use whole vectors and a vector's tail is one predicated step after them.
 */
#if defined(__ARM_FEATURE_MVE)
#if (__ARM_FEATURE_MVE & 1) != 0
#define SN_MVE 1
#include <arm_mve.h>
#endif
#endif
#ifndef SN_MVE
#define SN_MVE 0
#endif

