/**
 * slice: `size(shape)` consecutive values of the input starting at `offset`, under `shape`. A
 * view like reshape: no code, no memory. The TFLite importer uses it to split a concatenated
 * model input into the model's several inputs.
 */
import { z } from "zod";
import { ModelError } from "../format/errors.js";
import { layerBase, nonNegative, shape3 } from "../format/fields.js";
import { shapeSize, type LayerCommon } from "../ir/types.js";
import { zeroOps } from "../plan/ops.js";
import { RobustnessUsageError } from "../robustness/errors.js";
import { commonOf, defineKind } from "./shared/kind-module.js";

export interface SliceLayer extends LayerCommon {
  kind: "slice";
  offset: number;
}

export const slice = defineKind<SliceLayer>()({
  kind: "slice",
  summary: "consecutive values of the input under a shape (a view, no copy)",
  schema: z.strictObject({ ...layerBase, kind: z.literal("slice"), offset: nonNegative(), shape: shape3 }),

  build(spec, ctx) {
    const available = shapeSize(ctx.inputShape);
    if (spec.offset + shapeSize(spec.shape) > available) {
      throw new ModelError(`${ctx.path}.shape`, `${shapeSize(spec.shape)} values from offset ${spec.offset} run past the input's ${available}`);
    }
    return { ...commonOf(spec, ctx), kind: "slice", offset: spec.offset, outputShape: spec.shape };
  },

  run(layer, x, _tables, out) {
    out.set(x.subarray(layer.offset, layer.offset + out.length));
  },

  tables: () => [],
  lower: () => [],
  ops: () => zeroOps(),
  templateVars: (layer) => ({ offset: layer.offset }),
  robustness(layer) {
    throw new RobustnessUsageError(`layer "${layer.id}": the robustness tools do not support slices of the input yet`);
  },
  view: true,
  viewOffset: (layer) => layer.offset,
});
