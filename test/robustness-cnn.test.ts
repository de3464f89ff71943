/**
 * The robustness tools on CNN graphs: conv2d (per-channel, TFLite double rounding, padded reads),
 * maxpool, reshape, dense and argmax as `strongnet train --arch cnn` writes them, plus an
 * avgpool CNN built by hand. The lowering must match the reference, IBP bounds must contain every
 * sampled point of the box, and evaluateRobustness must run end to end.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMnist } from "../src/datasets/index.js";
import { encodeInt8, buildGraph, loadGraph } from "../src/ir/index.js";
import { parseModel } from "../src/format/load.js";
import { predict } from "../src/reference/interpreter.js";
import { runFlat, scoresOf } from "../src/robustness/flat.js";
import { flattenGraph } from "../src/robustness/flatten.js";
import { inputBox, propagate } from "../src/robustness/ibp.js";
import { evaluateRobustness } from "../src/robustness/evaluate.js";
import { firstMaxIndex } from "../src/kinds/argmax.js";
import { Rng } from "../src/util/random.js";

const CNN = join(import.meta.dirname, "..", "bench", "results", "strong-vs-cnn-models", "mnist_cnn.json");

function pointIn(rng: Rng, lo: Int16Array, hi: Int16Array): Int8Array {
  return Int8Array.from(lo, (l, i) => (rng.next() < 0.5 ? (rng.next() < 0.5 ? l : hi[i]!) : rng.int(l, hi[i]!)));
}

describe("robustness on CNN graphs", () => {
  it("the trained MNIST CNN lowers bit-exactly, its IBP bounds hold, and evaluateRobustness runs", () => {
    const graph = loadGraph(CNN);
    const fg = flattenGraph(graph);
    expect(fg.layers.map((l) => l.source)).toEqual(["conv2d", "maxpool", "conv2d", "maxpool", "reshape", "dense"]);
    const test = loadMnist().test;
    const rng = new Rng(3);
    for (let s = 0; s < 2; s++) {
      const x0 = test.images[s]!;
      const prop = propagate(fg, inputBox(x0, 8));
      for (let p = 0; p < 4; p++) {
        const x = pointIn(rng, prop.boxes[0]!.lo, prop.boxes[0]!.hi);
        const values = runFlat(fg, x);
        expect(firstMaxIndex(scoresOf(fg, values))).toBe(predict(graph, x)[0]);
        for (let k = 1; k < values.length; k++)
          for (let i = 0; i < values[k]!.length; i++) {
            expect(values[k]![i]!).toBeGreaterThanOrEqual(prop.boxes[k]!.lo[i]!);
            expect(values[k]![i]!).toBeLessThanOrEqual(prop.boxes[k]!.hi[i]!);
          }
      }
    }
    const r = evaluateRobustness(graph, { ...test, count: 3 }, { eps: [2, 26], samples: 3, queries: 150, seed: 1 });
    expect(r.samples).toBe(3);
    expect(r.results.map((e) => e.eps)).toEqual([2, 26]);
  }, 30_000);

  it("an avgpool CNN (conv2d -> avgpool -> dense -> argmax) lowers bit-exactly", () => {
    const rng = new Rng(5);
    const w = (k: number) => encodeInt8(Array.from({ length: k }, () => rng.int(-60, 60)));
    const requant = { multiplier: 1 << 30, shift: 37, offset: -128 };
    const graph = buildGraph(
      parseModel({
        format: "strongnet-model",
        version: 1,
        name: "avg_cnn",
        input: { shape: [6, 6, 1] },
        tables: [],
        layers: [
          { id: "conv", kind: "conv2d", input: "input", filters: 3, kernel: [3, 3], padding: [1, 1, 1, 1], padValue: -128, weights: w(27), bias: [100, -50, 0], requant },
          { id: "avg", kind: "avgpool", input: "conv", pool: [2, 2], stride: [2, 2] },
          { id: "flat", kind: "reshape", input: "avg", shape: [1, 1, 27] },
          { id: "dense", kind: "dense", input: "flat", units: 4, weights: w(108), bias: [0, 10, 20, 30], requant: { multiplier: 1 << 30, shift: 36, offset: 0 } },
          { id: "class", kind: "argmax", input: "dense" },
        ],
        output: "class",
      }),
    );
    const fg = flattenGraph(graph);
    expect(fg.layers.map((l) => l.source)).toEqual(["conv2d", "avgpool", "reshape", "dense"]);
    for (let t = 0; t < 200; t++) {
      const x = rng.int8Array(36);
      expect(firstMaxIndex(scoresOf(fg, runFlat(fg, x)))).toBe(predict(graph, x)[0]);
    }
  });
});
