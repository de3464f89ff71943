/**
 * The input vectors `verify` feeds the firmware: held-out data set samples (real inputs, and the
 * only ones with labels, so accuracy can be reported), edge vectors (all -128, all 0, all 127:
 * saturation and table-end cases), and seeded pseudo-random int8 vectors (inputs no data set has,
 * which reach table entries and requantization corners real images never touch).
 *
 * The samples come from `inputs` (any data set SPEC, labels optional), else `dataset` (a SPEC with
 * labels: its test part), else the data the model's metadata names (`datasetSpec` written by
 * strongnet train, or a named data set in `dataset`). Samples are converted to int8 by the one
 * rule of src/datasets/spec.ts, with the model's metadata.inputQuantization for float data.
 */
import { loadEvaluationData, loadTrainingData, modelDataSpec, parseSpec, type Dataset, type InputConversion } from "../datasets/index.js";
import { shapeSize, type Graph } from "../ir/index.js";
import { Rng } from "../util/random.js";

/** `--dataset none`: no data set samples, only edge and random vectors. */
export const NO_DATASET = "none";

export interface TestVector {
  input: Int8Array;
  /** where it came from, for mismatch reports, e.g. "mnist test image 17" or "random #3 (seed 1)" */
  source: string;
  /** the true class, for data set samples */
  label?: number;
}

export interface VectorPlan {
  vectors: TestVector[];
  /** the data the samples came from (a name or SPEC), or null when none was used */
  dataset: string | null;
  /** why no data set samples are included, when none are */
  datasetNote?: string;
  counts: { dataset: number; edge: number; random: number };
}

export interface VectorOptions {
  /** total number of vectors */
  count: number;
  /** data set SPEC to draw labelled samples from, null for none, undefined to use the model's metadata */
  dataset?: string | null;
  /** a data set SPEC whose samples are fed instead (labels optional) */
  inputs?: string;
  /** how many of `count` are data set samples when a data set is used (default: 90%, the rest edge + random) */
  datasetCount?: number;
  seed?: number;
}

const EDGE_VALUES = [-128, 0, 127] as const;

/** The model's class count: the values its final argmax compares, else its output size. */
export function modelClasses(graph: Graph): number {
  const last = graph.layers.at(-1);
  return last?.kind === "argmax" ? shapeSize(last.inputShape) : shapeSize(graph.outputShape);
}

/** The model's input quantization (metadata.inputQuantization), the int8 rule for float data. */
export function modelConversion(graph: Graph): InputConversion | undefined {
  const q = graph.metadata?.inputQuantization as { scale?: unknown; zeroPoint?: unknown } | undefined;
  if (q && typeof q.scale === "number" && q.scale > 0 && Number.isInteger(q.zeroPoint)) {
    return { scale: q.scale, zeroPoint: q.zeroPoint as number, source: "the model's metadata.inputQuantization" };
  }
  return undefined;
}

interface Samples {
  name: string;
  data: Dataset;
  labeled: boolean;
}

/** The samples of an explicit SPEC, checked against the model's input shape and classes. */
export function samplesFor(graph: Graph, spec: string, requireLabels: boolean): Samples {
  const e = loadEvaluationData(spec, { shape: [...graph.inputShape] as [number, number, number], classes: modelClasses(graph), conversion: modelConversion(graph), requireLabels });
  return { name: e.name, data: e.dataset, labeled: e.labeled };
}

/** Builds `count` vectors for `graph` (deterministic for the same model, options and data set). */
export function testVectors(graph: Graph, opts: VectorOptions): VectorPlan {
  const size = shapeSize(graph.inputShape);
  const seed = opts.seed ?? 1;
  const picked = pickSamples(graph, opts);
  const vectors: TestVector[] = [];
  let datasetCount = 0;
  if (picked.samples) {
    const { data, name, labeled } = picked.samples;
    const wanted = opts.datasetCount ?? Math.max(0, opts.count - Math.max(EDGE_VALUES.length + 1, Math.round(opts.count / 10)));
    datasetCount = Math.min(wanted, data.count, opts.count);
    const what = opts.inputs !== undefined ? "sample" : "test image";
    for (let i = 0; i < datasetCount; i++) {
      vectors.push({ input: data.images[i]!.slice(), source: `${name} ${what} ${i}`, ...(labeled ? { label: data.labels[i]! } : {}) });
    }
  }
  const rest = opts.count - datasetCount;
  const edge = Math.min(EDGE_VALUES.length, rest);
  for (let i = 0; i < edge; i++) vectors.push({ input: new Int8Array(size).fill(EDGE_VALUES[i]!), source: `all ${EDGE_VALUES[i]}` });
  const rng = new Rng(seed);
  for (let i = 0; i < rest - edge; i++) vectors.push({ input: rng.int8Array(size), source: `random #${i} (seed ${seed})` });
  return { vectors, dataset: picked.samples?.name ?? null, datasetNote: picked.note, counts: { dataset: datasetCount, edge, random: rest - edge } };
}

function pickSamples(graph: Graph, opts: VectorOptions): { samples?: Samples; note?: string } {
  if (opts.inputs !== undefined) return { samples: samplesFor(graph, opts.inputs, false) };
  if (opts.dataset === null || opts.dataset === NO_DATASET) return { note: "no data set requested" };
  if (opts.dataset !== undefined) return { samples: samplesFor(graph, opts.dataset, true) };
  const s = modelTestSamples(graph);
  return typeof s === "string" ? { note: s } : { samples: s };
}

/**
 * The test split of the data the model was trained on, from its metadata, or why there is none
 * (a default: a data set that is missing here or does not fit is a note, not an error).
 */
export function modelTestSamples(graph: Graph): Samples | string {
  const spec = modelDataSpec(graph.metadata);
  if (!spec) return "the model's metadata names no data set";
  try {
    const data: Samples =
      spec.test === undefined && parseSpec(spec.train).named
        ? samplesFor(graph, spec.train, true)
        : { name: spec.train, data: loadTrainingData(spec.train, spec.test).splits.test, labeled: true };
    if (data.data.shape.join("x") !== graph.inputShape.join("x")) return `data set ${data.name} images do not match the model input shape`;
    return data;
  } catch (err) {
    return `data set ${spec.train} is not available here (${(err as Error).message})`;
  }
}
