#include <stdint.h>

#include "mve.h"

#if SN_MVE
/*
 * A compiler barrier for memory accesses: vector loads written after it are not moved before it.
 * gcc 12 otherwise issues a kernel's many independent loads first, runs out of the eight vector
 * registers and spills them to the stack (more instructions, not fewer).
 */
#if defined(__GNUC__)
#define SN_MVE_IN_ORDER() __asm__ volatile("" ::: "memory")
#else
#define SN_MVE_IN_ORDER() ((void)0)
#endif
#endif
