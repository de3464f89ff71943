/**
 * The `strongnet report --json` document ("strongnet-report/1"). The zod schema is the contract:
 * the CLI validates its own output against it before printing, docs/report.schema.json is
 * generated from it (`z.toJSONSchema`, checked by a test) and docs/report.md explains the fields.
 * Every figure carries `method`: how it was obtained (measured from the ELF, measured in QEMU,
 * from the plan, static analysis, or an estimate).
 */
import { z } from "zod";

export const REPORT_SCHEMA_ID = "strongnet-report/1";

const bytes = z.number().int().nonnegative();
const opCounts = z.object({
  lookups: bytes,
  minmax: bytes,
  macs: bytes,
  requants: bytes,
  compares: bytes,
});

export const BoardInfoSchema = z.object({
  name: z.string(),
  core: z.string(),
  clockHz: z.number().int().positive(),
  flashBytes: bytes,
  ramBytes: bytes,
  qemuMachine: z.string(),
});

const resourceFit = z.object({
  used: bytes,
  available: bytes,
  /** available - used; negative when over */
  margin: z.number().int(),
  /** used / available */
  fraction: z.number().nonnegative(),
});

export const FitSchema = z.object({
  fits: z.boolean(),
  flash: resourceFit,
  ram: resourceFit,
  method: z.string(),
});

const frame = z.object({ name: z.string(), bytes, source: z.enum(["stack-usage", "disassembly"]) });
const staticBound = z.object({
  bytes,
  path: z.array(frame),
  complete: z.boolean(),
  problems: z.array(z.string()),
});

export const LayerRowSchema = z.object({
  index: z.number().int().nonnegative(),
  id: z.string(),
  kind: z.string(),
  outputShape: z.array(z.number().int().positive()),
  /** const parameter bytes (weights, biases, index tables), measured: the layer's arrays in the ELF */
  paramBytes: bytes,
  /** the same from the plan (equal unless the compiler dropped or merged an array) */
  paramBytesPlanned: bytes,
  /** bytes of the distinct lookup tables this layer reads (tables shared by layers are counted for each) */
  lutBytes: bytes,
  tables: z.array(z.number().int().nonnegative()),
  ops: opCounts.extend({ total: bytes }),
  /** the output buffer in the activation arena (null: the caller's output buffer) */
  arena: z.object({ offset: bytes, size: bytes }).nullable(),
  /** instructions of this layer per inference, measured in the profiled image (QEMU -icount) */
  instructions: bytes,
  /** instructions / sum over layers */
  share: z.number().nonnegative(),
  /** the output tensor's quantization, real = scale * (q - zeroPoint), when the model records it (imported models) */
  quantization: z.object({ scale: z.number(), zeroPoint: z.number().int() }).nullable().optional(),
});

