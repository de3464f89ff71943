import { describe, expect, it } from "vitest";
import { quantizeLinear, quantizeSymmetric, tableFromFunction, tableSlope, toSummatorNeurons } from "../src/quantize/index.js";
import { requantize } from "../src/reference/requant.js";
import { contourTemplates } from "../src/train/contours.js";
import { linearAccuracy, topKMask, trainSoftmax } from "../src/train/softmax.js";
import { Rng } from "../src/util/random.js";

describe("quantize", () => {
  it("symmetric int8 quantization maps max|v| to 127", () => {
    const { q, scale } = quantizeSymmetric([0.5, -1, 0.25, 0]);
    expect(Array.from(q)).toEqual([64, -127, 32, 0]);
    expect(scale).toBeCloseTo(1 / 127);
  });

  it("quantized linear layer + requantization tracks the float layer", () => {
    const rng = new Rng(7);
    const units = 4;
    const inputs = 50;
    const w = Array.from({ length: units * inputs }, () => rng.normal() * 0.1);
    const b = Array.from({ length: units }, () => rng.normal());
    const sx = 1 / 128;
    const sy = 0.05;
    const q = quantizeLinear(w, b, sx, sy);
    for (let trial = 0; trial < 100; trial++) {
      const x = rng.int8Array(inputs);
      for (let u = 0; u < units; u++) {
        let real = b[u]!;
        let acc = q.bias[u]!;
        for (let j = 0; j < inputs; j++) {
          real += w[u * inputs + j]! * x[j]! * sx;
          acc += q.weights[u * inputs + j]! * x[j]!;
        }
        const expected = Math.max(-128, Math.min(127, Math.round(real / sy)));
        expect(Math.abs(requantize(acc, q.requant) - expected)).toBeLessThanOrEqual(2);
      }
    }
    const neurons = toSummatorNeurons(q, inputs);
    expect(neurons).toHaveLength(units);
    expect(neurons[0]!.terms.every((t) => t.weight !== 0)).toBe(true);
  });

  it("tables sample, round and saturate a float function", () => {
    const id = tableFromFunction((x) => x);
    expect(id[0]).toBe(-128);
    expect(id[255]).toBe(127);
    expect(tableSlope(id)).toBe(1);
    const steep = tableFromFunction((x) => 4 * x);
    expect(steep[128 + 100]).toBe(127);
    expect(tableSlope(steep)).toBe(4);
  });
});

describe("softmax regression", () => {
  it("learns a separable toy problem deterministically, and topKMask keeps k per class", () => {
    const rng = new Rng(1);
    const n = 300;
    const dim = 6;
    const x = new Float32Array(n * dim);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 3;
      for (let j = 0; j < dim; j++) x[i * dim + j] = rng.normal() * 0.3 + (j === y[i] ? 1 : 0);
    }
    const opts = { epochs: 10, learningRate: 0.1, seed: 3 };
    const m = trainSoftmax(x, y, 3, opts);
    expect(linearAccuracy(m, x, y)).toBeGreaterThan(0.95);
    expect(Array.from(trainSoftmax(x, y, 3, opts).weights)).toEqual(Array.from(m.weights));
    const mask = topKMask(m, 2);
    for (let c = 0; c < 3; c++) expect(mask.subarray(c * dim, (c + 1) * dim).reduce((a, b) => a + b, 0)).toBe(2);
    const sparse = trainSoftmax(x, y, 3, { ...opts, mask, init: m });
    sparse.weights.forEach((w, i) => {
      if (!mask[i]) expect(w).toBe(0);
    });
  });
});

describe("contour templates", () => {
  it("are 16 in-window templates within the literal bound", () => {
    const t = contourTemplates({ ink: 0, noInk: 1 });
    expect(t).toHaveLength(16);
    for (const tpl of t) {
      expect(tpl.groups.flat().length).toBeLessThanOrEqual(16);
      for (const l of tpl.groups.flat()) {
        expect(l.dy).toBeGreaterThanOrEqual(0);
        expect(l.dy).toBeLessThan(3);
        expect(l.dx).toBeGreaterThanOrEqual(0);
        expect(l.dx).toBeLessThan(3);
      }
    }
  });
});
