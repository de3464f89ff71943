/**
 * The strongnet model file, version 1: a JSON document validated with zod.
 *
 * Shapes are [height, width, channels] (HWC, channels fastest in memory). A flat vector of N
 * values is [1, 1, N]. Tables and dense weights are base64 int8 so a file stays compact and
 * diff-able; sparse structures (strong neurons, summator terms) are plain JSON so a validation
 * error can point at the exact literal that is wrong.
 *
 * The structural checks (shapes, indices, cycles, literal bound) that need the whole graph live
 * in `validate.ts`; this file checks each field on its own.
 */
import { z } from "zod";

export const FORMAT_NAME = "strongnet-model";
export const FORMAT_VERSION = 1;
export const DEFAULT_MAX_LITERALS = 16;

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

const int = () => z.number().int();
const int8 = () => int().min(-128).max(127);
const int32 = () => int().min(INT32_MIN).max(INT32_MAX);
const positive = () => int().min(1);
const nonNegative = () => int().min(0);

/** A C identifier: layer ids and the model name become C symbols. */
export const cIdentifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a C identifier (letters, digits, _; not starting with a digit; at most 63 chars)");

/** base64 text, checked strictly: Node's decoder silently skips bad characters. */
export const base64 = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, "is not valid base64");

export const shape3 = z.tuple([positive(), positive(), positive()]);
const pair = (inner: () => z.ZodNumber) => z.tuple([inner(), inner()]);

/**
 * Fixed-point requantization of an int32 accumulator to int8, defined once for TS and C:
 *   y = clamp( floor((acc * multiplier + 2^(shift-1)) / 2^shift) + offset, -128, 127 )
 * (the rounding term is 0 when shift is 0). acc * multiplier is exact in 64 bits because
 * |acc| < 2^31 and multiplier < 2^31.
 */
export const requantSchema = z.strictObject({
  multiplier: int().min(1).max(INT32_MAX),
  shift: int().min(0).max(62),
  offset: int8().default(0),
});

const layerBase = {
  id: cIdentifier,
  /** id of the layer this one reads, or "input" for the model input */
  input: z.string().min(1),
};

/** A strong-neuron literal over a flat input: T[table][x[input]]. */
const literalSchema = z.strictObject({ input: nonNegative(), table: nonNegative() });
/** A literal of a spatially shared template: reads (oy*sy - padTop + dy, ox*sx - padLeft + dx, c). */
const spatialLiteralSchema = z.strictObject({
  dy: nonNegative(),
  dx: nonNegative(),
  c: nonNegative(),
  table: nonNegative(),
});

/** max over groups of (min over the group's literals). */
const strongNeuron = <L extends z.ZodTypeAny>(literal: L) =>
  z.strictObject({ groups: z.array(z.array(literal).min(1)).min(1) });

export const lutLayerSchema = z.strictObject({ ...layerBase, kind: z.literal("lut"), table: nonNegative() });

export const strongLayerSchema = z.strictObject({
  ...layerBase,
  kind: z.literal("strong"),
  neurons: z.array(strongNeuron(literalSchema)).min(1),
});

export const strongConvLayerSchema = z.strictObject({
  ...layerBase,
  kind: z.literal("strong_conv"),
  kernel: pair(positive),
  stride: pair(positive).default([1, 1]),
  /** [top, left, bottom, right] */
  padding: z.tuple([nonNegative(), nonNegative(), nonNegative(), nonNegative()]).default([0, 0, 0, 0]),
  /** value read outside the image */
  padValue: int8().default(-128),
  templates: z.array(strongNeuron(spatialLiteralSchema)).min(1),
});

export const summatorLayerSchema = z.strictObject({
  ...layerBase,
  kind: z.literal("summator"),
  requant: requantSchema,
  /** optional table applied after requantization (a fused activation) */
  activation: nonNegative().optional(),
  neurons: z
    .array(
      z.strictObject({
        bias: int32(),
        terms: z.array(z.strictObject({ input: nonNegative(), weight: int8() })).min(1),
      }),
    )
    .min(1),
});

export const denseLayerSchema = z.strictObject({
  ...layerBase,
  kind: z.literal("dense"),
  units: positive(),
  /** int8 [units][inputs], base64 */
  weights: base64,
  bias: z.array(int32()),
  requant: requantSchema,
  activation: nonNegative().optional(),
});

export const conv2dLayerSchema = z.strictObject({
  ...layerBase,
  kind: z.literal("conv2d"),
  filters: positive(),
  kernel: pair(positive),
  stride: pair(positive).default([1, 1]),
  padding: z.tuple([nonNegative(), nonNegative(), nonNegative(), nonNegative()]).default([0, 0, 0, 0]),
  padValue: int8().default(0),
  /** int8 [filters][ky][kx][inChannels], base64 */
  weights: base64,
  bias: z.array(int32()),
  requant: requantSchema,
  activation: nonNegative().optional(),
});

export const maxPoolLayerSchema = z.strictObject({
  ...layerBase,
  kind: z.literal("maxpool"),
  pool: pair(positive),
  stride: pair(positive).optional(),
});

export const argmaxLayerSchema = z.strictObject({ ...layerBase, kind: z.literal("argmax") });

export const layerSchema = z.discriminatedUnion("kind", [
  lutLayerSchema,
  strongLayerSchema,
  strongConvLayerSchema,
  summatorLayerSchema,
  denseLayerSchema,
  conv2dLayerSchema,
  maxPoolLayerSchema,
  argmaxLayerSchema,
]);

export const modelFileSchema = z.strictObject({
  format: z.literal(FORMAT_NAME),
  version: z.literal(FORMAT_VERSION),
  name: cIdentifier,
  description: z.string().optional(),
  input: z.strictObject({ shape: shape3 }),
  /** upper bound on literals per strong neuron (the paper's O(1) connectivity) */
  maxLiterals: positive().default(DEFAULT_MAX_LITERALS),
  /** int8 -> int8 tables, 256 entries each (y = T[x + 128]), base64 */
  tables: z.array(base64),
  layers: z.array(layerSchema).min(1),
  /** id of the layer whose output is the model output */
  output: z.string().min(1),
  /** free-form provenance: dataset, training script, measured accuracy */
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export type ModelFile = z.infer<typeof modelFileSchema>;
export type ModelFileInput = z.input<typeof modelFileSchema>;
export type LayerSpec = z.infer<typeof layerSchema>;
export type Requant = z.infer<typeof requantSchema>;
export type LayerKind = LayerSpec["kind"];
