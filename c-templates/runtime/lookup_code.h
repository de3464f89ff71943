#include <stdint.h>

/*
 * T[x[input]] of a strong literal when its layer uses several tables: `table` is sn_tables + 128
 * and the code is SN_CODE(t, input), so (code >> 16) is t * 256, table t's start.
 */
#define SN_LOOKUP_CODE(table, x, code) ((table)[(int32_t)((code) >> 16) + (x)[(code) & 0xffffu]])
