/**
 * add: the elementwise sum of two int8 tensors of one shape, each with its own quantization, as
 * TFLite's int8 ADD computes it: each input, its zero point removed, is shifted left by
 * `leftShift` (20) and rescaled by its own multiplier (TFLite's double rounding), the two are
 * added, and the sum is requantized to the output (double rounding, + output zero point, clamped
 * to the activation range). Residual connections make the graph a DAG.
 */
import { z } from "zod";
import { ModelError } from "../format/errors.js";
import { int, INT32_MAX, int8, layerBase } from "../format/fields.js";
import { shapeSize, type LayerCommon, type Shape } from "../ir/types.js";
import { zeroOps } from "../plan/ops.js";
import { multiplyDoubleRounding } from "../reference/requant.js";
import { RobustnessUsageError } from "../robustness/errors.js";
import { commonOf, defineKind } from "./shared/kind-module.js";

/** One input's rescaling: real = scale * (q - zeroPoint); multiplier / 2^shift < 1 (TFLite's SmallerThanOne). */
const operandSchema = z.strictObject({ zeroPoint: int8(), multiplier: int().min(1).max(INT32_MAX), shift: int().min(31).max(62) });
type Operand = z.infer<typeof operandSchema>;

export interface AddLayer extends LayerCommon {
  kind: "add";
  other: string;
  otherShape: Shape;
  leftShift: number;
  first: Operand;
  second: Operand;
  output: { multiplier: number; shift: number; zeroPoint: number; min: number; max: number };
}

/** acc of one operand: (q - zeroPoint) * 2^leftShift, rescaled (exact in int32 for leftShift <= 22). */
const scaled = (q: number, op: Operand, leftShift: number): number => multiplyDoubleRounding((q - op.zeroPoint) * 2 ** leftShift, op.multiplier, op.shift);

export function addValue(layer: AddLayer, a: number, b: number): number {
  const sum = scaled(a, layer.first, layer.leftShift) + scaled(b, layer.second, layer.leftShift);
  const o = layer.output;
  const y = multiplyDoubleRounding(sum, o.multiplier, o.shift) + o.zeroPoint;
  return Math.min(Math.max(y, o.min), o.max);
}

export const add = defineKind<AddLayer>()({
  kind: "add",
  summary: "elementwise sum of two tensors with their own quantization (TFLite ADD)",
  schema: z.strictObject({
    ...layerBase,
    kind: z.literal("add"),
    /** id of the second tensor (same shape as `input`) */
    other: z.string().min(1),
    /** both inputs are shifted left by this before rescaling (TFLite: 20 for int8) */
    leftShift: int().min(0).max(22).default(20),
    first: operandSchema,
    second: operandSchema,
    output: z.strictObject({
      multiplier: int().min(1).max(INT32_MAX),
      shift: int().min(31).max(62),
      zeroPoint: int8(),
      min: int8().default(-128),
      max: int8().default(127),
    }),
  }),

  build(spec, ctx) {
    const otherShape = ctx.otherShape!;
    if (otherShape.join("x") !== ctx.inputShape.join("x")) {
      throw new ModelError(`${ctx.path}.other`, `shape ${otherShape.join("x")} differs from the input's ${ctx.inputShape.join("x")} (broadcasting is not supported)`);
    }
    if (spec.output.min > spec.output.max) throw new ModelError(`${ctx.path}.output.min`, `min (${spec.output.min}) is above max (${spec.output.max})`);
    // (q - zp) * 2^leftShift, and the sum of the two rescaled operands, stay inside int32
    if (255 * 2 ** spec.leftShift > INT32_MAX / 2) throw new ModelError(`${ctx.path}.leftShift`, `${spec.leftShift} overflows int32`);
    return { ...commonOf(spec, ctx), kind: "add", other: spec.other, otherShape, leftShift: spec.leftShift, first: spec.first, second: spec.second, output: spec.output, outputShape: ctx.inputShape };
  },

  run(layer, x, _tables, out, other) {
    for (let i = 0; i < out.length; i++) out[i] = addValue(layer, x[i]!, other![i]!);
  },

  tables: () => [],
  lower: () => [],
  /** per value: two rescalings and the output requantization, one addition */
  ops: (layer) => ({ ...zeroOps(), macs: shapeSize(layer.outputShape), requants: 3 * shapeSize(layer.outputShape) }),
  templateVars: (layer) => ({ leftShift: layer.leftShift, first: layer.first, second: layer.second, output: layer.output }),
  robustness(layer) {
    throw new RobustnessUsageError(`layer "${layer.id}": the robustness tools analyse chains of layers, and add reads two`);
  },
  twoInputs: true,
});
