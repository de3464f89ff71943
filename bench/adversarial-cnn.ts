/**
 * The adversarially trained CNNs of bench/strong-vs-cnn.ts: the same conv-pool-conv-pool-dense CNN
 * as `strongnet train --arch cnn`, trained with `--adversarial pgd` (Madry PGD examples instead
 * of clean images), written to bench/results/strong-vs-cnn-models/<data>_cnn_pgd.json.
 *
 *   npx tsx bench/adversarial-cnn.ts mnist|fashion-mnist
 *
 * Budget: PGD multiplies the cost of a training step by about 1 + 0.7 K (K PGD steps; a step
 * needs no weight gradients), and the clean CNNs already took 1,669 s for 3 epochs on this
 * 2-core machine, so these are trained for 1 epoch on a seeded, class-spread subset of the
 * training images with K = 2 (step 1.25 eps, random start, radius ramped over the first 20% of
 * SGD steps). MNIST is trained at the larger robustness radius, 77/255; Fashion-MNIST at 8/255.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { DatasetName } from "../src/datasets/index.js";
import { trainModel, writeTrained } from "../src/train/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const MODELS = join(ROOT, "bench", "results", "strong-vs-cnn-models");

export const ADVERSARIAL: Record<DatasetName, { eps: number; steps: number; epochs: number; trainImages: number }> = {
  mnist: { eps: 77, steps: 2, epochs: 1, trainImages: 25000 },
  "fashion-mnist": { eps: 8, steps: 2, epochs: 1, trainImages: 25000 },
};

export const adversarialPath = (dataset: DatasetName): string => join(MODELS, `${dataset.replace("-", "_")}_cnn_pgd.json`);

export async function trainAdversarialCnn(dataset: DatasetName): Promise<string> {
  const a = ADVERSARIAL[dataset];
  const name = `${dataset.replace("-", "_")}_cnn_pgd`;
  const out = adversarialPath(dataset);
  const t0 = performance.now();
  const { model, metrics } = await trainModel({
    dataset,
    arch: "cnn",
    seed: 1,
    name,
    limit: { train: a.trainImages },
    cnn: { epochs: a.epochs, adversarial: { method: "pgd", eps: a.eps, steps: a.steps } },
    command:
      `npx tsx bench/adversarial-cnn.ts ${dataset} (= strongnet train --dataset ${dataset} --arch cnn --adversarial pgd --pgd-eps ${a.eps} --pgd-steps ${a.steps} ` +
      `--epochs ${a.epochs} --seed 1, on a seeded spread subset of ${a.trainImages} training images)`,
  });
  writeTrained(out, model, metrics);
  process.stderr.write(`${name}: int8 test ${metrics.accuracy.int8Test}% in ${Math.round((performance.now() - t0) / 1000)} s -> ${out}\n`);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await trainAdversarialCnn(process.argv[2] as DatasetName);
}
