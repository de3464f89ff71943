/**
 * Experiment helper (docs/training.md, "Deeper strong networks"): a second strong layer over the
 * grown first-layer features, on features cached by scripts/experiments/grow-features.ts.
 *
 * Second-layer candidates are fuzzy ANDs / ORs of two first-layer features, each read through the
 * identity or the complement table (`min(a, b)`, `min(a, not b)`, `min(not a, b)`, `max(a, b)`),
 * over the M first-layer features the dense read-out weighs most. They are grown by the same
 * grafting rule as the first layer (score = loss-gradient norm against the current residuals),
 * then a linear read-out is trained over both layers, pruned to K terms per class.
 *
 *   npx tsx scripts/experiments/second-layer.ts TAG M=120 N2=300 rounds=6 K=240 sel=6000
 */
import { readFileSync } from "node:fs";
import { accuracyOf } from "../../src/train/common.js";
import { trainMlp, rowTopK, mlpPredict, type Mlp } from "../../src/train/mlp.js";
import { scoreCandidates } from "../../src/train/kernels.js";

const tag = process.argv[2]!;
const args = Object.fromEntries(process.argv.slice(3).map((a) => a.split("=")).map(([k, v]) => [k, Number(v)]));
const meta = JSON.parse(readFileSync(`build/exp/${tag}.meta.json`, "utf8"));
const lab = JSON.parse(readFileSync(`build/exp/${tag}.labels.json`, "utf8"));
const load = (s: string) => { const b = readFileSync(`build/exp/${tag}.${s}.bin`); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
const D = meta.d as number;
const f = { fit: load("fit"), val: load("val"), test: load("test") };
const y = { fit: Uint8Array.from(lab.fit), val: Uint8Array.from(lab.val), test: Uint8Array.from(lab.test) };
const M = args.M ?? 120, N2 = args.N2 ?? 300, rounds = args.rounds ?? 6, K = args.K ?? 240, selN = args.sel ?? 6000, epochs = args.epochs ?? 30;
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(0) + " s";
const q = (v: number) => Math.round(v * 256) - 128; // the int8 value behind a cached feature
const acc = (m: Mlp, x: Float32Array, l: Uint8Array) => (100 * accuracyOf(mlpPredict(m, x), l)).toFixed(2);

// ---- baseline: linear read-out on layer 1 -------------------------------------------------------
const base = trainMlp(f.fit, y.fit, [D, 10], { epochs, learningRate: 0.1, l2: 1e-4, seed: 1 });
console.log(`layer 1 only (${D} features): dense read-out val ${acc(base, f.val, y.val)} test ${acc(base, f.test, y.test)} fit ${acc(base, f.fit, y.fit)}`, secs());

// ---- candidates over the M most used first-layer features -----------------------------------
const weight = Array.from({ length: D }, (_, j) => { let s = 0; for (let c = 0; c < 10; c++) s += base.weights[0]![c * D + j]! ** 2; return s; });
const top = Array.from({ length: D }, (_, j) => j).sort((a, b) => weight[b]! - weight[a]! || a - b).slice(0, M);
type Pair = { a: number; b: number; form: number };
const FORMS = ["and", "and-not-b", "and-not-a", "or"];
const cands: Pair[] = [];
for (let i = 0; i < M; i++) for (let j = i + 1; j < M; j++) for (let form = 0; form < 4; form++) cands.push({ a: top[i]!, b: top[j]!, form });
const pairValue = (x: Float32Array, row: number, p: Pair): number => {
  const a = q(x[row + p.a]!), b = q(x[row + p.b]!);
  switch (p.form) {
    case 0: return Math.min(a, b);
    case 1: return Math.min(a, -1 - b);
    case 2: return Math.min(-1 - a, b);
    default: return Math.max(a, b);
  }
};
// selection images: every (fit/selN)-th fit image
const stride = Math.max(1, Math.floor(y.fit.length / selN));
const sel = Array.from({ length: Math.min(selN, Math.floor(y.fit.length / stride)) }, (_, i) => i * stride);
const n = sel.length;
const X = new Int8Array(cands.length * n);
cands.forEach((p, c) => { for (let i = 0; i < n; i++) X[c * n + i] = pairValue(f.fit, sel[i]! * D, p); });
console.log(`${cands.length} second-layer candidates over the top ${M} features, ${n} selection images`, secs());

// ---- grafting -----------------------------------------------------------------------------------
const xSel = new Float32Array(n * D);
sel.forEach((r, i) => xSel.set(f.fit.subarray(r * D, (r + 1) * D), i * D));
const ySel = Uint8Array.from(sel, (r) => y.fit[r]!);
const chosen: number[] = [];
const taken = new Uint8Array(cands.length);
let model: Mlp = trainMlp(xSel, ySel, [D, 10], { epochs: 5, learningRate: 0.1, l2: 1e-4, seed: 1 });
const scores = new Float64Array(cands.length);
const withPairs = (x: Float32Array, rows: number[] | number, pairs: number[]): Float32Array => {
  const idx = typeof rows === "number" ? Array.from({ length: rows }, (_, i) => i) : rows;
  const d2 = D + pairs.length;
  const out = new Float32Array(idx.length * d2);
  idx.forEach((r, i) => {
    out.set(x.subarray(r * D, (r + 1) * D), i * d2);
    pairs.forEach((c, k) => (out[i * d2 + D + k] = (pairValue(x, r * D, cands[c]!) + 128) / 256));
  });
  return out;
};
for (let round = 0; round < rounds; round++) {
  const d2 = D + chosen.length;
  const xs = withPairs(f.fit, sel, chosen);
  const residual = new Float32Array(n * 10);
  const acts = [new Float32Array(d2), new Float32Array(10)];
  for (let i = 0; i < n; i++) {
    const W = model.weights[0]!, b = model.biases[0]!;
    let max = -Infinity;
    for (let c = 0; c < 10; c++) { let s = b[c]!; for (let j = 0; j < d2; j++) s += W[c * d2 + j]! * xs[i * d2 + j]!; acts[1]![c] = s; max = Math.max(max, s); }
    let sum = 0;
    for (let c = 0; c < 10; c++) sum += Math.exp(acts[1]![c]! - max);
    for (let c = 0; c < 10; c++) residual[i * 10 + c] = Math.exp(acts[1]![c]! - max) / sum - (ySel[i] === c ? 1 : 0);
  }
  scoreCandidates(X, n, residual, 10, 0, cands.length, scores);
  const order = Array.from({ length: cands.length }, (_, c) => c).filter((c) => !taken[c]).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const add = order.slice(0, Math.ceil(N2 / rounds));
  for (const c of add) { chosen.push(c); taken[c] = 1; }
  // warm start: old weights, zeros for the new inputs
  const dNew = D + chosen.length;
  const W = new Float32Array(10 * dNew);
  for (let c = 0; c < 10; c++) W.set(model.weights[0]!.subarray(c * d2, (c + 1) * d2), c * dNew);
  model = trainMlp(withPairs(f.fit, sel, chosen), ySel, [dNew, 10], { epochs: 3, learningRate: 0.1, l2: 1e-4, seed: 2 + round, init: { dims: [dNew, 10], weights: [W], biases: [model.biases[0]!.slice()] } });
  console.log(`round ${round + 1}: ${chosen.length} second-layer features`, secs());
}
const forms = [0, 0, 0, 0];
for (const c of chosen) forms[cands[c]!.form]!++;
console.log("forms", Object.fromEntries(FORMS.map((name, i) => [name, forms[i]])));

// ---- read-out over both layers --------------------------------------------------------------------
const nFit = y.fit.length, nVal = y.val.length, nTest = y.test.length;
const g = { fit: withPairs(f.fit, nFit, chosen), val: withPairs(f.val, nVal, chosen), test: withPairs(f.test, nTest, chosen) };
const d2 = D + chosen.length;
const full = trainMlp(g.fit, y.fit, [d2, 10], { epochs, learningRate: 0.1, l2: 1e-4, seed: 1 });
console.log(`layers 1+2 (${D} + ${chosen.length}): dense read-out val ${acc(full, g.val, y.val)} test ${acc(full, g.test, y.test)} fit ${acc(full, g.fit, y.fit)}`, secs());
const mask = rowTopK(full.weights[0]!, 10, K);
const sp = trainMlp(g.fit, y.fit, [d2, 10], { epochs, learningRate: 0.05, l2: 1e-4, seed: 2, init: full, masks: [mask] });
console.log(`layers 1+2, K=${K} terms per class: val ${acc(sp, g.val, y.val)} test ${acc(sp, g.test, y.test)}`, secs());
const used = new Set<number>();
for (let c = 0; c < 10; c++) for (let j = 0; j < d2; j++) if (mask[c * d2 + j]) used.add(j);
const used2 = [...used].filter((j) => j >= D).length;
console.log(`read: ${used.size - used2} layer-1 and ${used2} layer-2 features (layer-2 ops ${3 * used2})`);
