#include <stdint.h>

/* T[x + 128]: every unary nonlinearity is a 256-entry int8 table; table t starts at t * 256. */
#define SN_LOOKUP(table, x) (sn_tables[(int32_t)(table) * 256 + (int32_t)(x) + 128])
