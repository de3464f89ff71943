/** lut: an elementwise table, y[i] = T[x[i] + 128] (any unary nonlinearity, int8 -> int8). */
import { z } from "zod";
import { layerBase, nonNegative } from "../format/fields.js";
import { checkTable } from "../ir/checks.js";
import type { LayerCommon } from "../ir/types.js";
import { shapeSize } from "../ir/types.js";
import { zeroOps } from "../plan/ops.js";
import { flatSource, tableLayer } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";

export interface LutLayer extends LayerCommon {
  kind: "lut";
  table: number;
}

export const lut = defineKind<LutLayer>()({
  kind: "lut",
  summary: "elementwise int8 -> int8 table",
  schema: z.strictObject({ ...layerBase, kind: z.literal("lut"), table: nonNegative() }),

  build(spec, ctx) {
    checkTable(spec.table, `${ctx.path}.table`, ctx);
    return { ...commonOf(spec, ctx), kind: "lut", table: spec.table, outputShape: ctx.inputShape };
  },

  run(layer, x, tables, out) {
    const t = tables[layer.table]!;
    for (let i = 0; i < x.length; i++) out[i] = t[x[i]! + 128]!;
  },

  tables: (layer) => [layer.table],
  lower: () => [],
  ops: (layer) => ({ ...zeroOps(), lookups: shapeSize(layer.outputShape) }),
  templateVars: (layer, ctx) => ({ table: ctx.remapTable(layer.table) }),
  robustness: (layer, tables) => tableLayer(flatSource(layer), tables[layer.table]!),
});
