/**
 * What one layer kind is, in one place: its model-file schema, its IR form and validation, its
 * reference semantics, its lowering to const C arrays, its op counts, the typed variables of its
 * C template, and its robustness form. (The C runtime helpers a template calls, under
 * c-templates/runtime/, are pasted into a model by src/codegen/runtime.ts when its code names them.) The registry
 * (src/kinds/registry.ts) ties the modules together; docs/adding-a-kind.md is the checklist.
 */
import type { z } from "zod";
import type { LayerCommon, Shape } from "../../ir/types.js";
import type { OpCounts } from "../../plan/ops.js";
import type { ConstArray } from "../../plan/lowering.js";
import type { FlatLayer } from "../../robustness/flat.js";

/** Everything validation may need besides the layer itself. */
export interface BuildContext {
  /** shape of the tensor the layer reads */
  inputShape: Shape;
  /** `layers[i]`, the prefix of every error path */
  path: string;
  /** number of tables in the model file */
  tables: number;
  /** upper bound on literals per strong neuron */
  maxLiterals: number;
  /** shape of the second tensor, for kinds that read two (`twoInputs`) */
  otherShape?: Shape;
  /** kind of the layer that writes the tensor the layer reads (undefined: the model input) */
  inputKind?: string;
}

/** What a template's variables may use besides the layer. */
export interface TemplateContext {
  /** file table index -> index into the de-duplicated sn_tables */
  remapTable: (t: number) => number;
  /** the de-duplicated tables (sn_tables), for code that depends on a table's contents */
  uniqueTables: readonly Int8Array[];
  /** the layer's lowered arrays, as `lower` returned them */
  arrays: readonly ConstArray[];
  /** set when the plan has the layer write its output over its input (see KindModule.inPlace) */
  inPlace?: boolean;
  /** where the layer's scratch bytes start in the arena (sn_arena.bytes + scratchOffset) */
  scratchOffset?: number;
}

/** What a kind's scratch size may depend on. */
export interface ScratchContext {
  /** the plan writes the layer's output over its input (KindModule.inPlace) */
  inPlace: boolean;
  /** file table index -> index into the de-duplicated sn_tables */
  remapTable: (t: number) => number;
}

/** The variables every layer template gets, whatever its kind. */
export interface BaseTemplateVars {
  /** the C function of the layer: `layer_<id>` */
  fn: string;
  id: string;
  /** output values */
  size: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  /**
   * How a layer with scratch reaches the arena (undefined for a layer without): C expressions
   * for its bytes and words, and the extra parameter of the layer's function. `compile --arena
   * static`: the file's `sn_arena` and no parameter; `--arena external`: the caller's arena,
   * passed down from predict as `sn_arena_t *arena`.
   */
  arena?: ArenaAccess;
}

/** See BaseTemplateVars.arena. */
export interface ArenaAccess {
  /** `int8_t *` to the arena's first byte: `sn_arena.bytes` or `arena->bytes` */
  bytes: string;
  /** `uint32_t *` to its first word: `sn_arena.words` or `arena->words` */
  words: string;
  /** appended to the layer function's parameters: "" or `, sn_arena_t *arena` */
  param: string;
}

/**
 * The robustness form of a layer: a uniform table / min-max / linear layer (src/robustness/flat.ts),
 * or "decision" for the classifier's final choice (argmax), which the certifier handles itself.
 */
export type RobustnessForm = FlatLayer | "decision";

export interface KindModule<S extends z.ZodObject, L extends LayerCommon, Vars extends object> {
  kind: L["kind"];
  /** one line for docs */
  summary: string;
  /** the layer as written in the model file (zod; field-by-field checks) */
  schema: S;
  /** checks what needs more than one field (indices, shapes, accumulator range) and returns the IR layer */
  build(spec: z.output<S>, ctx: BuildContext): L;
  /** reference semantics: integer only, clarity first; writes every value of `out` (`other`: the second input of a two-input kind) */
  run(layer: L, x: Int8Array, tables: readonly Int8Array[], out: Int8Array, other?: Int8Array): void;
  /** the file table indices the layer reads, in first-use order (repeats allowed) */
  tables(layer: L): number[];
  /** the layer's const parameters as C arrays in flash */
  lower(layer: L, remapTable: (t: number) => number): ConstArray[];
  /** operations per inference */
  ops(layer: L): OpCounts;
  /** the variables of c-templates/layers/<kind>.c.ejs, besides BaseTemplateVars */
  templateVars(layer: L, ctx: TemplateContext): Vars;
  /** the robustness form, over the model's decoded tables */
  robustness(layer: L, tables: readonly Int8Array[]): RobustnessForm;
  /**
   * true when the output is the input's bytes under another shape (reshape): the plan gives it
   * no buffer and no code runs, unless it is the model output (then its template copies)
   */
  view?: boolean;
  /** for a view: where in its input's bytes its values start (a slice), default 0 */
  viewOffset?(layer: L): number;
  /**
   * true when the layer reads a second tensor, named by its `other` field (ADD): the graph is
   * then a DAG, the C function takes (x, x2, y), and `run` gets the second input
   */
  twoInputs?: boolean;
  /**
   * True when the layer can write its output over its input's bytes: each output position reads
   * only the same input position (a pointwise convolution). The plan uses it when the input has
   * no reader later, placing a smaller output where the input starts and a larger one where it
   * ends, so a walk from the first position to the last never overwrites an input not yet read;
   * the template then gets `inPlace` and must copy each position's input before writing it.
   */
  inPlace?(layer: L): boolean;
  /**
   * arena bytes the layer needs while it runs (the plan reserves them for its step only), given
   * whether the plan runs it in place and the table de-duplication
   */
  scratchBytes?(layer: L, ctx: ScratchContext): number;
}

/**
 * Declares the module of the kind whose IR layer is L: `defineKind<DenseLayer>()({ ... })`.
 * L is given, the schema and template variable types are inferred from the object.
 */
export function defineKind<L extends LayerCommon>() {
  return <S extends z.ZodObject, Vars extends object>(module: KindModule<S, L, Vars>): KindModule<S, L, Vars> => module;
}

/** The IR fields every layer copies from its file form and context. */
export function commonOf(spec: { id: string; input: string }, ctx: BuildContext) {
  return { id: spec.id, input: spec.input, path: ctx.path, inputShape: ctx.inputShape };
}
