/** argmax: the index of the first largest value, as int8 (the predicted class). */
import { z } from "zod";
import { ModelError } from "../format/errors.js";
import { layerBase } from "../format/fields.js";
import { shapeSize, type LayerCommon } from "../ir/types.js";
import { zeroOps } from "../plan/ops.js";
import { commonOf, defineKind } from "./shared/kind-module.js";

/** argmax writes the class index as int8 */
export const MAX_ARGMAX_CLASSES = 128;

export interface ArgmaxLayer extends LayerCommon {
  kind: "argmax";
}

/** The index of the first largest value (ties go to the lower index): the one argmax rule. */
export function firstMaxIndex(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** The class a model output names: the byte itself for an argmax output, else the first maximum. */
export function predictedClass(output: Int8Array): number {
  return output.length === 1 ? output[0]! : firstMaxIndex(output);
}

export const argmax = defineKind<ArgmaxLayer>()({
  kind: "argmax",
  summary: "index of the first largest value (the predicted class)",
  schema: z.strictObject({ ...layerBase, kind: z.literal("argmax") }),

  build(spec, ctx) {
    const inputSize = shapeSize(ctx.inputShape);
    if (inputSize > MAX_ARGMAX_CLASSES) {
      throw new ModelError(`${ctx.path}.input`, `argmax over ${inputSize} values; the class index is int8, so at most ${MAX_ARGMAX_CLASSES}`);
    }
    return { ...commonOf(spec, ctx), kind: "argmax", outputShape: [1, 1, 1] };
  },

  run(_layer, x, _tables, out) {
    out[0] = firstMaxIndex(x);
  },

  tables: () => [],
  lower: () => [],
  ops: (layer) => ({ ...zeroOps(), compares: shapeSize(layer.inputShape) - 1 }),
  /** the template's `size` is the number of values compared, not the one output */
  templateVars: (layer) => ({ size: shapeSize(layer.inputShape) }),
  robustness: () => "decision",
});

/** True when the model's output is a class index (its last layer is an argmax). */
export function outputIsClass(graph: { layers: readonly { kind: string }[] }): boolean {
  return graph.layers.at(-1)?.kind === argmax.kind;
}
