/**
 * reshape: the same values under another [h, w, c] shape (TFLite RESHAPE / SQUEEZE). A view: it
 * runs no code and takes no memory, its output is its input's bytes; only as the model output is
 * it a copy into the caller's buffer.
 */
import { z } from "zod";
import { ModelError } from "../format/errors.js";
import { layerBase, shape3 } from "../format/fields.js";
import { shapeSize, type LayerCommon } from "../ir/types.js";
import { zeroOps } from "../plan/ops.js";
import { flatSource, IDENTITY_TABLE, tableLayer } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";

export interface ReshapeLayer extends LayerCommon {
  kind: "reshape";
}

export const reshape = defineKind<ReshapeLayer>()({
  kind: "reshape",
  summary: "the same values under another shape (a view, no copy)",
  schema: z.strictObject({ ...layerBase, kind: z.literal("reshape"), shape: shape3 }),

  build(spec, ctx) {
    if (shapeSize(spec.shape) !== shapeSize(ctx.inputShape)) {
      throw new ModelError(`${ctx.path}.shape`, `${spec.shape.join("x")} has ${shapeSize(spec.shape)} values, the input ${ctx.inputShape.join("x")} has ${shapeSize(ctx.inputShape)}`);
    }
    return { ...commonOf(spec, ctx), kind: "reshape", outputShape: spec.shape };
  },

  run(_layer, x, _tables, out) {
    out.set(x);
  },

  tables: () => [],
  lower: () => [],
  ops: () => zeroOps(),
  templateVars: () => ({}),
  robustness: (layer) => tableLayer(flatSource(layer), IDENTITY_TABLE),
  view: true,
});
