/**
 * What both trainers share: the validation split carved from train, int8 accuracy with the
 * reference interpreter, progress events and the measured-figures record of a trained model.
 */
import type { Dataset } from "../datasets/index.js";
import { pickSamples, stratifiedPick } from "../datasets/index.js";
import { parseModel } from "../format/load.js";
import type { ModelFileInput } from "../format/schema.js";
import { buildGraph, type Graph } from "../ir/index.js";
import { planGraph, totalOps, type OpCounts } from "../plan/plan.js";
import { predict } from "../reference/interpreter.js";

export interface TrainProgress {
  /** what is running, e.g. "grow features" */
  stage: string;
  done: number;
  total: number;
}

export type OnProgress = (p: TrainProgress) => void;

/**
 * Validation: a seeded (seed VALIDATION_SEED), class-stratified 10% of the training images: for
 * each class its indices are shuffled with Rng(seed) and the first round(10%) held out (at least
 * one when the class has two or more). Independent of the file order (user data is often sorted by
 * class) and of --seed, so models trained with different seeds are chosen on the same images.
 * Both parts keep the file order. The test split is never used for choices.
 */
export const VALIDATION_SHARE = 0.1;
export const VALIDATION_SEED = 1;
export const VALIDATION_RULE = `validation = a seeded (seed ${VALIDATION_SEED}), class-stratified ${VALIDATION_SHARE * 100}% of train`;

/** The training indices held out for validation (sorted). */
export function validationIndices(train: Dataset): number[] {
  return stratifiedPick(train.labels, VALIDATION_SHARE, VALIDATION_SEED);
}

export function splitValidation(train: Dataset): { fit: Dataset; validation: Dataset } {
  const held = new Set(validationIndices(train));
  const fit: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < train.count; i++) (held.has(i) ? validation : fit).push(i);
  return { fit: subset(train, fit, "fit"), validation: subset(train, validation, "validation") };
}

/** The images at `indices` (copied into a new packed buffer). */
export function subset(ds: Dataset, indices: readonly number[], label: string): Dataset {
  return pickSamples(ds, indices, `${ds.name}/${label}`);
}

/** The first n images, spread over the data set (every k-th) so a small subset is class-balanced. */
export function spreadSubset(ds: Dataset, n: number, label: string): Dataset {
  if (n >= ds.count) return ds;
  const step = ds.count / n;
  return subset(ds, Array.from({ length: n }, (_, i) => Math.floor(i * step)), label);
}

/** int8 predictions of the model's reference interpreter. */
export function int8Predictions(graph: Graph, ds: Dataset): Uint8Array {
  return Uint8Array.from(ds.images, (img) => predict(graph, img)[0]!);
}

export function agreement(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length ? same / a.length : 0;
}

export const percent = (x: number): number => Math.round(x * 10000) / 100;

/**
 * Runs the int8 model (reference interpreter) on the test, validation and fit splits and returns
 * the accuracy block of a metrics sidecar, in percent; the same for every architecture.
 * `floatTest` are the float twin's predictions on the test split.
 */
export function measureAccuracy(
  graph: Graph,
  splits: { test: Dataset; validation: Dataset; fit: Dataset },
  floatTest: Uint8Array,
  onProgress?: OnProgress,
  /** measure the train accuracy on this many fit images spread over the split (all by default) */
  trainImages?: number,
) {
  const stage = "measure int8 model";
  onProgress?.({ stage, done: 0, total: 3 });
  const int8Test = int8Predictions(graph, splits.test);
  onProgress?.({ stage, done: 1, total: 3 });
  const int8Validation = int8Predictions(graph, splits.validation);
  onProgress?.({ stage, done: 2, total: 3 });
  const fit = trainImages && trainImages < splits.fit.count ? spreadSubset(splits.fit, trainImages, "fit sample") : splits.fit;
  const int8Fit = int8Predictions(graph, fit);
  onProgress?.({ stage, done: 3, total: 3 });
  return {
    unit: "percent of images whose predicted class equals the label",
    floatTest: percent(accuracyOf(floatTest, splits.test.labels)),
    int8Test: percent(accuracyOf(int8Test, splits.test.labels)),
    int8Validation: percent(accuracyOf(int8Validation, splits.validation.labels)),
    int8Train: percent(accuracyOf(int8Fit, fit.labels)),
    ...(fit !== splits.fit ? { int8TrainImages: fit.count } : {}),
    int8FloatAgreement: percent(agreement(int8Test, floatTest)),
  };
}

export function graphOf(model: ModelFileInput): Graph {
  return buildGraph(parseModel(model));
}

/** Planned operations per inference by kind, and the plan's memory figures. */
export function planFigures(graph: Graph) {
  const plan = planGraph(graph);
  const byLayerKind: Record<string, OpCounts> = {};
  for (const l of plan.layers) {
    const k = (byLayerKind[l.kind] ??= { lookups: 0, minmax: 0, macs: 0, requants: 0, compares: 0 });
    for (const [name, v] of Object.entries(l.ops) as [keyof OpCounts, number][]) k[name] += v;
  }
  return {
    ops: { ...plan.totals, total: totalOps(plan.totals) },
    opsByLayerKind: byLayerKind,
    arenaBytes: plan.arenaBytes,
    constBytes: plan.constBytes,
  };
}

/** The measured figures of a trained model (written next to it as <name>.metrics.json). */
/** What a trainer returns: the model file and its metrics (the CLI adds time and threads). */
export interface TrainResult {
  model: ModelFileInput;
  metrics: Omit<TrainMetrics, "model" | "trainSeconds" | "threads">;
  /**
   * The float twin's class scores (logits) on the test split, image-major [test][classes]: what
   * metadata.outputQuantization approximates (tests compare the dequantized int8 scores with them).
   */
  floatTestScores?: Float32Array;
}

/** Fraction of predictions equal to their labels. */
export function accuracyOf(pred: Uint8Array, labels: Uint8Array): number {
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) ok++;
  return labels.length ? ok / labels.length : 0;
}

export interface TrainMetrics {
  model: string;
  arch: "strong" | "dense-mlp" | "cnn";
  dataset: string;
  seed: number;
  budgetOps?: number;
  split: { fit: number; validation: number; test: number; rule: string };
  accuracy: {
    unit: string;
    /** the float model (before int8 quantization of the supervised part) on the test split */
    floatTest: number;
    /** the int8 model, reference interpreter, test split */
    int8Test: number;
    int8Validation: number;
    int8Train: number;
    /** when int8Train was measured on a sample of the fit split: its size */
    int8TrainImages?: number;
    /** share of test images where the int8 model predicts the same class as the float model */
    int8FloatAgreement: number;
  };
  plan: ReturnType<typeof planFigures>;
  trainSeconds: number;
  threads: number;
  details: Record<string, unknown>;
}
