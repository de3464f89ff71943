/**
 * Lowering: how each layer's parameters are laid out as const C arrays in flash. Both the plan
 * (to count flash bytes) and the code generator (to emit the arrays) use this, so the reported
 * figures are the emitted ones.
 *
 * Sparse structures become flat index tables walked by loops (never unrolled code):
 * neurons -> group counts -> literal counts -> literal input offsets and table indices.
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
        indexArray("terms_per_neuron", layer.neurons.map((n) => n.terms.length), "how many terms each neuron sums"),
        indexArray("term_input", terms.map((t) => t.input), "input index of each term"),
        { role: "term_weight", ctype: "int8_t", values: terms.map((t) => t.weight), comment: "weight of each term" },
      ];
    }
    case "strong":
      return [
        ...lowerGroups(layer.neurons),
        indexArray("literal_input", layer.neurons.flat(2).map((l) => l.input), "input index of each literal"),
        indexArray("literal_table", layer.neurons.flat(2).map((l) => remapTable(l.table)), "table of each literal"),
      ];
    case "strong_conv": {
      const literals: SpatialLiteral[] = layer.templates.flat(2);
      return [
        ...lowerGroups(layer.templates),
        indexArray("literal_offset", literals.map((l) => windowOffset(layer, l)), "input offset from the window origin (interior positions)"),
        indexArray("literal_dy", literals.map((l) => l.dy), "row within the window (border positions)"),
        indexArray("literal_dx", literals.map((l) => l.dx), "column within the window (border positions)"),
        indexArray("literal_c", literals.map((l) => l.c), "input channel (border positions)"),
        indexArray("literal_table", literals.map((l) => remapTable(l.table)), "table of each literal"),
      ];
    }
  }
}

function lowerGroups(neurons: readonly StrongNeuron<unknown>[]): ConstArray[] {
  return [
    indexArray("groups_per_neuron", neurons.map((n) => n.length), "OR-groups (max) per neuron"),
    indexArray("literals_per_group", neurons.flatMap((n) => n.map((g) => g.length)), "literals (min) per group"),
  ];
}

/** Offset of a literal from the top-left corner of its window in an HWC input. */
export function windowOffset(layer: StrongConvLayer, l: SpatialLiteral): number {
  const [, w, c] = layer.inputShape;
  return (l.dy * w + l.dx) * c + l.c;
}

export const arrayBytes = (a: ConstArray): number => a.values.length * C_TYPE_BYTES[a.ctype];

export { shapeSize };
