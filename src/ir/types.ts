/**
 * The int8 graph: a validated model with decoded tables and weights, shapes inferred and the
 * layers in execution (topological) order. Every later stage (reference, plan, codegen) reads
 * only this. What each layer kind's IR holds is declared by the kind (src/kinds/<kind>.ts).
 */
import type { Requant } from "../format/fields.js";
import type { Layer } from "../kinds/registry.js";

export type { Requant };
export type { Layer, LayerKind } from "../kinds/registry.js";
export type { Window2d } from "./window.js";
export type { Literal, StrongLayer, StrongNeuron } from "../kinds/strong.js";
export type { SpatialLiteral, StrongConvLayer } from "../kinds/strong_conv.js";
export type { SummatorLayer, SummatorTerm } from "../kinds/summator.js";
export type { DenseLayer } from "../kinds/dense.js";
export type { Conv2dLayer } from "../kinds/conv2d.js";
export type { MaxPoolLayer } from "../kinds/maxpool.js";
export type { ArgmaxLayer } from "../kinds/argmax.js";
export type { LutLayer } from "../kinds/lut.js";
export type { ClampLayer } from "../kinds/clamp.js";
export type { SoftmaxLayer } from "../kinds/softmax.js";

/** [height, width, channels]; channels are fastest in memory. */
export type Shape = readonly [number, number, number];

export const shapeSize = (s: Shape): number => s[0] * s[1] * s[2];

/** What every IR layer has, whatever its kind. */
export interface LayerCommon {
  kind: string;
  id: string;
  /** id of the producing layer, or INPUT_ID */
  input: string;
  /** the second input of a two-input kind (ADD), or undefined */
  other?: string;
  inputShape: Shape;
  outputShape: Shape;
  /** where the layer sits in the model file, for error messages (`layers[3]`) */
  path: string;
}

export const INPUT_ID = "input";

export interface Graph {
  name: string;
  description?: string;
  /** sha256 of the canonical model file */
  hash: string;
  inputShape: Shape;
  maxLiterals: number;
  /** 256-entry int8 tables, y = T[x + 128] */
  tables: Int8Array[];
  /** execution order: every layer comes after the layer it reads */
  layers: Layer[];
  outputId: string;
  outputShape: Shape;
  metadata?: Record<string, unknown>;
}
