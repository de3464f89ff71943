/**
 * The plane form of a flat strong layer (c-templates/layers/strong.c.ejs), the fast form of the
 * generated C when it applies.
 *
 * Planes: the layer first applies each table it uses to the whole input, planes[p][i] = T_p[x[i]]
 * (one pass, in arena scratch), so every literal is then ONE load, planes[code], with code =
 * p * inputs + input. A literal read through its table costs two loads plus the decoding of a
 * 32-bit (table, input) code; the planes pay back when literals outnumber the plane entries.
 *
 * Fixed shapes: neurons are walked in classes of equal group count G, and within a class every
 * group is padded to the class's largest group size L by repeating its last literal (min is
 * idempotent: min(a, b, b) = min(a, b)), so the C loops have compile-time trip counts, no count
 * tables and no per-group control data. Classes run one after the other; when that order is not
 * the neurons' own order, an output index per neuron says where each value goes.
 *
 * The form is used when it pays: the layer has enough literals per plane entry, padding adds at
 * most half again as many literals, and the codes fit 16 bits (src/kinds/strong.ts keeps the
 * general loop otherwise).
 */
import type { StrongNeuron } from "../kinds/shared/strong-neurons.js";

/** Neurons with the same group count, each group padded to `literals` codes. */
export interface StrongClass {
  groups: number;
  literals: number;
  /** neuron indices in processing order */
  neurons: number[];
}

export interface StrongPlanes {
  /** de-duplicated table of each plane, in first-use order */
  tables: number[];
  /** input values (one plane's length) */
  inputs: number;
  classes: StrongClass[];
  /** one code (plane * inputs + input) per padded literal, class by class, neuron by neuron */
  codes: number[];
  /** output index of each neuron in processing order, or undefined when it is 0, 1, 2, ... */
  outputIndex: number[] | undefined;
}

/** Planes need at least this many literals per plane entry to pay for filling them. */
export const MIN_LITERALS_PER_PLANE_ENTRY = 1;
/** Padding may add at most this fraction of the layer's literals. */
export const MAX_PADDING = 0.5;
/** Codes are uint16_t: the planes' total size must fit. */
const MAX_CODE = 0xffff;

/**
 * The plane form of a flat strong layer, or undefined when it would not pay (see the file
 * comment). `remapTable` maps a file table to the de-duplicated tables.
 */
export function strongPlanes(
  neurons: readonly StrongNeuron<{ input: number; table: number }>[],
  inputs: number,
  remapTable: (t: number) => number,
): StrongPlanes | undefined {
  const tables: number[] = [];
  const planeOf = new Map<number, number>();
  for (const lit of neurons.flat(2)) {
    const t = remapTable(lit.table);
    if (!planeOf.has(t)) {
      planeOf.set(t, tables.length);
      tables.push(t);
    }
  }
  const literalCount = neurons.reduce((s, n) => s + n.reduce((a, g) => a + g.length, 0), 0);
  if (literalCount < MIN_LITERALS_PER_PLANE_ENTRY * tables.length * inputs) return undefined;
  if (tables.length * inputs - 1 > MAX_CODE) return undefined;

  // classes by group count, in order of first appearance
  const byGroups = new Map<number, StrongClass>();
  neurons.forEach((groups, n) => {
    let c = byGroups.get(groups.length);
    if (!c) byGroups.set(groups.length, (c = { groups: groups.length, literals: 0, neurons: [] }));
    c.literals = Math.max(c.literals, ...groups.map((g) => g.length));
    c.neurons.push(n);
  });
  const classes = [...byGroups.values()];
  const padded = classes.reduce((s, c) => s + c.neurons.length * c.groups * c.literals, 0);
  if (padded > (1 + MAX_PADDING) * literalCount) return undefined;

  const codes: number[] = [];
  for (const c of classes) {
    for (const n of c.neurons) {
      for (const group of neurons[n]!) {
        for (let j = 0; j < c.literals; j++) {
          const lit = group[Math.min(j, group.length - 1)]!;
          codes.push(planeOf.get(remapTable(lit.table))! * inputs + lit.input);
        }
      }
    }
  }
  const order = classes.flatMap((c) => c.neurons);
  const outputIndex = order.every((n, i) => n === i) ? undefined : order;
  return { tables, inputs, classes, codes, outputIndex };
}
