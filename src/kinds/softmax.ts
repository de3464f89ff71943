/**
 * softmax: TensorFlow Lite's int8 -> int8 softmax, bit for bit (tflite::reference_ops::Softmax
 * with gemmlowp fixed point, as in TFLite Micro and CMSIS-NN's arm_softmax_s8), over the
 * innermost dimension: an [h, w, c] tensor is h*w rows of c values, each row normalised on its
 * own. The output has TFLite's fixed int8 softmax quantization: scale 1/256, zero point -128.
 *
 * The layer stores the parameters TFLite computes when it prepares the op (`softmaxParams`
 * computes them from beta and the input scale), so a model importer or golden data can set them
 * directly.
 *
 * Per row:
 *   max = the largest value
 *   for every x with d = x - max >= diffMin:
 *     e(x) = exp(d * inputScale * beta) in Q0.31, from d * 2^inputLeftShift times inputMultiplier
 *            (a Q5.26 value) through gemmlowp's exp_on_negative_values
 *   sum  = sum of the e(x), each rounded to Q12.19
 *   1/sum = s / 2^b with s in Q0.31 (GetReciprocal)
 *   y = clamp(round(s * e(x) / 2^(b + 23)) - 128, -128, 127), and -128 where d < diffMin.
 */
import { z } from "zod";
import { ModelError } from "../format/errors.js";
import { INT32_MAX, INT32_MIN, int, layerBase } from "../format/fields.js";
import { shapeSize, type LayerCommon } from "../ir/types.js";
import { zeroOps } from "../plan/ops.js";
import { RobustnessUsageError } from "../robustness/errors.js";
import { add, expOnNegativeValues, reciprocal, roundingDivideByPOT, srdhm } from "./shared/fixed-point.js";
import { tfliteMultiplier } from "../reference/requant.js";
import { commonOf, defineKind } from "./shared/kind-module.js";

/** integer bits of the rescaled difference fed to exp (Q5.26), TFLite's kScaledDiffIntegerBits */
export const SCALED_DIFF_INTEGER_BITS = 5;
/** integer bits of the sum of exps (Q12.19), TFLite's kAccumulationIntegerBits */
export const ACCUMULATION_INTEGER_BITS = 12;
/**
 * The longest row. Every exp is at most 1.0, so the Q12.19 sum is at most `channels` * 2^19;
 * TFLite checks that the final shift, 35 - clz(sum), is at most 31 (it aborts otherwise), which
 * every row keeps only if the sum stays below 2^28: at most 511 values.
 */
export const MAX_SOFTMAX_CHANNELS = 511;

export interface SoftmaxLayer extends LayerCommon {
  kind: "softmax";
  /** the Q0.31 multiplier of (x - max) * 2^inputLeftShift, giving a Q5.26 value */
  inputMultiplier: number;
  inputLeftShift: number;
  /** differences below this (<= 0) give exp 0 and output -128 */
  diffMin: number;
}

/** The TFLite softmax parameters of an int8 input (what PreprocessSoftmaxScaling and CalculateInputRadius give). */
export interface SoftmaxParams {
  inputMultiplier: number;
  inputLeftShift: number;
  diffMin: number;
}

/**
 * The parameters TFLite (and TFLite Micro) compute for an int8 softmax with the given beta and
 * input scale, as its CalculateSoftmaxParams does: beta and the scale are floats in the model,
 * widened to double; PreprocessSoftmaxScaling(beta, scale, 5) caps beta * scale * 2^26 at
 * 2^31 - 1 and quantizes it (QuantizeMultiplierGreaterThanOne, double rounding build); diffMin is
 * -CalculateInputRadius(5, inputLeftShift, 31) = -floor(31 * 2^26 / 2^inputLeftShift).
 */
export function softmaxParams(beta: number, inputScale: number): SoftmaxParams {
  const betaF = Math.fround(beta);
  const scaleF = Math.fround(inputScale);
  const MAX_REAL_MULTIPLIER = 2 ** 31 - 1;
  const real = Math.min(betaF * scaleF * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), MAX_REAL_MULTIPLIER);
  if (!(real > 1)) {
    throw new RangeError(`softmax: beta * inputScale * 2^26 = ${real} must be above 1 (TFLite refuses it: QuantizeMultiplierGreaterThanOne)`);
  }
  // QuantizeMultiplier (frexp, Q31); its exponent, 31 - shift in this format's terms, is the left shift
  const { multiplier, shift } = tfliteMultiplier(real)!;
  const leftShift = 31 - shift;
  return { inputMultiplier: multiplier, inputLeftShift: leftShift, diffMin: tfliteDiffMin(leftShift) };
}

/**
 * -CalculateInputRadius(5, leftShift, 31): TFLite's diffMin for an input left shift, computed
 * in double as TFLite does (exact here) and floored. `0 -` keeps -0 out.
 */
