#include <stdint.h>

/* T[x[input]] of a strong literal when its layer uses one table: `table` points at entry 128. */
#define SN_LOOKUP_INPUT(table, x, code) ((table)[(x)[(code)]])
