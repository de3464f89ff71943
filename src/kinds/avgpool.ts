/**
 * avgpool: the rounded mean of every pool window of every channel, as TFLite's int8 average
 * pooling computes it: the sum over the window's positions inside the image, divided by their
 * count rounding halves away from zero, clamped to the activation range. Input and output share
 * one scale and zero point (TFLite requires it), so no requantization.
 */
import { z } from "zod";
import { layerBase } from "../format/fields.js";
import type { LayerCommon } from "../ir/types.js";
import { shapeSize } from "../ir/types.js";
import { zeroOps } from "../plan/ops.js";
import { flatSource, linearLayer, type MeanRule } from "../robustness/flat.js";
import { roundedMean } from "../reference/requant.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { buildPool, clampTo, forEachPool, hasPadding, poolFields, type PoolGeometry } from "./shared/pooling.js";

export interface AvgPoolLayer extends LayerCommon, PoolGeometry {
  kind: "avgpool";
}

export const avgpool = defineKind<AvgPoolLayer>()({
  kind: "avgpool",
  summary: "average pooling (TFLite int8 rounding)",
  schema: z.strictObject({ ...layerBase, kind: z.literal("avgpool"), ...poolFields }),

  build: (spec, ctx) => ({ ...commonOf(spec, ctx), kind: "avgpool", ...buildPool(spec, ctx) }),

  run(layer, x, _tables, out) {
    forEachPool(layer, (o, inputs) => {
      let sum = 0;
      for (const i of inputs) sum += x[i]!;
      out[o] = clampTo(roundedMean(sum, inputs.length), layer.min, layer.max);
    });
  },

  tables: () => [],
  lower: () => [],
  /** the window's additions count as MACs, the division as a requantization */
  ops: (layer) => ({ ...zeroOps(), macs: shapeSize(layer.outputShape) * layer.pool[0] * layer.pool[1], requants: shapeSize(layer.outputShape) }),
  templateVars: (layer) => ({ pool: layer.pool, stride: layer.stride, padding: layer.padding, padded: hasPadding(layer), min: layer.min, max: layer.max }),

  /** one linear row per pooled value: weight 1 on each position inside the image, rounded mean */
  robustness(layer) {
    const rows: { bias: number; terms: Map<number, number> }[] = [];
    const rules: MeanRule[] = [];
    forEachPool(layer, (_o, inputs) => {
      rows.push({ bias: 0, terms: new Map(inputs.map((i) => [i, 1])) });
      rules.push({ divisor: inputs.length, min: layer.min, max: layer.max });
    });
    return linearLayer(flatSource(layer), rows, rules, undefined);
  },
});
