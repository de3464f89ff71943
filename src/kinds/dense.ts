/** dense: a fully connected int8 layer, y[u] = act(requantize(bias[u] + sum_i weights[u][i] * x[i])). */
import { z } from "zod";
import { base64, layerBase, positive } from "../format/fields.js";
import { checkAccumulator, decodeInt8, expectLength } from "../ir/checks.js";
import { shapeSize, type LayerCommon, type Requant } from "../ir/types.js";
import { requantizedOps } from "../plan/ops.js";
import { addTerm, flatSource, linearLayer } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { activationTable, activationTables, checkRequantized, lowerPerChannel, outputRequants, requantizedFields, requantizedOutput, requantVars, type PerChannel } from "./shared/requantized.js";

export interface DenseLayer extends LayerCommon {
  kind: "dense";
  units: number;
  /** [units][inputs] */
  weights: Int8Array;
  bias: Int32Array;
  requant: Requant;
  perChannel?: PerChannel;
  activation?: number;
}

export const dense = defineKind<DenseLayer>()({
  kind: "dense",
  summary: "fully connected int8 layer",
  schema: z.strictObject({
    ...layerBase,
    kind: z.literal("dense"),
    units: positive(),
    /** int8 [units][inputs], base64 */
    weights: base64,
    ...requantizedFields,
  }),

  build(spec, ctx) {
    const inputSize = shapeSize(ctx.inputShape);
    const weights = decodeInt8(spec.weights);
    expectLength(weights.length, spec.units * inputSize, `${ctx.path}.weights`, `units (${spec.units}) x inputs (${inputSize})`);
    expectLength(spec.bias.length, spec.units, `${ctx.path}.bias`, "units");
    const worst = Array.from({ length: spec.units }, (_, u) =>
      checkAccumulator(spec.bias[u]!, weights.subarray(u * inputSize, (u + 1) * inputSize), `${ctx.path}.bias[${u}]`),
    );
    const perChannel = checkRequantized(spec, spec.units, (u) => worst[u]!, ctx);
    return {
      ...commonOf(spec, ctx),
      kind: "dense",
      units: spec.units,
      weights,
      bias: Int32Array.from(spec.bias),
      requant: spec.requant,
      perChannel,
      activation: spec.activation,
      outputShape: [1, 1, spec.units],
    };
  },

  run(layer, x, tables, out) {
    const inputs = x.length;
    for (let u = 0; u < layer.units; u++) {
      let acc = layer.bias[u]!;
      for (let i = 0; i < inputs; i++) acc += layer.weights[u * inputs + i]! * x[i]!;
      out[u] = requantizedOutput(acc, layer, u, tables);
    }
  },

  tables: activationTables,

  lower: (layer) => [
    { role: "weights", ctype: "int8_t", values: layer.weights, comment: "[unit][input]" },
    { role: "bias", ctype: "int32_t", values: layer.bias, comment: "int32 accumulator start per output" },
    ...lowerPerChannel(layer),
  ],

  ops: (layer) => requantizedOps(layer.weights.length, layer.units, layer.activation),
  templateVars: (layer, ctx) => ({ units: layer.units, inputs: shapeSize(layer.inputShape), ...requantVars(layer, ctx) }),

  robustness(layer, tables) {
    const inputs = shapeSize(layer.inputShape);
    const rows = Array.from({ length: layer.units }, (_, u) => {
      const terms = new Map<number, number>();
      for (let i = 0; i < inputs; i++) addTerm(terms, i, layer.weights[u * inputs + i]!);
      return { bias: layer.bias[u]!, terms };
    });
    return linearLayer(flatSource(layer), rows, outputRequants(layer, layer.units, layer.units), activationTable(layer, tables));
  },
});