export function tfliteDiffMin(leftShift: number): number {
  const maxInputRescaled = (1.0 * (2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** leftShift;
  return 0 - Math.floor(maxInputRescaled);
}

/**
 * exp((x - max) * beta * inputScale) in Q0.31 for a difference d <= 0 that is >= diffMin:
 * MultiplyByQuantizedMultiplierGreaterThanOne(d, multiplier, leftShift), i.e.
 * srdhm(d * 2^leftShift, multiplier) (TFLite's default double-rounding build), read as Q5.26.
 */
function expOfDifference(layer: SoftmaxLayer, d: number): number {
  const shifted = d * 2 ** layer.inputLeftShift; // build() checked it fits int32
  return expOnNegativeValues(srdhm(shifted, layer.inputMultiplier));
}

/** One row of `channels` values from x[offset], written to out[offset]. */
function softmaxRow(layer: SoftmaxLayer, x: Int8Array, out: Int8Array, offset: number, channels: number): void {
  let max = -128;
  for (let c = 0; c < channels; c++) max = Math.max(max, x[offset + c]!);

  let sum = 0; // Q12.19
  for (let c = 0; c < channels; c++) {
    const d = x[offset + c]! - max;
    // Rescale<12>: Q0.31 to Q12.19 is a rounding divide by 2^12
    if (d >= layer.diffMin) sum = add(sum, roundingDivideByPOT(expOfDifference(layer, d), ACCUMULATION_INTEGER_BITS));
  }

  const { scale, bitsOverUnit } = reciprocal(sum, ACCUMULATION_INTEGER_BITS);
  // 1/sum in Q0.31 is scale / 2^bitsOverUnit; the int8 output counts 1/256ths: 31 - 8 more bits
  const exponent = bitsOverUnit + 31 - 8;
  if (exponent < 0 || exponent > 31) throw new Error(`softmax: output shift ${exponent} (TFLite checks 0..31)`);

  for (let c = 0; c < channels; c++) {
    const d = x[offset + c]! - max;
    if (d >= layer.diffMin) {
      const unsaturated = roundingDivideByPOT(srdhm(scale, expOfDifference(layer, d)), exponent);
      out[offset + c] = Math.min(Math.max(unsaturated - 128, -128), 127);
    } else {
      out[offset + c] = -128;
    }
  }
}

export const softmax = defineKind<SoftmaxLayer>()({
  kind: "softmax",
  summary: "TFLite's int8 softmax over the channels of each position (output scale 1/256, zero point -128)",
  schema: z.strictObject({
    ...layerBase,
    kind: z.literal("softmax"),
    inputMultiplier: int().min(1).max(INT32_MAX),
    inputLeftShift: int().min(0).max(31),
    diffMin: int().min(INT32_MIN).max(0),
  }),

  build(spec, ctx) {
    const channels = ctx.inputShape[2];
    if (channels > MAX_SOFTMAX_CHANNELS) {
      throw new ModelError(
        `${ctx.path}.input`,
        `softmax over rows of ${channels} values; TFLite's int8 kernel needs the sum of exps below 2^28, so at most ${MAX_SOFTMAX_CHANNELS}`,
      );
    }
    // The smallest difference the kernel rescales, times 2^inputLeftShift, must be an int32
    // (TFLite computes it in int; its own diffMin always keeps it above -31 * 2^26).
    const smallest = Math.max(spec.diffMin, -255) * 2 ** spec.inputLeftShift;
    if (smallest < INT32_MIN) {
      throw new ModelError(
        `${ctx.path}.diffMin`,
        `a difference of ${Math.max(spec.diffMin, -255)} shifted left by ${spec.inputLeftShift} overflows int32; TFLite's diffMin for this shift is ${tfliteDiffMin(spec.inputLeftShift)}`,
      );
    }
    return {
      ...commonOf(spec, ctx),
      kind: "softmax",
      inputMultiplier: spec.inputMultiplier,
      inputLeftShift: spec.inputLeftShift,
      diffMin: spec.diffMin,
      outputShape: ctx.inputShape,
    };
  },

  run(layer, x, _tables, out) {
    const channels = layer.inputShape[2];
    for (let offset = 0; offset < x.length; offset += channels) softmaxRow(layer, x, out, offset, channels);
  },

  tables: () => [],
  lower: () => [],
  /**
   * A worst-case count of what the C does. compares: the max of each row (c - 1) and the
   * diffMin test of each value in both passes (2c). macs: the 32x32 -> 64-bit doubling
   * multiplies of the fixed point (no MACs proper): per value and pass, 1 rescale + 5 for the
   * polynomial + at most 7 for the barrel shifter, plus 1 for the output, so 27; per row 7 for
   * the reciprocal. requants: one per output (the rounding shift to 1/256ths and the clamp).
   * lookups: none (no tables).
   */
  ops(layer) {
    const channels = layer.inputShape[2];
    const rows = shapeSize(layer.inputShape) / channels;
    return { ...zeroOps(), compares: rows * (channels - 1 + 2 * channels), macs: rows * (27 * channels + 7), requants: rows * channels };
  },
  templateVars: (layer) => ({
    rows: shapeSize(layer.inputShape) / layer.inputShape[2],
    channels: layer.inputShape[2],
    inputMultiplier: layer.inputMultiplier,
    inputLeftShift: layer.inputLeftShift,
    diffMin: layer.diffMin,
  }),
  /**
   * Softmax is monotone within a row but not elementwise, and int8 rounding can tie values that
   * differed, so neither a table, a min/max nor a linear form states it exactly.
   */
  robustness: (layer) => {
    throw new RobustnessUsageError(`layer "${layer.id}": the robustness tools do not support softmax layers yet`);
  },
});
