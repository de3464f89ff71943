/**
 * Lowering helpers: how layer parameters are laid out as const C arrays in flash. Each kind's
 * `lower` (src/kinds/<kind>.ts) builds its arrays from these; both the plan (to count flash
 * bytes) and the code generator (to emit the arrays) use the result, so the reported figures are
 * the emitted ones.
 *
 * Sparse structures become flat index tables walked by loops (never unrolled code):
 * neurons -> group counts -> literal counts -> one code per literal (input offset, plus the
 * table's offset in the high half when the layer uses several tables).
 * Index arrays use the narrowest unsigned type that holds their largest value.
 */
import { ModelError } from "../format/errors.js";

export type CType = "int8_t" | "uint8_t" | "uint16_t" | "uint32_t" | "int32_t";

export const C_TYPE_BYTES: Record<CType, number> = { int8_t: 1, uint8_t: 1, uint16_t: 2, uint32_t: 4, int32_t: 4 };

export interface ConstArray {
  /** suffix after the layer id: `<layer>_<role>` */
  role: string;
  ctype: CType;
  values: ArrayLike<number>;
  comment: string;
  /**
   * The same bytes in the layout of the DSP kernels (same length and type), when the layer's
   * kernel reads a different layout on cores with the DSP extension: the array is then emitted
   * under `#if SN_DSP` / `#else` (c-templates/runtime/dsp.h) and only one is compiled.
   */
  dspValues?: ArrayLike<number>;
  /**
   * The same bytes in the layout of the Helium (MVE) kernels (same type; the length may differ
   * when the MVE kernel is another kernel, as for dense's active inputs), when the
   * layer's kernel reads yet another layout on cores with integer MVE (Cortex-M55): the array is
   * then emitted under `#if SN_MVE` first (c-templates/runtime/mve.h); MVE cores have the DSP
   * extension too, so this layout wins over dspValues there.
   */
  mveValues?: ArrayLike<number>;
  /** the kernel reads the array with LDRD, which needs a word-aligned address (every layout) */
  wordAligned?: boolean;
}

/** The narrowest unsigned C type holding every value (all >= 0). */
export function unsignedTypeFor(maxValue: number): CType {
  return maxValue <= 0xff ? "uint8_t" : maxValue <= 0xffff ? "uint16_t" : "uint32_t";
}

export const indexArray = (role: string, values: number[], comment: string): ConstArray => ({
  role,
  ctype: unsignedTypeFor(Math.max(0, ...values)),
  values,
  comment,
});

/** Literal codes keep the input in the low 16 bits and (table * 256) in the high 16 bits. */
export const CODE_SHIFT = 16;

/**
 * The one table every literal of a strong layer uses (after de-duplication), or undefined when
 * they use several. A single-table layer's literal codes are plain input offsets.
 */
export function singleTable(literals: readonly { table: number }[], remapTable: (t: number) => number): number | undefined {
  const tables = new Set(literals.map((l) => remapTable(l.table)));
  return tables.size === 1 ? [...tables][0] : undefined;
}

/**
 * One code per literal, read with a single load: the input offset, plus (table * 256) << 16 when
 * the layer uses several tables, so the lookup is tables[(code >> 16) + x[code & 0xffff]].
 */
export function literalCodes(
  role: string,
  offsets: number[],
  literals: { table: number }[],
  remapTable: (t: number) => number,
  what: string,
  path: string,
): ConstArray {
  const tables = literals.map((l) => remapTable(l.table));
  if (new Set(tables).size <= 1) return indexArray(role, offsets, `${what} of each literal`);
  const maxOffset = Math.max(0, ...offsets);
  const maxTable = Math.max(0, ...tables);
  if (maxOffset >= 1 << CODE_SHIFT || maxTable >= 256) {
    throw new ModelError(path, `strong layer too large to encode: literal offsets must be below 65536 and tables below 256 (got ${maxOffset}, ${maxTable})`);
  }
  return {
    role,
    ctype: "uint32_t",
    values: offsets.map((o, i) => tables[i]! * 256 * (1 << CODE_SHIFT) + o),
    comment: `${what} of each literal | (table * 256) << 16`,
  };
}

/** Widens every array to the widest C type among them. */
export function sameType(arrays: ConstArray[]): ConstArray[] {
  const widest = arrays.reduce<CType>((t, a) => (C_TYPE_BYTES[a.ctype] > C_TYPE_BYTES[t] ? a.ctype : t), arrays[0]!.ctype);
  return arrays.map((a) => ({ ...a, ctype: widest }));
}

/** Running ends: [2, 3, 1] -> [2, 5, 6]. */
export function runningEnds(counts: number[]): number[] {
  let sum = 0;
  return counts.map((c) => (sum += c));
}

/** The count tables of strong neurons: groups per neuron, literals per group. */
export function lowerGroups(neurons: readonly (readonly (readonly unknown[])[])[]): ConstArray[] {
  return [
    indexArray("group_count", neurons.map((n) => n.length), "OR-groups (max) of each neuron"),
    indexArray("literal_count", neurons.flatMap((n) => n.map((g) => g.length)), "literals (min) of each group"),
  ];
}

export const arrayBytes = (a: ConstArray): number => a.values.length * C_TYPE_BYTES[a.ctype];