export const BoardReportSchema = z.object({
  board: BoardInfoSchema,
  /** how the measured images were built: compiler version and the flags the model's C got */
  build: z.object({ compiler: z.string(), cflags: z.array(z.string()) }),
  verify: z.object({
    passed: z.boolean(),
    vectors: bytes,
    mismatchedVectors: bytes,
    firstMismatch: z.string().nullable(),
    /** firmware accuracy on the labelled samples among the vectors (null when none had labels) */
    accuracy: z.object({ dataset: z.string(), correct: bytes, total: bytes, value: z.number() }).nullable().optional(),
    method: z.string(),
  }),
  flash: z.object({
    model: z.object({
      /** the model's own functions */
      code: bytes,
      /** library routines (libgcc, newlib) the model's code calls */
      libraryCode: bytes,
      libraryFunctions: z.array(z.string()),
      /** weights, biases and index tables */
      weights: bytes,
      /** the de-duplicated lookup tables */
      luts: bytes,
      /** initialised data (its flash copy) */
      data: bytes,
      /** alignment padding before the model's sections */
      padding: bytes,
      total: bytes,
    }),
    /** the whole test image, which also holds the harness and startup code that do not ship */
    image: z.object({ text: bytes, data: bytes, total: bytes, model: bytes, harness: bytes, other: bytes }),
    method: z.string(),
  }),
  ram: z.object({
    model: z.object({
      /** "static": the arena is in the model's C (.bss.sn_arena); "external": the caller passes it to predict (reports without it are static) */
      arenaMode: z.enum(["static", "external"]).default("static"),
      /** the activation arena: in the ELF (.bss.sn_arena), or the caller's buffer of the plan's size (external) */
      arena: bytes,
      /** the arena the liveness plan computed; equal to `arena` */
      arenaPlanned: bytes,
      /** other static data of the model (.data, .bss) */
      static: bytes,
      /** static stack bound of <name>_predict (-fstack-usage over the disassembled call graph) */
      stack: bytes,
      total: bytes,
      /** the caller's input and output buffers (not counted in total) */
      ioBytes: z.object({ input: bytes, output: bytes }),
    }),
    image: z.object({ data: bytes, bss: bytes, static: bytes }),
    method: z.string(),
  }),
  stack: z.object({
    painted: z.object({ usedBytes: bytes, availableBytes: bytes, method: z.string() }),
    static: z.object({
      /** the test image: reset handler's call tree + one exception entry (SysTick) */
      image: staticBound.extend({ exceptionBytes: bytes }),
      /** <name>_predict's call tree alone: what the model adds to the caller's stack */
      model: staticBound,
      method: z.string(),
    }),
  }),
  ops: opCounts.extend({ total: bytes, method: z.string() }),
  instructions: z.object({ min: bytes, mean: bytes, max: bytes, vectors: bytes, method: z.string() }),
  latency: z.object({
    estimate: z.literal(true),
    microseconds: z.number().nonnegative(),
    rangeMicroseconds: z.tuple([z.number(), z.number()]),
    cycles: bytes,
    cpi: z.number().positive(),
    cpiRange: z.tuple([z.number(), z.number()]),
    clockHz: z.number().int().positive(),
    core: z.string(),
    method: z.string(),
  }),
  layers: z.array(LayerRowSchema),
  /** per-layer instructions come from a separate image built with the per-layer timing hook */
  layersMethod: z.string(),
  fit: FitSchema,
});

export const BoardFitSchema = z.object({
  board: BoardInfoSchema,
  /** unmeasured: the firmware could not be built because the emulating QEMU machine has less memory than the board (fit from the plan) */
  status: z.enum(["fits", "does-not-fit", "unmeasured", "error"]),
  /** why it does not fit, or the error */
  reason: z.string().nullable(),
  fit: FitSchema.nullable(),
  latencyMicroseconds: z.number().nonnegative().nullable(),
  instructions: bytes.nullable(),
});

export const BudgetViolationSchema = z.object({
  board: z.string(),
  resource: z.enum(["flash", "ram", "latency", "fit"]),
  limit: z.number(),
  value: z.number(),
  over: z.number(),
  unit: z.enum(["bytes", "us"]),
  message: z.string(),
});

export const ReportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA_ID),
  tool: z.object({ name: z.literal("strongnet"), version: z.string() }),
  model: z.object({
    name: z.string(),
    sha256: z.string(),
    inputShape: z.array(z.number().int().positive()),
    outputShape: z.array(z.number().int().positive()),
    layers: bytes,
  }),
  /** the detailed report of the --board board; null when the model does not fit it (see boards) */
  primary: BoardReportSchema.nullable(),
  /** the fit of every board measured (--boards), the primary board included */
  boards: z.array(BoardFitSchema),
  budget: z.object({
    /** where the limits came from: "flags", a budget file path, or both */
    source: z.string().nullable(),
    limits: z.array(
      z.object({
        board: z.string(),
        maxFlash: bytes.optional(),
        maxRam: bytes.optional(),
        maxLatencyUs: z.number().positive().optional(),
      }),
    ),
    violations: z.array(BudgetViolationSchema),
    passed: z.boolean(),
  }),
  passed: z.boolean(),
});

export type Report = z.infer<typeof ReportSchema>;
export type BoardReport = z.infer<typeof BoardReportSchema>;
export type BoardFit = z.infer<typeof BoardFitSchema>;
export type LayerRow = z.infer<typeof LayerRowSchema>;
export type Fit = z.infer<typeof FitSchema>;
export type BudgetViolation = z.infer<typeof BudgetViolationSchema>;

/** The JSON Schema of the report (docs/report.schema.json is this, pretty-printed). */
export function reportJsonSchema(): unknown {
  return z.toJSONSchema(ReportSchema, { target: "draft-2020-12" });
}
