/**
 * The int8 graph: a validated model with decoded tables and weights, shapes inferred and the
 * layers in execution (topological) order. Every later stage (reference, plan, codegen) reads
 * only this.
 */
import type { Requant } from "../format/schema.js";

export type { Requant };

/** [height, width, channels]; channels are fastest in memory. */
export type Shape = readonly [number, number, number];

export const shapeSize = (s: Shape): number => s[0] * s[1] * s[2];

interface LayerCommon {
  id: string;
  /** id of the producing layer, or INPUT_ID */
  input: string;
  inputShape: Shape;
  outputShape: Shape;
  /** where the layer sits in the model file, for error messages (`layers[3]`) */
  path: string;
}

export const INPUT_ID = "input";

/** T[table][x[input]] */
export interface Literal {
  input: number;
  table: number;
}

/** A literal of a spatially shared template, relative to the window origin. */
export interface SpatialLiteral {
  dy: number;
  dx: number;
  c: number;
  table: number;
}

/** max over groups of min over literals */
export type StrongNeuron<L> = readonly (readonly L[])[];

export interface LutLayer extends LayerCommon {
  kind: "lut";
  table: number;
}

export interface StrongLayer extends LayerCommon {
  kind: "strong";
  neurons: StrongNeuron<Literal>[];
}

export interface Window2d {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  /** [top, left, bottom, right] */
  padding: readonly [number, number, number, number];
  padValue: number;
}

export interface StrongConvLayer extends LayerCommon, Window2d {
  kind: "strong_conv";
  templates: StrongNeuron<SpatialLiteral>[];
}

export interface SummatorTerm {
  input: number;
  weight: number;
}

export interface SummatorLayer extends LayerCommon {
  kind: "summator";
  requant: Requant;
  activation?: number;
  neurons: { bias: number; terms: SummatorTerm[] }[];
}

export interface DenseLayer extends LayerCommon {
  kind: "dense";
  units: number;
  /** [units][inputs] */
  weights: Int8Array;
  bias: Int32Array;
  requant: Requant;
  activation?: number;
}

export interface Conv2dLayer extends LayerCommon, Window2d {
  kind: "conv2d";
  filters: number;
  /** [filters][ky][kx][inChannels] */
  weights: Int8Array;
  bias: Int32Array;
  requant: Requant;
  activation?: number;
}

export interface MaxPoolLayer extends LayerCommon {
  kind: "maxpool";
  pool: readonly [number, number];
  stride: readonly [number, number];
}

export interface ArgmaxLayer extends LayerCommon {
  kind: "argmax";
}

export type Layer =
  | LutLayer
  | StrongLayer
  | StrongConvLayer
  | SummatorLayer
  | DenseLayer
  | Conv2dLayer
  | MaxPoolLayer
  | ArgmaxLayer;

export type LayerKind = Layer["kind"];

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
