/**
 * Experiment helper (docs/training.md, "Deeper strong networks"): does training the hidden
 * read-out on shifted copies of the fit images help? Evaluates the cached features' neurons
 * (scripts/experiments/grow-features.ts) on the fit images shifted by one pixel in each of the
 * 4 directions (background fills the gap), then trains the [features, H, 10] read-out on the
 * originals plus the shifts.
 *
 *   npx tsx scripts/experiments/augment.ts TAG DATASET H=64 epochs=8 [threshold=0] [shifts=4|8]
 */
import { readFileSync } from "node:fs";
import { loadDataset, type DatasetName } from "../../src/datasets/index.js";
import { accuracyOf, splitValidation } from "../../src/train/common.js";
import { evaluateCandidates, flattenCandidates } from "../../src/train/fragments.js";
import { mlpPredict, trainMlp } from "../../src/train/mlp.js";
import { strongTables } from "../../src/train/strong.js";

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

function shifted(pixels: Int8Array, n: number, dy: number, dx: number): Int8Array {
  const out = new Int8Array(n * h * w).fill(-128);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const sy = y - dy, sx = x - dx;
        if (sy >= 0 && sy < h && sx >= 0 && sx < w) out[i * h * w + y * w + x] = pixels[i * h * w + sy * w + sx]!;
      }
  return out;
}
function features(pixels: Int8Array, n: number): Float32Array {
  const q = new Int8Array(set.count * n);
  evaluateCandidates(set, tables, pixels, h * w, n, 0, set.count, q);
  const out = new Float32Array(n * D);
  for (let j = 0; j < D; j++) for (let i = 0; i < n; i++) out[i * D + j] = (q[j * n + i]! + 128) / 256;
  return out;
}
const fFit = load("fit");
// shifts=4: the four neighbours (what --augment does); shifts=8: the diagonals too
const shifts = [[0, 1], [0, -1], [1, 0], [-1, 0], ...(args.shifts === 8 ? [[1, 1], [1, -1], [-1, 1], [-1, -1]] : [])];
const n = fit.count;
const all = new Float32Array(n * D * (1 + shifts.length));
all.set(fFit);
shifts.forEach(([dy, dx], k) => all.set(features(shifted(fit.pixels, n, dy!, dx!), n), (k + 1) * n * D));
const labels = new Uint8Array(n * (1 + shifts.length));
for (let k = 0; k <= shifts.length; k++) labels.set(fit.labels, k * n);
console.log(`features of ${labels.length} images (originals + ${shifts.length} shifts)`, secs());
const mlp = trainMlp(all, labels, [D, H, 10], { epochs, learningRate: 0.05, l2: 1e-4, seed: 1 });
const acc = (x: Float32Array, l: Uint8Array) => (100 * accuracyOf(mlpPredict(mlp, x), l)).toFixed(2);
console.log(`augmented hidden H=${H} epochs=${epochs}: val ${acc(load("val"), validation.labels)} test ${acc(load("test"), splits.test.labels)}`, secs());
