/**
 * The float read-out trainer (src/train/mlp.ts) against an earlier version of itself: seconds to
 * train and to predict, as ratios, and whether the two give bit-identical weights and outputs.
 * Writes bench/results/mlp-train-speed.{md,json}.
 *
 *   npx tsx bench/mlp-train-speed.ts [--base REV] [--hidden 96] [--samples 6000] [--epochs 2]
 *
 * The earlier version is `git show REV:src/train/mlp.ts` (default 3f31e2d, before the input-major
 * layout), written with its one import to a temporary folder and loaded beside the current one.
 * The data imitate strong features: 1,160 inputs, 52% exactly 0 (off), the rest uniform in (0, 1);
 * random labels over 10 classes. Each version runs twice, alternating, and the faster run counts.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as current from "../src/train/mlp.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { Rng } from "../src/util/random.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    base: { type: "string", default: "3f31e2d" },
    hidden: { type: "string", default: "96" },
    samples: { type: "string", default: "6000" },
    epochs: { type: "string", default: "2" },
  },
});
const [D, C, H, N, EPOCHS] = [1160, 10, Number(values.hidden), Number(values.samples), Number(values.epochs)];

type Trainer = Pick<typeof current, "trainMlp" | "mlpPredict">;

/** The base revision's trainer, loaded from a temporary copy of its sources. */
async function baseTrainer(rev: string): Promise<Trainer> {
  const dir = mkdtempSync(join(tmpdir(), "mlp-base-"));
  for (const file of ["train/mlp.ts", "util/random.ts"]) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    writeFileSync(join(dir, file), execFileSync("git", ["show", `${rev}:src/${file}`], { cwd: ROOT }));
  }
  const module = (await import(pathToFileURL(join(dir, "train", "mlp.ts")).href)) as Trainer;
  rmSync(dir, { recursive: true });
  return module;
}

const rng = new Rng(7);
const x = Float32Array.from({ length: N * D }, () => (rng.next() < 0.52 ? 0 : rng.next()));
const labels = Uint8Array.from({ length: N }, () => Math.floor(rng.next() * C));

function run(t: Trainer) {
  let start = performance.now();
  const model = t.trainMlp(x, labels, [D, H, C], { epochs: EPOCHS, learningRate: 0.05, l2: 1e-4, seed: 1, labelSmoothing: 0.1 });
  const trainSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const predicted = t.mlpPredict(model, x);
  const predictSeconds = (performance.now() - start) / 1000;
  const hash = createHash("sha256");
  for (const a of [...model.weights, ...model.biases, predicted]) hash.update(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  return { trainSeconds, predictSeconds, hash: hash.digest("hex").slice(0, 16) };
}

const base = await baseTrainer(values.base!);
const runs = { base: [run(base)], current: [run(current)] };
runs.base.push(run(base));
runs.current.push(run(current));
const best = (rs: ReturnType<typeof run>[]) => ({
  trainSeconds: Math.min(...rs.map((r) => r.trainSeconds)),
  predictSeconds: Math.min(...rs.map((r) => r.predictSeconds)),
  hash: rs[0]!.hash,
});
const [b, c] = [best(runs.base), best(runs.current)];
const result = {
  base: values.base,
  setup: { inputs: D, hidden: H, classes: C, samples: N, epochs: EPOCHS, zeroFraction: 0.52 },
  baseSeconds: b,
  currentSeconds: c,
  trainSpeedup: +(b.trainSeconds / c.trainSeconds).toFixed(2),
  predictSpeedup: +(b.predictSeconds / c.predictSeconds).toFixed(2),
  bitIdentical: b.hash === c.hash,
};
const md = `# trainMlp: current against ${values.base}

Written by \`npx tsx bench/mlp-train-speed.ts\`. ${N.toLocaleString("en-US")} samples of ${D} inputs (52% exactly 0, like strong features), ${D}-${H}-${C}, ${EPOCHS} epochs, label smoothing 0.1; the faster of two alternating runs each. Seconds depend on the machine and its load; the ratios and the hashes are the result.

| | ${values.base} | current | speed-up |
| --- | ---: | ---: | ---: |
| train | ${b.trainSeconds.toFixed(2)} s | ${c.trainSeconds.toFixed(2)} s | ${result.trainSpeedup}x |
| predict | ${b.predictSeconds.toFixed(2)} s | ${c.predictSeconds.toFixed(2)} s | ${result.predictSpeedup}x |

Weights, biases and predictions: ${result.bitIdentical ? "bit-identical" : "**different**"} (sha-256 ${b.hash} / ${c.hash}).
`;
writeFileAtomic(join(ROOT, "bench", "results", "mlp-train-speed.json"), JSON.stringify(result, null, 2) + "\n");
writeFileAtomic(join(ROOT, "bench", "results", "mlp-train-speed.md"), md);
console.log(md);
if (!result.bitIdentical) process.exitCode = 1;
