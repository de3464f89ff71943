/**
 * Experiment helper (docs/training.md, "Fashion-MNIST: what else we tried"): grows the strong
 * features once and caches them (float, per split) in build/exp/, so read-outs can be compared
 * on them quickly with scripts/experiments/readout.ts.
 *
 *   [ROUNDS=12] [SEL=8000] [SEED=1] [STEP=2] [RADII=1,2] [COST=1] npx tsx scripts/experiments/grow-features.ts DATASET BUDGET [SHARE] [THRESHOLDS] [SCALES]
 *   e.g. npx tsx scripts/experiments/grow-features.ts fashion-mnist 12000 0.8 -96,0 1
 *
 * Prints the tag of the cache (DATASET-BUDGET-SHARE-THRESHOLDS-SCALES-rROUNDS[SEL]).
 */
import { mkdirSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { loadDataset } from "../../src/datasets/index.js";
import { growFeatures } from "../../src/train/strong.js";
import { Pool } from "../../src/train/parallel.js";
const [ds, budget, share, thr, sc] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4] ?? 0.8), process.argv[5] ?? "0", process.argv[6] ?? "1"];
const thresholds = thr.split(",").map(Number), scales = sc.split(",").map(Number);
const t0 = Date.now();
mkdirSync("build/exp", { recursive: true });
const splits = loadDataset(ds as any);
const pool = new Pool(2);
const g = await growFeatures(splits, { name: "x", datasetLabel: ds, seed: Number(process.env.SEED ?? 1), budgetOps: budget, featureShare: share, thresholds, scales, rounds: Number(process.env.ROUNDS ?? 12), selectionImages: Number(process.env.SEL ?? 8000),
  step: Number(process.env.STEP ?? 2), radii: (process.env.RADII ?? "1,2").split(",").map(Number), costAware: process.env.COST === "1" }, pool);
await pool.close();
const tag = `${ds}-${budget}-${share}-${thr}-${sc}-r${process.env.ROUNDS ?? 12}${process.env.SEL ?? ""}${process.env.SEED ? `s${process.env.SEED}` : ""}${process.env.STEP ? `st${process.env.STEP}` : ""}${process.env.RADII ? `R${process.env.RADII}` : ""}${process.env.COST === "1" ? "c" : ""}`;
const ops = g.neurons.map((c) => 2 * c.groups.reduce((s, gg) => s + gg.length, 0) - 1);
writeFileSync(`build/exp/${tag}.meta.json`, JSON.stringify({ d: g.neurons.length, ops, nFit: g.fit.count, nVal: g.validation.count, nTest: splits.test.count, spent: g.spent, neurons: g.neurons }));
writeFileSync(`build/exp/${tag}.fit.bin`, Buffer.from(g.fFit.buffer));
writeFileSync(`build/exp/${tag}.val.bin`, Buffer.from(g.fVal.buffer));
writeFileSync(`build/exp/${tag}.test.bin`, Buffer.from(g.fTest.buffer));
writeFileSync(`build/exp/${tag}.labels.json`, JSON.stringify({ fit: Array.from(g.fit.labels), val: Array.from(g.validation.labels), test: Array.from(splits.test.labels) }));
console.log(tag, "features", g.neurons.length, "spent", g.spent, "s", (Date.now() - t0) / 1000);
