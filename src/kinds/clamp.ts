/**
 * clamp: y[i] = min(max(x[i], min), max), elementwise. A ReLU on int8 values whose zero point
 * is z is clamp(z, 127); ReLU6 and RELU_N1_TO_1 are clamps at their quantized bounds. No tables,
 * no multiplications; 1-Lipschitz.
 */
import { z } from "zod";
import { ModelError } from "../format/errors.js";
import { int8, layerBase } from "../format/fields.js";
import { shapeSize, type LayerCommon } from "../ir/types.js";
import { zeroOps } from "../plan/ops.js";
import { clampTo } from "../reference/requant.js";
import { flatSource, tableLayer } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";

export interface ClampLayer extends LayerCommon {
  kind: "clamp";
  min: number;
  max: number;
}

const clampValue = (layer: ClampLayer, v: number): number => clampTo(v, layer.min, layer.max);

export const clamp = defineKind<ClampLayer>()({
  kind: "clamp",
  summary: "elementwise clamp to [min, max] (ReLU, ReLU6 on int8)",
  schema: z.strictObject({ ...layerBase, kind: z.literal("clamp"), min: int8().default(-128), max: int8().default(127) }),

  build(spec, ctx) {
    if (spec.min > spec.max) throw new ModelError(`${ctx.path}.min`, `min (${spec.min}) is above max (${spec.max})`);
    return { ...commonOf(spec, ctx), kind: "clamp", min: spec.min, max: spec.max, outputShape: ctx.inputShape };
  },

  run(layer, x, _tables, out) {
    for (let i = 0; i < x.length; i++) out[i] = clampValue(layer, x[i]!);
  },

  tables: () => [],
  lower: () => [],
  /** one compare per bound that can change a value (a bound at -128 or 127 never does) */
  ops: (layer) => ({ ...zeroOps(), compares: shapeSize(layer.outputShape) * ((layer.min > -128 ? 1 : 0) + (layer.max < 127 ? 1 : 0)) }),
  templateVars: (layer) => ({ min: layer.min, max: layer.max }),
  /** a clamp is the table of its values */
  robustness: (layer) => tableLayer(flatSource(layer), Int8Array.from({ length: 256 }, (_, i) => clampValue(layer, i - 128))),
});
