/**
 * The input vectors `verify` feeds the firmware: held-out data set samples (real inputs, and the
 * only ones with labels, so accuracy can be reported), edge vectors (all -128, all 0, all 127:
 * saturation and table-end cases), and seeded pseudo-random int8 vectors (inputs no data set has,
 * which reach table entries and requantization corners real images never touch).
 */
import { datasetNamed, loadDataset, type DatasetName } from "../datasets/index.js";
import { shapeSize, type Graph } from "../ir/index.js";
import { Rng } from "../util/random.js";

export interface TestVector {
  input: Int8Array;
  /** where it came from, for mismatch reports, e.g. "mnist test image 17" or "random #3 (seed 1)" */
  source: string;
  /** the true class, for data set samples */
  label?: number;
}

export interface VectorPlan {
  vectors: TestVector[];
  /** the data set the samples came from, or null when none was used */
  dataset: DatasetName | null;
  /** why no data set samples are included, when none are */
  datasetNote?: string;
  counts: { dataset: number; edge: number; random: number };
}

export interface VectorOptions {
  /** total number of vectors */
  count: number;
  /** data set to draw samples from: a name, null for none, undefined to use the model's metadata.dataset */
  dataset?: DatasetName | null;
  /** how many of `count` are data set samples when a data set is used (default: 90%, the rest edge + random) */
  datasetCount?: number;
  seed?: number;
}

const EDGE_VALUES = [-128, 0, 127] as const;

/** Builds `count` vectors for `graph` (deterministic for the same model, options and data set). */
export function testVectors(graph: Graph, opts: VectorOptions): VectorPlan {
  const size = shapeSize(graph.inputShape);
  const seed = opts.seed ?? 1;
  const { name: dataset, note } = pickDataset(graph, opts.dataset);
  const vectors: TestVector[] = [];
  let datasetCount = 0;
  if (dataset) {
    const test = loadDataset(dataset).test;
    if (test.shape.join("x") !== graph.inputShape.join("x")) {
      throw new Error(`data set ${dataset} has images of shape ${test.shape.join("x")}, but model "${graph.name}" takes ${graph.inputShape.join("x")}`);
    }
    const wanted = opts.datasetCount ?? Math.max(0, opts.count - Math.max(EDGE_VALUES.length + 1, Math.round(opts.count / 10)));
    datasetCount = Math.min(wanted, test.count, opts.count);
    for (let i = 0; i < datasetCount; i++) {
      vectors.push({ input: test.images[i]!.slice(), source: `${dataset} test image ${i}`, label: test.labels[i]! });
    }
  }
  const rest = opts.count - datasetCount;
  const edge = Math.min(EDGE_VALUES.length, rest);
  for (let i = 0; i < edge; i++) vectors.push({ input: new Int8Array(size).fill(EDGE_VALUES[i]!), source: `all ${EDGE_VALUES[i]}` });
  const rng = new Rng(seed);
  for (let i = 0; i < rest - edge; i++) vectors.push({ input: rng.int8Array(size), source: `random #${i} (seed ${seed})` });
  return { vectors, dataset, datasetNote: note, counts: { dataset: datasetCount, edge, random: rest - edge } };
}

function pickDataset(graph: Graph, requested: DatasetName | null | undefined): { name: DatasetName | null; note?: string } {
  if (requested === null) return { name: null, note: "no data set requested" };
  if (requested !== undefined) return { name: requested };
  const named = datasetNamed(graph.metadata?.dataset);
  if (!named) return { name: null, note: "the model's metadata.dataset names no known data set" };
  const test = tryLoad(named);
  if (typeof test === "string") return { name: null, note: `data set ${named} is not available here (${test})` };
  if (test.join("x") !== graph.inputShape.join("x")) return { name: null, note: `data set ${named} images do not match the model input shape` };
  return { name: named };
}

function tryLoad(name: DatasetName): [number, number, number] | string {
  try {
    return loadDataset(name).test.shape;
  } catch (err) {
    return (err as Error).message;
  }
}
