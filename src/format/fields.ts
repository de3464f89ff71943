/**
 * zod field types shared by the model file schema (src/format/schema.ts) and the layer kinds
 * (src/kinds/*.ts), which each own the schema of their layer.
 */
import { z } from "zod";

export const INT32_MAX = 2 ** 31 - 1;
export const INT32_MIN = -(2 ** 31);

export const int = () => z.number().int();
export const int8 = () => int().min(-128).max(127);
export const int32 = () => int().min(INT32_MIN).max(INT32_MAX);
export const positive = () => int().min(1);
export const nonNegative = () => int().min(0);

/** A C identifier: layer ids and the model name become C symbols. */
export const cIdentifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a C identifier (letters, digits, _; not starting with a digit; at most 63 chars)");

/** base64 text, checked strictly: Node's decoder silently skips bad characters. */
export const base64 = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, "is not valid base64");

export const shape3 = z.tuple([positive(), positive(), positive()]);
export const pair = (inner: () => z.ZodNumber) => z.tuple([inner(), inner()]);
/** [top, left, bottom, right] */
export const padding4 = () => z.tuple([nonNegative(), nonNegative(), nonNegative(), nonNegative()]).default([0, 0, 0, 0]);

/**
 * Fixed-point requantization of an int32 accumulator to int8, defined once for TS and C
 * (src/reference/requant.ts and c-templates/runtime/): y ~= acc * multiplier / 2^shift + offset,
 * clamped to [min, max] (default -128..127; a narrower range is a fused ReLU/ReLU6). `rounding`
 * says how the product is rounded to an integer:
 *   "single" (default): floor((acc * multiplier + 2^(shift-1)) / 2^shift), one rounding, half up;
 *     TFLite's and CMSIS-NN's single-rounding mode is this rule with TFLite shift = 31 - shift.
 *   "double": TFLite's default, MultiplyByQuantizedMultiplier with exponent e = 31 - shift: a
 *     saturating rounding doubling high multiply of (acc << max(e, 0)) by multiplier, then a
 *     rounding divide by 2^max(-e, 0); two roundings (halves up in the multiply, away from zero
 *     in the divide).
 * acc * multiplier is exact in 64 bits because |acc| < 2^31 and multiplier < 2^31.
 */
export const requantSchema = z.strictObject({
  multiplier: int().min(1).max(INT32_MAX),
  shift: int().min(0).max(62),
  offset: int8().default(0),
  rounding: z.enum(["single", "double"]).optional(),
  /** lowest output value (a fused activation's lower bound), default -128 */
  min: int8().optional(),
  /** highest output value, default 127 */
  max: int8().optional(),
});

export type Requant = z.infer<typeof requantSchema>;

/** The fields every layer has. */
export const layerBase = {
  id: cIdentifier,
  /** id of the layer this one reads, or "input" for the model input */
  input: z.string().min(1),
};
