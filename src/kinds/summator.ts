/**
 * summator: sparse summators, y[n] = act(requantize(bias[n] + sum over a few terms of
 * weight * x[input])) — the supervised read-out of a strong network, O(1) inputs per neuron.
 */
import { z } from "zod";
import { int32, int8, layerBase, nonNegative, requantSchema } from "../format/fields.js";
import { checkAccumulator, checkIndex } from "../ir/checks.js";
import { shapeSize, type LayerCommon, type Requant } from "../ir/types.js";
import { indexArray, runningEnds } from "../plan/lowering.js";
import { summatorBlocks, WORD, type SummatorBlocks } from "../plan/summator-blocks.js";
import { requantizedOps } from "../plan/ops.js";
import { addTerm, flatSource, linearLayer } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { activationTable, activationTables, checkRequantized, outputRequants, requantizedOutput, requantVars } from "./shared/requantized.js";

export interface SummatorTerm {
  input: number;
  weight: number;
}

export interface SummatorLayer extends LayerCommon {
  kind: "summator";
  requant: Requant;
  activation?: number;
  neurons: { bias: number; terms: SummatorTerm[] }[];
}

export const summator = defineKind<SummatorLayer>()({
  kind: "summator",
  summary: "sparse weighted sums of a few inputs each, requantized to int8",
  schema: z.strictObject({
    ...layerBase,
    kind: z.literal("summator"),
    requant: requantSchema,
    /** optional table applied after requantization (a fused activation) */
    activation: nonNegative().optional(),
    neurons: z
      .array(z.strictObject({ bias: int32(), terms: z.array(z.strictObject({ input: nonNegative(), weight: int8() })).min(1) }))
      .min(1),
  }),

  build(spec, ctx) {
    const inputSize = shapeSize(ctx.inputShape);
    const worst = spec.neurons.map((neuron, n) => {
      const at = `${ctx.path}.neurons[${n}]`;
      neuron.terms.forEach((term, j) => checkIndex(term.input, inputSize, `${at}.terms[${j}].input`, "input"));
      return checkAccumulator(neuron.bias, neuron.terms.map((t) => t.weight), at);
    });
    checkRequantized(spec, spec.neurons.length, (n) => worst[n]!, ctx);
    return {
      ...commonOf(spec, ctx),
      kind: "summator",
      requant: spec.requant,
      activation: spec.activation,
      neurons: spec.neurons,
      outputShape: [1, 1, spec.neurons.length],
    };
  },

  run(layer, x, tables, out) {
    layer.neurons.forEach((neuron, n) => {
      let acc = neuron.bias;
      for (const term of neuron.terms) acc += term.weight * x[term.input]!;
      out[n] = requantizedOutput(acc, layer, n, tables);
    });
  },

  tables: activationTables,

  lower(layer) {
    const blocks = blocksOf(layer);
    if (blocks) {
      const bias = Array.from({ length: blocks.paddedNeurons }, (_, n) => layer.neurons[n]?.bias ?? 0);
      return [
        { role: "bias", ctype: "int32_t", values: bias, comment: "int32 accumulator start per neuron (0 for padding rows)" },
        { role: "weights", ctype: "int8_t", values: blocks.weights, comment: "weight of every input (0 where a neuron has no term), as [neuron block][input / 4][neuron in block][input % 4]" },
      ];
    }
    const terms = layer.neurons.flatMap((n) => n.terms);
    return [
      { role: "bias", ctype: "int32_t", values: layer.neurons.map((n) => n.bias), comment: "int32 accumulator start per neuron" },
      indexArray("term_end", runningEnds(layer.neurons.map((n) => n.terms.length)), "end of each neuron's terms (running count)"),
      indexArray("term_input", terms.map((t) => t.input), "input index of each term"),
      { role: "term_weight", ctype: "int8_t", values: terms.map((t) => t.weight), comment: "weight of each term" },
    ];
  },

  ops: (layer) => requantizedOps(layer.neurons.reduce((s, n) => s + n.terms.length, 0), layer.neurons.length, layer.activation),
  templateVars: (layer, ctx) => {
    const blocks = blocksOf(layer);
    return {
      neurons: layer.neurons.length,
      ...requantVars(layer, ctx),
      blocks: blocks && { block: blocks.block, paddedNeurons: blocks.paddedNeurons, inputs: blocks.inputs, word: WORD },
    };
  },

  robustness(layer, tables) {
    const rows = layer.neurons.map((n) => {
      const terms = new Map<number, number>();
      for (const t of n.terms) addTerm(terms, t.input, t.weight);
      return { bias: n.bias, terms };
    });
    return linearLayer(flatSource(layer), rows, outputRequants(layer, rows.length, rows.length), activationTable(layer, tables));
  },
});

/** The block form (src/plan/summator-blocks.ts), or undefined for the sparse terms. */
const blocksOf = (layer: SummatorLayer): SummatorBlocks | undefined => summatorBlocks(layer.neurons, shapeSize(layer.inputShape));
