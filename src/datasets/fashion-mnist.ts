/**
 * Fashion-MNIST (Zalando; 28x28 grey images, 10 classes) from Debian's `dataset-fashion-mnist`
 * package, which installs the original IDX files under /usr/share/datasets/fashion-mnist.
 * The official split is used as is: 60,000 train and 10,000 test images, in file order.
 * Pixels: int8 = byte - 128 (background -128), the same rule as MNIST.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadIdxPair } from "./mnist.js";
import type { Dataset, DatasetSplits } from "./types.js";

export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
] as const;

const FILES = {
  train: ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"],
  test: ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"],
} as const;

const caches = new Map<string, DatasetSplits>();

/** Loads (once per directory and process) the official Fashion-MNIST train/test splits. */
export function loadFashionMnist(dir = FASHION_MNIST_DIR): DatasetSplits {
  const cached = caches.get(dir);
  if (cached) return cached;
  const missing = [...FILES.train, ...FILES.test].filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new Error(
      `Fashion-MNIST not found: ${missing.map((f) => join(dir, f)).join(", ")} missing. ` +
        "Install it with `apt-get install --no-install-recommends dataset-fashion-mnist`.",
    );
  }
  const splits = {
    train: loadSplit(dir, "train"),
    test: loadSplit(dir, "test"),
  };
  caches.set(dir, splits);
  return splits;
}

function loadSplit(dir: string, split: "train" | "test"): Dataset {
  const [imagesFile, labelsFile] = FILES[split].map((f) => join(dir, f)) as [string, string];
  return loadIdxPair(`fashion-mnist/${split}`, imagesFile, labelsFile, 10);
}
