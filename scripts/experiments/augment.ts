/**
 * Experiment helper (docs/training.md, "Deeper strong networks"): does training the hidden
 * read-out on shifted (or distorted) copies of the fit images help? Evaluates the cached
 * features' neurons (scripts/experiments/grow-features.ts) on the fit images shifted by one pixel
 * in each of the 4 directions (withShiftedCopies, as `--augment`), the diagonals too (shifts=8),
 * or K random affine distortions (affine=K), then trains the [features, H, 10] read-out on the
 * originals plus the copies.
 *
 *   npx tsx scripts/experiments/augment.ts TAG DATASET H=64 epochs=8 [H2=K] [smooth=S] [drop=P] [lr=0.05 l2=1e-4 seed=1] [threshold=0] [shifts=4|8 | affine=K deg=10 scale=0.1 shear=0.1 px=1.5]
 */
import { readFileSync } from "node:fs";
import { loadDataset, type DatasetName } from "../../src/datasets/index.js";
import { accuracyOf, splitValidation } from "../../src/train/common.js";
import { evaluateCandidates, flattenCandidates } from "../../src/train/fragments.js";
import { mlpPredict, trainMlp } from "../../src/train/mlp.js";
import { strongTables } from "../../src/train/strong.js";
import { makeDataset, type Dataset } from "../../src/datasets/types.js";
import { AUGMENT_SHIFTS, withShiftedCopies } from "../../src/train/augment.js";
import { Rng } from "../../src/util/random.js";

