/** maxpool: the maximum of every pool window of every channel (padded positions left out). */
import { z } from "zod";
import { layerBase } from "../format/fields.js";
import type { LayerCommon } from "../ir/types.js";
import { shapeSize } from "../ir/types.js";
import { zeroOps } from "../plan/ops.js";
import { endGroup, endNeuron, flatSource, IDENTITY_TABLE, minMaxLayer, newBuilder, pushLiteral } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { buildPool, clampTo, forEachPool, hasPadding, poolFields, type PoolGeometry } from "./shared/pooling.js";

export interface MaxPoolLayer extends LayerCommon, PoolGeometry {
  kind: "maxpool";
}

export const maxpool = defineKind<MaxPoolLayer>()({
  kind: "maxpool",
  summary: "max pooling",
  schema: z.strictObject({ ...layerBase, kind: z.literal("maxpool"), ...poolFields }),

  build: (spec, ctx) => ({ ...commonOf(spec, ctx), kind: "maxpool", ...buildPool(spec, ctx) }),

  run(layer, x, _tables, out) {
    forEachPool(layer, (o, inputs) => {
      let m = -128;
      for (const i of inputs) m = Math.max(m, x[i]!);
      out[o] = clampTo(m, layer.min, layer.max);
    });
  },

  tables: () => [],
  lower: () => [],
  ops: (layer) => ({ ...zeroOps(), compares: shapeSize(layer.outputShape) * (layer.pool[0] * layer.pool[1] - 1) }),
  templateVars: (layer) => ({ pool: layer.pool, stride: layer.stride, padding: layer.padding, padded: hasPadding(layer), min: layer.min, max: layer.max }),

  /**
   * One neuron per pooled value, one single-literal group per window element, through the
   * identity table, or the clamp table of the activation range (max of clamped = clamped max).
   */
  robustness(layer) {
    const full = layer.min === -128 && layer.max === 127;
    const table = full ? IDENTITY_TABLE : Int8Array.from({ length: 256 }, (_, i) => clampTo(i - 128, layer.min, layer.max));
    const b = newBuilder();
    forEachPool(layer, (_o, inputs) => {
      for (const i of inputs) {
        pushLiteral(b, i, table);
        endGroup(b);
      }
      endNeuron(b);
    });
    return minMaxLayer(flatSource(layer), b);
  },
});
