/**
 * `strongnet train` as a library: loads the data set, runs the chosen trainer, measures the
 * result and writes the model with its `<name>.metrics.json` sidecar.
 */
import { basename } from "node:path";
import { CONVERSION_RULE, DataError, loadTrainingData, type DatasetName } from "../datasets/index.js";
import { saveModelFile } from "../format/load.js";
import { writeFileAtomic } from "../util/fs.js";
import type { TrainMetrics, OnProgress } from "./common.js";
import { trainCnn, type AdversarialOptions } from "./cnn.js";
import { trainDenseMlp } from "./dense.js";
import { defaultThreads } from "./parallel.js";
import { trainStrong, type StrongOptions } from "./strong.js";
import type { ModelFileInput } from "../format/schema.js";

export const ARCHS = ["strong", "dense-mlp", "cnn"] as const;
export type Arch = (typeof ARCHS)[number];

export const DEFAULT_BUDGET_OPS = 20000;

export interface TrainRequest {
  /** a data set SPEC (docs/datasets.md): "mnist", "fashion-mnist", "digits.csv", "photos/", ... */
  dataset: string;
  /** a SPEC for the test split (default: the data set's own, or a seeded 20% of it) */
  test?: string;
  arch: Arch;
  seed: number;
  /** strong only: planned ops per inference */
  budgetOps?: number;
  /** dense-mlp only: hidden widths */
  hidden?: number[];
  /** model name (C identifier) */
  name: string;
  threads?: number;
  /** how to reproduce: stored in the sidecar */
  command?: string;
  /** tests: train on the first images only (spread over the split) */
  limit?: { train?: number; test?: number };
  /** strong only: overrides for small or experimental runs */
  strong?: StrongOverrides;
  dense?: { epochs?: number };
  /** cnn only: conv widths, kernel side, epochs */
  cnn?: { filters?: number[]; kernel?: number; epochs?: number; learningRate?: number; adversarial?: AdversarialOptions };
  onProgress?: OnProgress;
}

export type StrongOverrides = Partial<
  Pick<StrongOptions, "selectionImages" | "epochs" | "radii" | "step" | "featureShare" | "levels" | "thresholds" | "scales" | "rounds" | "costAware" | "hidden" | "augment" | "tableSlope" | "labelSmoothing" | "readoutLearningRate">
>;

/**
 * The `strongnet train` flags that give these strong options, in the CLI's order (builtBy's
 * reproducing command, the bench's row sources): `value` is the option when it is set (none for
 * `--budget-ops`, which always has one), `words` the flag and its value, empty when the option
 * is off, and `hiddenReadoutOnly` marks the options of the hidden read-out. `--epochs` is not
 * among them: it is shared by every architecture.
 */
export function strongTrainFlags(budgetOps: number, o: StrongOverrides): { flag: string; value?: unknown; words: string; hiddenReadoutOnly?: true }[] {
  return [
    { flag: "--budget-ops", words: `--budget-ops ${budgetOps}` },
    { flag: "--readout-hidden", value: o.hidden, words: o.hidden?.length ? `--readout-hidden ${o.hidden.join(",")}` : "" },
    { flag: "--augment", value: o.augment, words: o.augment ? "--augment" : "" },
    { flag: "--table-slope", value: o.tableSlope, words: o.tableSlope ? `--table-slope ${o.tableSlope}` : "" },
    { flag: "--label-smoothing", value: o.labelSmoothing, words: o.labelSmoothing ? `--label-smoothing ${o.labelSmoothing}` : "", hiddenReadoutOnly: true },
    { flag: "--readout-learning-rate", value: o.readoutLearningRate, words: o.readoutLearningRate ? `--readout-learning-rate ${o.readoutLearningRate}` : "", hiddenReadoutOnly: true },
  ];
}

/**
 * Per-data-set defaults of the strong trainer, chosen on the validation split (docs/training.md,
 * "Fashion-MNIST: what else we tried"). Fashion-MNIST: one-group fragments (shift radius 0, 5 ops
 * for 3 literals) join the shift-invariant ones, and the growth runs 48 rounds scored on 24,000
 * images instead of 12 rounds on 8,000. Request overrides win.
 */
export const STRONG_DEFAULTS: Record<DatasetName, StrongOverrides> = {
  mnist: {},
  "fashion-mnist": { radii: [0, 1, 2], rounds: 48, selectionImages: 24000 },
};

/**
 * Defaults for user data: shift radii that fit the image (fragments reach 2 pixels from their
 * anchor, shifts 1 or 2 more), so small images (8x8 digits) get one-group and radius-1 fragments.
 */
