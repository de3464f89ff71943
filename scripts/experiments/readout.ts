/**
 * Experiment helper: float validation (and test, reported only) accuracy of read-outs trained on
 * features cached by scripts/experiments/grow-features.ts.
 *
 *   npx tsx scripts/experiments/readout.ts TAG K=240                 linear, K terms per class
 *   npx tsx scripts/experiments/readout.ts TAG fops=10400 K=160      the same on the first features worth 10,400 ops
 *   npx tsx scripts/experiments/readout.ts TAG H=48 k=32 epochs=15 steps=3 pe=3
 *       sparse hidden layer: H ReLU units, pruned (in `steps` geometric steps of `pe` epochs) to k
 *       terms each, then a read-out over the H units (K2 terms per class, default all)
 */
import { readFileSync } from "node:fs";
import { accuracyOf } from "../../src/train/common.js";
import { trainMlp, rowTopK, mlpPredict, type Mlp } from "../../src/train/mlp.js";
const tag = process.argv[2]!;
const meta = JSON.parse(readFileSync(`build/exp/${tag}.meta.json`, "utf8"));
const lab = JSON.parse(readFileSync(`build/exp/${tag}.labels.json`, "utf8"));
const load = (s: string) => { const b = readFileSync(`build/exp/${tag}.${s}.bin`); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
let D = meta.d as number;
let fFit = load("fit"), fVal = load("val"), fTest = load("test");
const yFit = Uint8Array.from(lab.fit), yVal = Uint8Array.from(lab.val), yTest = Uint8Array.from(lab.test);
const args = Object.fromEntries(process.argv.slice(3).map((a) => a.split("=")).map(([k, v]) => [k, Number(v)]));
// prefix of features by op budget
if (args.fops) {
  let s = 0, k = 0;
  while (k < D && s + meta.ops[k] <= args.fops) s += meta.ops[k++];
  const take = (x: Float32Array) => { const n = x.length / D; const o = new Float32Array(n * k); for (let i = 0; i < n; i++) o.set(x.subarray(i * D, i * D + k), i * k); return o; };
  fFit = take(fFit); fVal = take(fVal); fTest = take(fTest); console.log("prefix", k, "features", s, "ops"); D = k;
}
const epochs = args.epochs ?? 30;
const t0 = Date.now();
const acc = (m: Mlp, caps?: any) => `val ${(100 * accuracyOf(mlpPredict(m, fVal, caps), yVal)).toFixed(2)} test ${(100 * accuracyOf(mlpPredict(m, fTest, caps), yTest)).toFixed(2)}`;
if (!args.H) {
  const K = args.K;
  const full = trainMlp(fFit, yFit, [D, 10], { epochs, learningRate: 0.1, l2: 1e-4, seed: 1 });
  console.log("linear dense", acc(full));
  const mask = rowTopK(full.weights[0]!, 10, K);
  const sp = trainMlp(fFit, yFit, [D, 10], { epochs, learningRate: 0.05, l2: 1e-4, seed: 2, init: full, masks: [mask] });
  console.log(`linear K=${K} macs=${10 * K}`, acc(sp), (Date.now() - t0) / 1000, "s");
} else {
  const H = args.H, k = args.k, K2 = args.K2 ?? H;
  const lr = args.lr ?? 0.05;
  const full = trainMlp(fFit, yFit, [D, H, 10], { epochs, learningRate: lr, l2: 1e-4, seed: 1 });
  console.log(`hidden dense H=${H}`, acc(full), (Date.now() - t0) / 1000, "s");
  let cur = full;
  const steps = args.steps ?? 1;
  let m0: Uint8Array = new Uint8Array(0), m1: Uint8Array | undefined;
  for (let s = 1; s <= steps; s++) {
    const ks = Math.round(D * Math.pow(k / D, s / steps));
    m0 = rowTopK(cur.weights[0]!, H, ks);
    m1 = K2 < H ? rowTopK(cur.weights[1]!, 10, K2) : undefined;
    cur = trainMlp(fFit, yFit, [D, H, 10], { epochs: s === steps ? epochs : (args.pe ?? 3), learningRate: lr / 2, l2: 1e-4, seed: 2 + s, init: cur, masks: [m0, m1] });
    if (s < steps) console.log(" step", s, "k", ks, acc(cur));
  }
  const sp = cur;
  const macs = H * k + 10 * K2;
  console.log(`hidden H=${H} k=${k} K2=${K2} macs=${macs} requants=${H + 10}`, acc(sp), (Date.now() - t0) / 1000, "s");
}
