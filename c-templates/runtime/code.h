#include <stdint.h>

/*
 * A strong-layer literal code when the layer uses several tables: the input offset in the low
 * 16 bits, the table's start in sn_tables (table * 256) in the high 16 bits, so the lookup is
 * tables[(code >> 16) + x[code & 0xffff]] (SN_LOOKUP_CODE).
 */
#define SN_CODE(table, input) ((((uint32_t)(table) * 256u) << 16) | (uint32_t)(input))