const [tag, dataset] = [process.argv[2]!, process.argv[3]! as DatasetName];
const args = Object.fromEntries(process.argv.slice(4).map((a) => a.split("=")).map(([k, v]) => [k, Number(v)]));
const H = args.H ?? 64, epochs = args.epochs ?? 8;
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(0) + " s";
const meta = JSON.parse(readFileSync(`build/exp/${tag}.meta.json`, "utf8"));
const load = (s: string) => { const b = readFileSync(`build/exp/${tag}.${s}.bin`); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
const D = meta.d as number;
const set = flattenCandidates(meta.neurons);
const tables = strongTables([args.threshold ?? 0]);
const splits = loadDataset(dataset);
const { fit, validation } = splitValidation(splits.train);
const [h, w] = fit.shape;

function features(pixels: Int8Array, n: number): Float32Array {
  const q = new Int8Array(set.count * n);
  evaluateCandidates(set, tables, pixels, h * w, n, 0, set.count, q);
  const out = new Float32Array(n * D);
  for (let j = 0; j < D; j++) for (let i = 0; i < n; i++) out[i * D + j] = (q[j * n + i]! + 128) / 256;
  return out;
}
const fFit = load("fit");
const n = fit.count;
// affine=K: the originals and K random affine distortions of each (withAffineCopies below);
// shifts=4: the four neighbours (what --augment does); shifts=8: the diagonals too
const DIAGONALS = [[1, 1], [1, -1], [-1, 1], [-1, -1]] as const;
let aug = args.affine
  ? withAffineCopies(fit, args.affine, 1, { degrees: args.deg ?? 10, scale: args.scale ?? 0.1, shear: args.shear ?? 0.1, shift: args.px ?? 1.5 })
  : withShiftedCopies(fit, args.shifts === 8 ? [...AUGMENT_SHIFTS, ...DIAGONALS] : AUGMENT_SHIFTS);
// flip=1: also the mirror image (left-right) of the originals (Fashion-MNIST's classes are
// mirror-invariant); flip=2: the mirror of the shifted copies too
if (args.flip) aug = withMirrors(aug, args.flip === 2 ? aug.count : n);
const all = new Float32Array(aug.count * D);
all.set(fFit);
all.set(features(aug.pixels.subarray(n * h * w), aug.count - n), n * D);
const labels = aug.labels;
console.log(`features of ${labels.length} images`, secs());
// H2=K: a second hidden layer of K units; smooth=S: label smoothing S
const dims = args.H2 ? [D, H, args.H2, 10] : [D, H, 10];
const mlp = trainMlp(all, labels, dims, { epochs, learningRate: args.lr ?? 0.05, l2: args.l2 ?? 1e-4, seed: args.seed ?? 1, labelSmoothing: args.smooth ?? 0, dropout: args.drop ?? 0 });
const acc = (x: Float32Array, l: Uint8Array) => (100 * accuracyOf(mlpPredict(mlp, x), l)).toFixed(2);
console.log(`augmented flip=${args.flip ?? 0} hidden ${dims.slice(1, -1).join("-")} smooth=${args.smooth ?? 0} drop=${args.drop ?? 0} epochs=${epochs} lr=${args.lr ?? 0.05} l2=${args.l2 ?? 1e-4} seed=${args.seed ?? 1}: val ${acc(load("val"), validation.labels)} test ${acc(load("test"), splits.test.labels)}`, secs());

/** `ds` followed by the left-right mirror of its first `count` images (labels repeated). */
function withMirrors(ds: Dataset, count: number): Dataset {
  const [h, w, c] = ds.shape;
  const size = h * w * c;
  const pixels = new Int8Array((ds.count + count) * size);
  const labels = new Uint8Array(ds.count + count);
  pixels.set(ds.pixels);
  labels.set(ds.labels);
  labels.set(ds.labels.subarray(0, count), ds.count);
  for (let i = 0; i < count; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) pixels[(ds.count + i) * size + (y * w + x) * c + ch] = ds.pixels[i * size + (y * w + (w - 1 - x)) * c + ch]!;
  return makeDataset(`${ds.name}+mirrors`, ds.shape, ds.classes, pixels, labels);
}

/** Ranges of the random affine distortions of withAffineCopies. */
interface AffineRanges {
  /** rotation, degrees either way (default 10) */
  degrees?: number;
  /** scale factor 1 +- this (default 0.1) */
  scale?: number;
  /** shear, x += shear * y, either way (default 0.1) */
  shear?: number;
  /** translation in pixels either way (default 1.5) */
  shift?: number;
}

/**
 * The images of `ds` followed by `copies` randomly distorted versions of all of them (labels
 * repeated): per copy of each image a rotation, scale, shear and translation drawn uniformly from
 * `ranges` about the image centre, resampled bilinearly (edge pixels repeat outside the image),
 * rounded to int8. Seeded: the same seed gives the same images.
 */
function withAffineCopies(ds: Dataset, copies: number, seed: number, ranges: AffineRanges = {}): Dataset {
  const [h, w, c] = ds.shape;
  const size = h * w * c;
  const rng = new Rng(seed);
  const pixels = new Int8Array(ds.count * size * (1 + copies));
  const labels = new Uint8Array(ds.count * (1 + copies));
  pixels.set(ds.pixels);
  labels.set(ds.labels);
  const { degrees = 10, scale = 0.1, shear = 0.1, shift = 1.5 } = ranges;
  const between = (r: number) => (2 * rng.next() - 1) * r;
  const at = (src: number, y: number, x: number, ch: number) => ds.pixels[src + (Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))) * c + ch]!;
  const [cy, cx] = [(h - 1) / 2, (w - 1) / 2];
  for (let k = 1; k <= copies; k++) {
    labels.set(ds.labels, k * ds.count);
    for (let i = 0; i < ds.count; i++) {
      const angle = (between(degrees) * Math.PI) / 180;
      const s = 1 + between(scale);
      const sh = between(shear);
      const [ty, tx] = [between(shift), between(shift)];
      // output (y, x) reads the source at the inverse map: rotate by -angle, divide by s, undo shear
      const cos = Math.cos(angle) / s;
      const sin = Math.sin(angle) / s;
      const src = i * size;
      const dst = (k * ds.count + i) * size;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const dy = y - cy - ty;
          const dx = x - cx - tx;
          const sy = cos * dy - sin * dx + cy;
          const sx0 = sin * dy + cos * dx;
          const sx = sx0 - sh * (sy - cy) + cx;
          const y0 = Math.floor(sy);
          const x0 = Math.floor(sx);
          const fy = sy - y0;
          const fx = sx - x0;
          for (let ch = 0; ch < c; ch++) {
            const v =
              (1 - fy) * ((1 - fx) * at(src, y0, x0, ch) + fx * at(src, y0, x0 + 1, ch)) +
              fy * ((1 - fx) * at(src, y0 + 1, x0, ch) + fx * at(src, y0 + 1, x0 + 1, ch));
            pixels[dst + (y * w + x) * c + ch] = Math.max(-128, Math.min(127, Math.round(v)));
          }
        }
      }
    }
  }
  return makeDataset(`${ds.name}+affine`, ds.shape, ds.classes, pixels, labels);
}
