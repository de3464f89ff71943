import { describe, expect, it } from "vitest";
import { hiddenActivations, trainMlp, type Mlp } from "../src/train/mlp.js";
import { Rng } from "../src/util/random.js";

/** Every layer's plain dense sum over all inputs, zeros included, in input order (ReLU between). */
function denseOutputs(model: Mlp, x: Float32Array): Float32Array {
  let a = x;
  for (let l = 0; l + 1 < model.dims.length; l++) {
    const [din, dout] = [model.dims[l]!, model.dims[l + 1]!];
    const z = new Float32Array(dout);
    for (let o = 0; o < dout; o++) {
      let s = model.biases[l]![o]!;
      for (let j = 0; j < din; j++) s += model.weights[l]![o * din + j]! * a[j]!;
      z[o] = l + 2 < model.dims.length ? Math.max(s, 0) : s;
    }
    a = z;
  }
  return a;
}

describe("trainMlp / forward", () => {
  it("skips zero inputs without changing a single bit of the outputs", () => {
    const [D, H, C, N] = [96, 12, 4, 300];
    const rng = new Rng(5);
    // like strong features: about half exactly 0 (off), the rest in (0, 1)
    const x = Float32Array.from({ length: N * D }, () => (rng.next() < 0.5 ? 0 : rng.next()));
    const labels = Uint8Array.from({ length: N }, (_, i) => (x[i * D]! > 0 ? 1 : 0) + (x[i * D + 1]! > 0.5 ? 2 : 0));
    const model = trainMlp(x, labels, [D, H, C], { epochs: 2, learningRate: 0.05, l2: 1e-4, seed: 3 });
    const fast = hiddenActivations(model, x, 2);
    const plain = new Float32Array(N * C);
    for (let i = 0; i < N; i++) plain.set(denseOutputs(model, x.subarray(i * D, (i + 1) * D)), i * C);
    expect(Array.from(fast)).toEqual(Array.from(plain));
    expect(fast.some((v) => v !== 0)).toBe(true);
  });

  it("label smoothing s trains the softmax towards 1 - s + s / classes on the label, not towards 1", () => {
    // two separable classes: the optimum of cross-entropy against the smoothed target is the target
    const x = Float32Array.from({ length: 200 }, (_, k) => ((k >> 1) % 2 === 0 ? (k % 2 === 0 ? 1 : 0) : k % 2 === 0 ? 0 : 1));
    const labels = Uint8Array.from({ length: 100 }, (_, i) => i % 2);
    const labelProbability = (labelSmoothing: number) => {
      const model = trainMlp(x, labels, [2, 2], { epochs: 300, learningRate: 0.5, seed: 1, labelSmoothing });
      const z = hiddenActivations(model, x.subarray(0, 2), 1);
      return 1 / (1 + Math.exp(z[1]! - z[0]!)); // sample 0 has label 0
    };
    expect(labelProbability(0.1)).toBeCloseTo(1 - 0.1 + 0.1 / 2, 2);
    expect(labelProbability(0)).toBeGreaterThan(0.99);
  });
});
