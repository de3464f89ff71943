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
import { runLayer } from "../src/reference/interpreter.js";
import { splitValidation, validationIndices } from "../src/train/common.js";
import { evaluateCandidates, flattenCandidates, fragmentTypes, generateCandidates } from "../src/train/fragments.js";
import { modelNameFor, trainModel } from "../src/train/index.js";
import { strongTables } from "../src/train/strong.js";

const TINY = { train: 1500, test: 400 };
const tinyStrong = (threads: number) =>
  trainModel({
    dataset: "mnist",
    arch: "strong",
    seed: 7,
    budgetOps: 2500,
    name: "tiny_strong",
    threads,
    limit: TINY,
    strong: { selectionImages: 800, epochs: 12 },
  });

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
    const b = await tinyStrong(1);
    expect(serializeModel(parseModel(b.model))).toBe(serializeModel(parseModel(a.model)));
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
    const { model, metrics } = await trainModel({ dataset: "mnist", arch: "dense-mlp", seed: 3, hidden: [32], name: "tiny_dense", limit: TINY, dense: { epochs: 6 } });
    expect(model.layers.map((l) => l.kind)).toEqual(["dense", "dense", "argmax"]);
    expect(metrics.accuracy.int8Test).toBeGreaterThan(75);
    expect(metrics.accuracy.int8FloatAgreement).toBeGreaterThan(95);
    expect(metrics.plan.ops.macs).toBe(784 * 32 + 32 * 10);
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
    for (const [flag, value] of [["--dataset", "cifar"], ["--arch", "resnet"], ["--budget-ops", "0"], ["--seed", "-1"]] as const) {
      const args = ["--dataset", "mnist", "-o", out, flag, value];
      const r = cli(...args);
      expect(r.status, `${flag} ${value}`).toBe(2);
      expect(r.stderr).toContain(flag);
    }
    const missing = cli("-o", out);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("--dataset");
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
