/**
 * strong: strong neurons over a flat input, y[n] = max over groups (min over literals of
 * T[x[input]]) — a fuzzy OR of fuzzy ANDs with O(1) literals and no multiplications.
 */
import { z } from "zod";
import { layerBase, nonNegative } from "../format/fields.js";
import { checkIndex, checkTable } from "../ir/checks.js";
import { shapeSize, type LayerCommon } from "../ir/types.js";
import { literalCodes, lowerGroups } from "../plan/lowering.js";
import { strongOps } from "../plan/ops.js";
import { endGroup, endNeuron, flatSource, minMaxLayer, newBuilder, pushLiteral } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { checkNeurons, literalTables, strongLoopVars, strongNeuronSchema, strongNeuronValue, type StrongNeuron } from "./shared/strong-neurons.js";

export type { StrongNeuron };

/** T[table][x[input]] */
export interface Literal {
  input: number;
  table: number;
}

export interface StrongLayer extends LayerCommon {
  kind: "strong";
  neurons: StrongNeuron<Literal>[];
}

const literalSchema = z.strictObject({ input: nonNegative(), table: nonNegative() });

export const strong = defineKind<StrongLayer>()({
  kind: "strong",
  summary: "strong neurons (max of mins of table lookups) over a flat input",
  schema: z.strictObject({ ...layerBase, kind: z.literal("strong"), neurons: z.array(strongNeuronSchema(literalSchema)).min(1) }),

  build(spec, ctx) {
    const inputSize = shapeSize(ctx.inputShape);
    const neurons = checkNeurons(spec.neurons, `${ctx.path}.neurons`, ctx, (lit, at) => {
      checkIndex(lit.input, inputSize, `${at}.input`, "input");
      checkTable(lit.table, `${at}.table`, ctx);
    });
    return { ...commonOf(spec, ctx), kind: "strong", neurons, outputShape: [1, 1, neurons.length] };
  },

  run(layer, x, tables, out) {
    layer.neurons.forEach((groups, n) => {
      out[n] = strongNeuronValue(groups, (lit) => tables[lit.table]![x[lit.input]! + 128]!);
    });
  },

  tables: (layer) => literalTables(layer.neurons),

  lower(layer, remapTable) {
    const literals = layer.neurons.flat(2);
    const codes = literals.map((l) => l.input);
    return [...lowerGroups(layer.neurons), literalCodes("literal_code", codes, literals, remapTable, "input index", layer.path)];
  },

  ops: (layer) => strongOps(layer.neurons, 1),
  templateVars: (layer, ctx) => ({ neurons: layer.neurons.length, ...strongLoopVars(layer.neurons, ctx) }),

  robustness(layer, tables) {
    const b = newBuilder();
    for (const groups of layer.neurons) {
      for (const group of groups) {
        for (const lit of group) pushLiteral(b, lit.input, tables[lit.table]!);
        endGroup(b);
      }
      endNeuron(b);
    }
    return minMaxLayer(flatSource(layer), b);
  },
});
