/**
 * Lowering: how each layer's parameters are laid out as const C arrays in flash. Both the plan
 * (to count flash bytes) and the code generator (to emit the arrays) use this, so the reported
 * figures are the emitted ones.
 *
 * Sparse structures become flat index tables walked by loops (never unrolled code):
 * neurons -> group counts -> literal counts -> one code per literal (input offset, plus the
 * table's offset in the high half when the layer uses several tables).
 * Index arrays use the narrowest unsigned type that holds their largest value.
 */
import { shapeSize, type Layer, type SpatialLiteral, type StrongConvLayer, type StrongNeuron } from "../ir/types.js";

export type CType = "int8_t" | "uint8_t" | "uint16_t" | "uint32_t" | "int32_t";

export const C_TYPE_BYTES: Record<CType, number> = { int8_t: 1, uint8_t: 1, uint16_t: 2, uint32_t: 4, int32_t: 4 };

export interface ConstArray {
  /** suffix after the layer id: `<layer>_<role>` */
  role: string;
  ctype: CType;
  values: ArrayLike<number>;
  comment: string;
}

/** The narrowest unsigned C type holding every value (all >= 0). */
export function unsignedTypeFor(maxValue: number): CType {
  return maxValue <= 0xff ? "uint8_t" : maxValue <= 0xffff ? "uint16_t" : "uint32_t";
}

const indexArray = (role: string, values: number[], comment: string): ConstArray => ({
  role,
  ctype: unsignedTypeFor(Math.max(0, ...values)),
  values,
  comment,
});

/** Parameters of one layer; `remapTable` maps a file table index to its de-duplicated index. */
export function lowerLayer(layer: Layer, remapTable: (t: number) => number): ConstArray[] {
  switch (layer.kind) {
    case "lut":
    case "maxpool":
    case "argmax":
      return [];
    case "dense":
    case "conv2d":
      return [
        { role: "weights", ctype: "int8_t", values: layer.weights, comment: layer.kind === "dense" ? "[unit][input]" : "[filter][ky][kx][channel]" },
        { role: "bias", ctype: "int32_t", values: layer.bias, comment: "int32 accumulator start per output" },
      ];
    case "summator": {
      const terms = layer.neurons.flatMap((n) => n.terms);
      return [
        { role: "bias", ctype: "int32_t", values: layer.neurons.map((n) => n.bias), comment: "int32 accumulator start per neuron" },
        indexArray("term_end", runningEnds(layer.neurons.map((n) => n.terms.length)), "end of each neuron's terms (running count)"),
        indexArray("term_input", terms.map((t) => t.input), "input index of each term"),
        { role: "term_weight", ctype: "int8_t", values: terms.map((t) => t.weight), comment: "weight of each term" },
      ];
    }
    case "strong": {
      const literals = layer.neurons.flat(2);
      return [...lowerGroups(layer.neurons), literalCodes("literal_code", literals.map((l) => l.input), literals, remapTable, "input index")];
    }
    case "strong_conv": {
      const literals: SpatialLiteral[] = layer.templates.flat(2);
      // both code arrays share one C type: the loop walks either through one pointer
      return [
        ...lowerGroups(layer.templates),
        ...sameType([
          literalCodes("literal_code", literals.map((l) => windowOffset(layer, l)), literals, remapTable, "offset from the window origin (interior windows)"),
          literalCodes("literal_patch_code", literals.map((l) => patchOffset(layer, l)), literals, remapTable, "offset in the padded patch (border windows)"),
        ]),
      ];
    }
  }
}

/** Literal codes keep the input in the low 16 bits and (table * 256) in the high 16 bits. */
export const CODE_SHIFT = 16;

/**
 * The one table every literal of a strong layer uses (after de-duplication), or undefined when
 * they use several. A single-table layer's literal codes are plain input offsets.
 */
export function singleTable(layer: Layer, remapTable: (t: number) => number): number | undefined {
  if (layer.kind !== "strong" && layer.kind !== "strong_conv") return undefined;
  const literals: { table: number }[] = layer.kind === "strong" ? layer.neurons.flat(2) : layer.templates.flat(2);
  const tables = new Set(literals.map((l) => remapTable(l.table)));
  return tables.size === 1 ? [...tables][0] : undefined;
}

/**
 * One code per literal, read with a single load: the input offset, plus (table * 256) << 16 when
 * the layer uses several tables, so the lookup is tables[(code >> 16) + x[code & 0xffff]].
 */
function literalCodes(role: string, offsets: number[], literals: { table: number }[], remapTable: (t: number) => number, what: string): ConstArray {
  const tables = literals.map((l) => remapTable(l.table));
  if (new Set(tables).size <= 1) return indexArray(role, offsets, `${what} of each literal`);
  const maxOffset = Math.max(0, ...offsets);
  const maxTable = Math.max(0, ...tables);
  if (maxOffset >= 1 << CODE_SHIFT || maxTable >= 256) {
    throw new Error(`strong layer too large to encode: literal offsets must be below 65536 and tables below 256 (got ${maxOffset}, ${maxTable})`);
  }
  return {
    role,
    ctype: "uint32_t",
    values: offsets.map((o, i) => (tables[i]! * 256 * (1 << CODE_SHIFT)) + o),
    comment: `${what} of each literal | (table * 256) << 16`,
  };
}

/** Widens every array to the widest C type among them. */
function sameType(arrays: ConstArray[]): ConstArray[] {
  const widest = arrays.reduce<CType>((t, a) => (C_TYPE_BYTES[a.ctype] > C_TYPE_BYTES[t] ? a.ctype : t), arrays[0]!.ctype);
  return arrays.map((a) => ({ ...a, ctype: widest }));
}

/** Offset of a literal in a [kh][kw][c] patch (the border windows' padded copy). */
export function patchOffset(layer: StrongConvLayer, l: SpatialLiteral): number {
  const c = layer.inputShape[2];
  return (l.dy * layer.kernel[1] + l.dx) * c + l.c;
}

/** Running ends: [2, 3, 1] -> [2, 5, 6]. */
function runningEnds(counts: number[]): number[] {
  let sum = 0;
  return counts.map((c) => (sum += c));
}

function lowerGroups(neurons: readonly StrongNeuron<unknown>[]): ConstArray[] {
  return [
    indexArray("group_count", neurons.map((n) => n.length), "OR-groups (max) of each neuron"),
    indexArray("literal_count", neurons.flatMap((n) => n.map((g) => g.length)), "literals (min) of each group"),
  ];
}

/** Offset of a literal from the top-left corner of its window in an HWC input. */
export function windowOffset(layer: StrongConvLayer, l: SpatialLiteral): number {
  const [, w, c] = layer.inputShape;
  return (l.dy * w + l.dx) * c + l.c;
}

export const arrayBytes = (a: ConstArray): number => a.values.length * C_TYPE_BYTES[a.ctype];

export { shapeSize };