export function userStrongDefaults(shape: [number, number, number]): StrongOverrides {
  const side = Math.min(shape[0], shape[1]);
  return side >= 12 ? {} : side >= 7 ? { radii: [0, 1], step: 1 } : { radii: [0], step: 1 };
}

export async function trainModel(req: TrainRequest): Promise<{
  model: ModelFileInput;
  metrics: TrainMetrics & { command?: string; inputConversion: string; split: { testRule: string } };
  /** the float twin's logits on the test split, [test][classes] (strong and dense-mlp) */
  floatTestScores?: Float32Array;
}> {
  const started = Date.now();
  const data = loadTrainingData(req.dataset, req.test);
  let splits = data.splits;
  if (req.limit) {
    const { spreadSubset } = await import("./common.js");
    splits = {
      train: req.limit.train ? spreadSubset(splits.train, req.limit.train, "limited") : splits.train,
      test: req.limit.test ? spreadSubset(splits.test, req.limit.test, "limited") : splits.test,
    };
  }
  const [h, w, ch] = splits.train.shape;
  if (req.arch === "strong" && ch !== 1) {
    throw new DataError(req.dataset, `the strong trainer reads one-channel images; these have ${ch} channels (add :channels=1 to the SPEC, or use --arch dense-mlp)`);
  }
  if (req.arch === "strong" && Math.min(h, w) < 5) {
    throw new DataError(req.dataset, `images of ${h}x${w} are too small for the strong trainer's contour fragments (at least 5x5; --arch dense-mlp takes any size)`);
  }
  if (splits.train.classes < 2) throw new DataError(req.dataset, `${splits.train.classes} class in the training labels; a classifier needs at least 2`);
  const threads = req.threads ?? defaultThreads();
  const label = data.label;
  const defaults = data.named ? STRONG_DEFAULTS[data.named] : userStrongDefaults(splits.train.shape);
  if (req.arch === "cnn" && Math.min(h, w) < 4) throw new DataError(req.dataset, `images of ${h}x${w} are too small for two 2x2 poolings (at least 4x4)`);
  const result =
    req.arch === "dense-mlp"
      ? trainDenseMlp(splits, { name: req.name, datasetLabel: label, seed: req.seed, hidden: req.hidden, onProgress: req.onProgress, ...req.dense })
      : req.arch === "cnn"
        ? trainCnn(splits, { name: req.name, datasetLabel: label, seed: req.seed, onProgress: req.onProgress, ...req.cnn })
        : await trainStrong(splits, {
          name: req.name,
          datasetLabel: label,
          seed: req.seed,
          budgetOps: req.budgetOps ?? DEFAULT_BUDGET_OPS,
          threads,
          onProgress: req.onProgress,
          ...defaults,
          ...req.strong,
        });
  const trainSeconds = Math.round((Date.now() - started) / 100) / 10;
  const metrics = {
    model: req.name,
    ...result.metrics,
    split: { ...result.metrics.split, testRule: data.testRule },
    inputConversion: data.conversion,
    trainSeconds,
    threads: req.arch === "strong" ? threads : 1,
    command: req.command,
  };
  const model = {
    ...result.model,
    metadata: {
      ...result.model.metadata,
      dataset: label,
      datasetSpec: data.spec,
      ...(data.classNames ? { classNames: data.classNames } : {}),
      inputQuantization: data.inputQuantization,
      inputConversion: `${data.conversion}; ${CONVERSION_RULE} (docs/datasets.md)`,
      arch: req.arch,
      seed: req.seed,
      testImages: splits.test.count,
      int8TestAccuracy: metrics.accuracy.int8Test,
      floatTestAccuracy: metrics.accuracy.floatTest,
      builtBy: req.command ?? "strongnet train",
    },
  };
  return { model, metrics, floatTestScores: result.floatTestScores };
}

/** Writes MODEL.json and MODEL.metrics.json; returns the sidecar path. */
export function writeTrained(out: string, model: ModelFileInput, metrics: object): string {
  const sidecar = out.replace(/\.json$/, "") + ".metrics.json";
  saveModelFile(out, { ...model, metadata: { ...model.metadata, metrics: basename(sidecar) } });
  writeFileAtomic(sidecar, JSON.stringify(metrics, null, 2) + "\n");
  return sidecar;
}

/** A C identifier from a file name: models/mnist_strong.json -> mnist_strong. */
export function modelNameFor(path: string): string {
  const base = basename(path).replace(/\.json$/, "").replace(/[^A-Za-z0-9_]/g, "_");
  return /^[A-Za-z_]/.test(base) ? base : `m_${base}`;
}
