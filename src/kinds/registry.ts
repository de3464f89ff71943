/**
 * The registry of layer kinds: every kind the model format knows, each a module in this folder
 * that owns what the kind is (see shared/kind-module.ts and docs/adding-a-kind.md). Every stage
 * reaches a kind through `kindOf(layer)` or `KINDS`; no stage switches over kinds.
 */
import { z } from "zod";
import { add } from "./add.js";
import { argmax } from "./argmax.js";
import { avgpool } from "./avgpool.js";
import { clamp } from "./clamp.js";
import { conv2d } from "./conv2d.js";
import { dense } from "./dense.js";
import { depthwiseConv2d } from "./depthwise_conv2d.js";
import { lut } from "./lut.js";
import { maxpool } from "./maxpool.js";
import { reshape } from "./reshape.js";
import { slice } from "./slice.js";
import type { BuildContext, KindModule } from "./shared/kind-module.js";
import { softmax } from "./softmax.js";
import { strong } from "./strong.js";
import { strongConv } from "./strong_conv.js";
import { summator } from "./summator.js";

/** Every kind, once. The order is the order of the file schema's union (it only affects messages). */
const MODULES = [lut, strong, strongConv, summator, dense, conv2d, depthwiseConv2d, maxpool, avgpool, argmax, clamp, reshape, softmax, slice, add] as const;

type Module = (typeof MODULES)[number];

/** The union of the IR layers of every kind. */
export type Layer = ReturnType<Module["build"]>;
export type LayerKind = Layer["kind"];

/** A kind's module, typed for one IR layer type. */
export type KindOf<L extends Layer> = KindModule<z.ZodObject, L, object>;

/** The file form of a layer: the schemas of every kind, told apart by `kind`. */
export const layerSchema = z.discriminatedUnion("kind", MODULES.map((m) => m.schema) as unknown as SchemasOf<typeof MODULES>);

type SchemasOf<T extends readonly { schema: unknown }[]> = { -readonly [I in keyof T]: T[I]["schema"] };

/** Kind name -> module. */
export const KINDS: { readonly [K in LayerKind]: KindOf<Extract<Layer, { kind: K }>> } = Object.fromEntries(
  MODULES.map((m) => [m.kind, m]),
) as never;

/**
 * The module of a layer's kind, typed for that layer. (TypeScript cannot correlate a union
 * value with a table indexed by its tag; this one cast is where that is asserted.)
 */
export function kindOf<L extends Layer>(layer: L): KindOf<L> {
  return KINDS[layer.kind as LayerKind] as unknown as KindOf<L>;
}

/** The file form of any layer. */
export type LayerSpec = z.output<typeof layerSchema>;

/** Validates a layer of the model file against its context and returns its IR form. */
export function buildLayer(spec: LayerSpec, ctx: BuildContext): Layer {
  const module = KINDS[spec.kind] as unknown as { build(spec: LayerSpec, ctx: BuildContext): Layer };
  return module.build(spec, ctx);
}
