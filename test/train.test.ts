/**
 * The trainers on small MNIST subsets (seconds, not minutes): the strong network and the dense
 * baseline learn (held-out accuracy far above the 10% of chance), the int8 model agrees with the
 * float model, training is deterministic for a seed and independent of the thread count, the
 * trainer's fast feature evaluation equals the reference interpreter, and `strongnet train`
 * refuses bad options with exit 2.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMnist } from "../src/datasets/index.js";
import { serializeModel, parseModel } from "../src/format/load.js";
import { buildGraph, encodeInt8 } from "../src/ir/index.js";
import { generateC } from "../src/codegen/index.js";
import { withOutputs } from "../src/ir/outputs.js";
import { predict, runLayer } from "../src/reference/interpreter.js";
import { spreadSubset, splitValidation, validationIndices } from "../src/train/common.js";
import { evaluateCandidates, flattenCandidates, fragmentTypes, generateCandidates } from "../src/train/fragments.js";
import { modelNameFor, trainModel } from "../src/train/index.js";
import { strongTables } from "../src/train/strong.js";
import { flattenGraph } from "../src/robustness/flatten.js";
import { certify } from "../src/robustness/ibp.js";
import type { FlatGraph } from "../src/robustness/flat.js";

const TINY = { train: 1500, test: 400 };

/**
 * The trained model's scores (its argmax dropped, as `compile --outputs scores` does), dequantized
 * with metadata.outputQuantization, against the float twin's logits on the same test images:
 * their correlation and the 99th percentile of |real - float| in units of the scale.
 */
function scoresAgainstFloat(r: Awaited<ReturnType<typeof trainModel>>): { scale: number; zeroPoint: number; correlation: number; p99Steps: number } {
  const oq = r.model.metadata?.outputQuantization as { scale: number; zeroPoint: number };
  expect(oq.scale).toBeGreaterThan(0);
  const test = spreadSubset(loadMnist().test, TINY.test, "limited");
  const scores = withOutputs(buildGraph(parseModel(r.model)), "scores");
  const logits = r.floatTestScores!;
  expect(logits).toHaveLength(test.count * 10);
  const real: number[] = [];
  test.images.forEach((img) => predict(scores, img).forEach((q) => real.push(oq.scale * (q - oq.zeroPoint))));
  const n = real.length;
  const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + x, 0) / n;
  const ma = mean(real);
  const mb = mean(logits);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (real[i]! - ma) * (logits[i]! - mb);
    saa += (real[i]! - ma) ** 2;
    sbb += (logits[i]! - mb) ** 2;
  }
  const steps = real.map((x, i) => Math.abs(x - logits[i]!) / oq.scale).sort((a, b) => a - b);
  return { ...oq, correlation: sab / Math.sqrt(saa * sbb), p99Steps: steps[Math.floor(n * 0.99)]! };
}
const tinyRequest = (threads: number) => ({
  dataset: "mnist",
  arch: "strong" as const,
  seed: 7,
  budgetOps: 2500,
  name: "tiny_strong",
  threads,
  limit: TINY,
  strong: { selectionImages: 800, epochs: 12 },
});
const tinyStrong = (threads: number) => trainModel(tinyRequest(threads));

