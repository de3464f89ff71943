/**
 * The strongnet model file, version 1: a JSON document validated with zod.
 *
 * Shapes are [height, width, channels] (HWC, channels fastest in memory). A flat vector of N
 * values is [1, 1, N]. Tables and dense weights are base64 int8 so a file stays compact and
 * diff-able; sparse structures (strong neurons, summator terms) are plain JSON so a validation
 * error can point at the exact literal that is wrong.
 *
 * Each layer kind owns the schema of its layer (src/kinds/<kind>.ts); this file checks the
 * model around them, field by field. The structural checks that need the whole graph (shapes,
 * indices, cycles, the literal bound) are in src/ir/build.ts and each kind's `build`.
 */
import { z } from "zod";
import { base64, cIdentifier, positive, requantSchema, shape3 } from "./fields.js";
import { layerSchema } from "../kinds/registry.js";

export { base64, cIdentifier, requantSchema, shape3 };

export const FORMAT_NAME = "strongnet-model";
export const FORMAT_VERSION = 1;
export const DEFAULT_MAX_LITERALS = 16;

export { layerSchema };

/**
 * Names a model may not take: its files would replace the verify build's own (startup.c,
 * sn_semihost.h) or shadow a C standard header (`<name>.h` next to the sources).
 */
export const RESERVED_MODEL_NAMES: ReadonlySet<string> = new Set([
  "startup", "sn_semihost", "assert", "complex", "ctype", "errno", "fenv", "float", "inttypes", "iso646",
  "limits", "locale", "math", "setjmp", "signal", "stdarg", "stdbool", "stddef", "stdint", "stdio", "stdlib",
  "string", "tgmath", "time", "wchar", "wctype",
]);

export const modelFileSchema = z.strictObject({
  format: z.literal(FORMAT_NAME),
  version: z.literal(FORMAT_VERSION),
  name: cIdentifier.refine((n) => !RESERVED_MODEL_NAMES.has(n), {
    message: "is reserved: <name>.c/.h would collide with a file of the verify build or a C standard header; choose another name",
  }),
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
