/** maxpool: the maximum of every pool window of every channel, no padding. */
import { z } from "zod";
import { layerBase, pair, positive } from "../format/fields.js";
import type { LayerCommon } from "../ir/types.js";
import { shapeSize } from "../ir/types.js";
import { forEachWindow, pixelIndex, windowOutput, type Window2d } from "../ir/window.js";
import { zeroOps } from "../plan/ops.js";
import { endGroup, endNeuron, flatSource, IDENTITY_TABLE, minMaxLayer, newBuilder, pushLiteral } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";

export interface MaxPoolLayer extends LayerCommon {
  kind: "maxpool";
  pool: readonly [number, number];
  stride: readonly [number, number];
}

/** The pool as a window: no padding, so no read ever sees the pad value. */
const windowOf = (layer: { pool: readonly [number, number]; stride: readonly [number, number] }): Window2d => ({
  kernel: layer.pool,
  stride: layer.stride,
  padding: [0, 0, 0, 0],
  padValue: -128,
});

export const maxpool = defineKind<MaxPoolLayer>()({
  kind: "maxpool",
  summary: "max pooling (no padding)",
  schema: z.strictObject({ ...layerBase, kind: z.literal("maxpool"), pool: pair(positive), stride: pair(positive).optional() }),

  build(spec, ctx) {
    const stride = spec.stride ?? spec.pool;
    const [oh, ow] = windowOutput(ctx.inputShape, windowOf({ pool: spec.pool, stride }), ctx.path);
    return { ...commonOf(spec, ctx), kind: "maxpool", pool: spec.pool, stride, outputShape: [oh, ow, ctx.inputShape[2]] };
  },

  run(layer, x, _tables, out) {
    forEachWindow(windowOf(layer), layer.outputShape, (y0, x0, outBase) => {
      for (let ch = 0; ch < layer.inputShape[2]; ch++) {
        let m = -128;
        for (let py = 0; py < layer.pool[0]; py++)
          for (let px = 0; px < layer.pool[1]; px++) m = Math.max(m, x[pixelIndex(layer.inputShape, y0 + py, x0 + px, ch)]!);
        out[outBase + ch] = m;
      }
    });
  },

  tables: () => [],
  lower: () => [],
  ops: (layer) => ({ ...zeroOps(), compares: shapeSize(layer.outputShape) * (layer.pool[0] * layer.pool[1] - 1) }),
  templateVars: (layer) => ({ pool: layer.pool, stride: layer.stride }),

  /** one neuron per pooled value, one single-literal group per window element, identity table */
  robustness(layer) {
    const b = newBuilder();
    forEachWindow(windowOf(layer), layer.outputShape, (y0, x0) => {
      for (let ch = 0; ch < layer.inputShape[2]; ch++) {
        for (let py = 0; py < layer.pool[0]; py++)
          for (let px = 0; px < layer.pool[1]; px++) {
            pushLiteral(b, pixelIndex(layer.inputShape, y0 + py, x0 + px, ch), IDENTITY_TABLE);
            endGroup(b);
          }
        endNeuron(b);
      }
    });
    return minMaxLayer(flatSource(layer), b);
  },
});