describe("strong network trainer", () => {
  it("learns on a small subset, int8 matches float, deterministic for a seed and any thread count", async () => {
    const a = await tinyStrong(2);
    const m = a.metrics;
    expect(m.accuracy.int8Test).toBeGreaterThan(75); // chance is 10%
    expect(m.accuracy.int8Validation).toBeGreaterThan(70);
    expect(m.accuracy.int8FloatAgreement).toBeGreaterThan(95);
    expect(m.plan.ops.total).toBeLessThanOrEqual(2500);
    expect(m.plan.ops.macs).toBeGreaterThan(0);
    // every strong neuron keeps O(1) literals
    const graph = buildGraph(parseModel(a.model));
    const strong = graph.layers.find((l) => l.kind === "strong");
    expect(strong?.kind).toBe("strong");
    if (strong?.kind === "strong") for (const n of strong.neurons) expect(n.flat().length).toBeLessThanOrEqual(16);
    // the int8 scores, dequantized with metadata.outputQuantization, are the float logits
    const s = scoresAgainstFloat(a);
    expect(s.zeroPoint).toBe(0);
    expect(s.correlation).toBeGreaterThan(0.99);
    expect(s.p99Steps).toBeLessThan(3);
    const b = await tinyStrong(1);
    expect(serializeModel(parseModel(b.model))).toBe(serializeModel(parseModel(a.model)));
  });

  it("a hidden read-out (--readout-hidden, --augment): strong features -> dense ReLU -> dense -> argmax, int8 agreeing with float", async () => {
    const linear = await tinyStrong(2);
    const r = await trainModel({ ...tinyRequest(2), name: "tiny_strong_h", strong: { selectionImages: 800, epochs: 4, hidden: [16], augment: true } });
    expect(r.metrics.details?.augment).toBe(true);
    expect(r.model.layers.map((l) => l.kind)).toEqual(["strong", "dense", "dense", "argmax"]);
    // the grown features (the linear read-out keeps those its pruning left), a whole number of
    // 4-input words so the hidden layer takes the blocked dense kernel
    const features = (m: typeof r.model) => (m.layers[0] as { neurons: unknown[] }).neurons.length;
    const grown = Number(r.metrics.details?.grownFeatures);
    expect(grown).toBe(Number(linear.metrics.details?.grownFeatures)); // the same growth
    expect(features(r.model)).toBe(grown - (grown % 4));
    expect(features(linear.model)).toBeLessThanOrEqual(grown);
    expect(r.metrics.plan.ops.macs).toBe(features(r.model) * 16 + 16 * 10);
    expect(r.metrics.accuracy.int8Test).toBeGreaterThan(75);
    expect(r.metrics.accuracy.int8FloatAgreement).toBeGreaterThan(95);
    const s = scoresAgainstFloat(r);
    expect(s.correlation).toBeGreaterThan(0.99);
    expect(s.p99Steps).toBeLessThan(3);
  });

  it("two hidden layers (--readout-hidden 16,8): features -> dense ReLU -> dense ReLU -> dense -> argmax, int8 agreeing with float", async () => {
    const r = await trainModel({ ...tinyRequest(2), name: "tiny_strong_h2", strong: { selectionImages: 800, epochs: 4, hidden: [16, 8], augment: true } });
    expect(r.model.layers.map((l) => l.kind)).toEqual(["strong", "dense", "dense", "dense", "argmax"]);
    expect(r.model.layers.slice(1, 4).map((l) => (l as { units: number }).units)).toEqual([16, 8, 10]);
    expect(r.model.description).toContain("2 dense int8 ReLU hidden layers of 16 then 8 units");
    const features = (r.model.layers[0] as { neurons: unknown[] }).neurons.length;
    expect(r.metrics.details?.readout).toBe(`dense ${features}-16-8-10 (ReLU)`);
    expect(r.metrics.plan.ops.macs).toBe(features * 16 + 16 * 8 + 8 * 10);
    expect(r.metrics.accuracy.int8Test).toBeGreaterThan(70);
    expect(r.metrics.accuracy.int8FloatAgreement).toBeGreaterThan(90);
  });

  it("steep tables (--table-slope): literals saturate within 128/s of the threshold, so interval bounds certify where slope 1 cannot", async () => {
    // ink(x) = clamp(8 x), noInk(x) = clamp(8 (-1 - x)); table index i holds x = i - 128
    const [ink, noInk] = strongTables([0], 8);
    const at = (t: Int8Array, xs: number[]) => xs.map((x) => t[x + 128]);
    expect(at(ink!, [-128, -17, -16, -1, 0, 15, 16, 127])).toEqual([-128, -128, -128, -8, 0, 120, 127, 127]);
    expect(at(noInk!, [-128, -17, -16, -1, 0, 15, 127])).toEqual([127, 127, 120, 0, -8, -128, -128]);
    expect(at(strongTables([0])[0]!, [-1, 15, 16])).toEqual([-1, 15, 16]); // the default slope 1 is unchanged
    const flat = async (tableSlope?: number) => {
      const r = await trainModel({ ...tinyRequest(2), seed: 3, name: "tiny_steep", strong: { selectionImages: 800, ...(tableSlope ? { tableSlope } : {}) } });
      return { r, fg: flattenGraph(buildGraph(parseModel(r.model))) };
    };
    const [plain, steep] = [await flat(), await flat(8)];
    expect(steep.r.metrics.details?.tableSlope).toBe(8);
    expect(plain.r.metrics.details?.tableSlope).toBe(1);
    expect(steep.r.model.tables).toEqual(strongTables([0], 8).map(encodeInt8));
    expect(steep.r.metrics.accuracy.int8Test).toBeGreaterThan(70); // chance is 10%
    // at eps 26/255 the slope-1 literals all move by 26; the steep ones only near the threshold
    const { test } = loadMnist();
    const certified = (fg: FlatGraph) => Array.from({ length: 50 }, (_, i) => certify(fg, test.pixels.subarray(i * 784, (i + 1) * 784), 26).certified).filter(Boolean).length;
    const [c1, c8] = [certified(plain.fg), certified(steep.fg)];
    expect(c8, `certified of 50: slope 1 ${c1}, slope 8 ${c8}`).toBeGreaterThan(c1 + 10);
  });

  it("fast candidate evaluation (with early exit) equals the reference interpreter's strong layer", () => {
    const { test } = loadMnist();
    const tables = strongTables(3);
    const cands = generateCandidates(fragmentTypes(), { height: 28, width: 28, step: 4, radii: [0, 1, 2], levels: 3 });
    const set = flattenCandidates(cands);
    const n = 20;
    const out = new Int8Array(set.count * n);
    evaluateCandidates(set, tables, test.pixels, 784, n, 0, set.count, out);
    const graph = buildGraph(
      parseModel({
        format: "strongnet-model",
        version: 1,
        name: "cands",
        input: { shape: [28, 28, 1] },
        tables: tables.map(encodeInt8),
        layers: [{ id: "s", kind: "strong", input: "input", neurons: cands.map((c) => ({ groups: c.groups })) }],
        output: "s",
      }),
    );
    const expected = new Int8Array(set.count * n);
    for (let i = 0; i < n; i++) {
      const ref = runLayer(graph, graph.layers[0]!, test.images[i]!);
      for (let c = 0; c < set.count; c++) expected[c * n + i] = ref[c]!;
    }
    expect(set.count).toBeGreaterThan(1000);
    expect(Buffer.from(out.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });
});

describe("dense baseline trainer", () => {
  it("learns on a small subset and quantizes to dense int8 layers that agree with the float MLP", async () => {
    const r = await trainModel({ dataset: "mnist", arch: "dense-mlp", seed: 3, hidden: [32], name: "tiny_dense", limit: TINY, dense: { epochs: 6 } });
    const { model, metrics } = r;
    expect(model.layers.map((l) => l.kind)).toEqual(["dense", "dense", "argmax"]);
    expect(metrics.accuracy.int8Test).toBeGreaterThan(75);
    expect(metrics.accuracy.int8FloatAgreement).toBeGreaterThan(95);
    expect(metrics.plan.ops.macs).toBe(784 * 32 + 32 * 10);
    // the logits' quantization is recorded, and the header of `--outputs scores` carries it
    const s = scoresAgainstFloat(r);
    expect(s.correlation).toBeGreaterThan(0.99);
    expect(s.p99Steps).toBeLessThan(3);
    const { header } = generateC(withOutputs(buildGraph(parseModel(model)), "scores"));
    expect(header).not.toContain("records no real scale");
    expect(/#define TINY_DENSE_OUTPUT_SCALE\s+(\S+)/.exec(header)?.[1]).toBe(`${Math.fround(s.scale).toPrecision(9)}f`);
    expect(/#define TINY_DENSE_OUTPUT_ZERO_POINT\s+(\S+)/.exec(header)?.[1]).toBe("0");
  });
});

describe("validation split", () => {
  it("is a seeded, class-stratified 10% of train, the same for every call", () => {
    const { train } = loadMnist();
    const { fit, validation } = splitValidation(train);
    expect(fit.count + validation.count).toBe(train.count);
    expect(validation.count).toBe(6000);
    const perClass = new Array<number>(10).fill(0);
    for (const l of validation.labels) perClass[l]! += 1;
    // 10% of each class: 592 zeros of 5,923, 674 ones of 6,742, ...
    expect(perClass).toEqual([592, 674, 596, 613, 584, 542, 592, 627, 585, 595]);
    expect(validationIndices(train)).toEqual(validationIndices(train));
    expect(validationIndices(train).slice(0, 5)).toMatchInlineSnapshot(`
      [
        4,
        5,
        14,
        15,
        18,
      ]
    `);
  });
});

const cli = (...args: string[]) => spawnSync("node", ["bin/strongnet.js", "train", ...args], { encoding: "utf8", timeout: 120_000 });

describe("strongnet train", () => {
  it("refuses a bad --dataset, --arch, --budget-ops or --seed with exit 2 naming the option", () => {
    const out = join(mkdtempSync(join(tmpdir(), "strongnet-train-")), "m.json");
    for (const [flag, value] of [["--dataset", "cifar"], ["--arch", "resnet"], ["--budget-ops", "0"], ["--seed", "-1"], ["--seed", "1e3"]] as const) {
      const args = ["--dataset", "mnist", "-o", out, flag, value];
      const r = cli(...args);
      expect(r.status, `${flag} ${value}`).toBe(2);
      expect(r.stderr).toContain(flag);
    }
    const missing = cli("-o", out);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("--dataset");
    for (const [flag, args] of [["--readout-hidden", ["--readout-hidden", "0"]], ["--readout-hidden", ["--readout-hidden", "16,0"]], ["--readout-hidden", ["--readout-hidden", "16,,8"]], ["--readout-hidden", ["--arch", "dense-mlp", "--readout-hidden", "16"]], ["--table-slope", ["--arch", "cnn", "--table-slope", "8"]], ["--table-slope", ["--table-slope", "0"]], ["--label-smoothing", ["--readout-hidden", "8", "--label-smoothing", "0.7"]], ["--label-smoothing", ["--label-smoothing", "0.1"]], ["--label-smoothing", ["--arch", "cnn", "--label-smoothing", "0.1"]], ["--readout-learning-rate", ["--readout-hidden", "8", "--readout-learning-rate", "0"]], ["--readout-learning-rate", ["--readout-learning-rate", "0.01"]]] as const) {
      const r = cli("--dataset", "mnist", "-o", out, ...args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(flag);
    }
  });

  it("derives a C identifier from the output file name", () => {
    expect(modelNameFor("models/mnist_strong.json")).toBe("mnist_strong");
    expect(modelNameFor("out/3-fashion.json")).toBe("m_3_fashion");
  });

  it("the shipped models' sidecars name the command that built them", () => {
    for (const m of ["mnist_strong", "fashion_strong", "mnist_dense", "fashion_dense"]) {
      const sidecar = JSON.parse(readFileSync(`models/${m}.metrics.json`, "utf8")) as { command: string; trainSeconds: number };
      expect(sidecar.command).toMatch(/^strongnet train --dataset /);
      expect(sidecar.trainSeconds).toBeLessThan(15 * 60);
    }
  });
});
