import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadMnist } from "../src/datasets/index.js";
import { loadModelFile } from "../src/format/load.js";
import { buildGraph, shapeSize } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";

const MODEL = "models/mnist_demo.json";
const metrics = JSON.parse(readFileSync("models/mnist_demo.metrics.json", "utf8")) as {
  int8TestAccuracy: number;
  testSize: number;
  int8TestSubset: { images: number; accuracy: number };
};

describe("bundled demo model models/mnist_demo.json", () => {
  const graph = buildGraph(loadModelFile(MODEL));

  it("validates and has the documented architecture", () => {
    expect(graph.layers.map((l) => l.kind)).toEqual(["strong_conv", "maxpool", "summator", "argmax"]);
    expect(graph.inputShape).toEqual([28, 28, 1]);
    expect(graph.outputShape).toEqual([1, 1, 1]);
    // small enough for a 16K-RAM part: largest tensor + its input well under 12 KB
    for (const l of graph.layers) expect(shapeSize(l.inputShape) + shapeSize(l.outputShape)).toBeLessThan(6 * 1024);
    for (const l of graph.layers) {
      if (l.kind === "strong_conv") for (const t of l.templates) expect(t.flat().length).toBeLessThanOrEqual(graph.maxLiterals);
    }
  });

  it("reproduces the sidecar's accuracy on the first test images, far above chance", () => {
    const { test } = loadMnist();
    const n = metrics.int8TestSubset.images;
    let correct = 0;
    for (let i = 0; i < n; i++) if (predict(graph, test.images[i]!)[0] === test.labels[i]) correct++;
    const accuracy = (100 * correct) / n;
    // the sidecar was measured on the official MNIST test split (10,000 images; issue 12) with
    // the same reference interpreter, so the figure is reproduced exactly
    expect(metrics.testSize).toBe(test.count);
    expect(accuracy).toBeCloseTo(metrics.int8TestSubset.accuracy, 6);
    expect(accuracy).toBeGreaterThan(90);
    expect(metrics.int8TestAccuracy).toBeGreaterThan(90);
  });
});
