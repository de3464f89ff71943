import { describe, expect, it } from "vitest";
import { hiddenActivations, initMlp, trainMlp, type Mlp } from "../src/train/mlp.js";
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

  it("dropout: one SGD step follows the gradient of the thinned network (dropped units 0, kept ones scaled)", () => {
    const [D, H, C, rate, lr] = [3, 6, 2, 0.5, 1e-3];
    const x = Float32Array.of(0.9, 0.4, 0.7);
    const label = Uint8Array.of(1);
    const init = initMlp([D, H, C], 11);
    init.biases[0]!.fill(0.5); // every hidden unit on, so that dropping is what zeroes one
    const stepped = trainMlp(x, label, [D, H, C], { epochs: 1, learningRate: lr, momentum: 0, seed: 4, init, dropout: rate });
    // the units trainMlp dropped: its dropout generator (seed ^ 0x2545f491) drawn once per hidden unit
    const rng = new Rng(4 ^ 0x2545f491);
    const keep = Array.from({ length: H }, () => (rng.next() < rate ? 0 : 1 / (1 - rate)));
    expect(keep).toContain(0);
    expect(keep).toContain(2);
    const loss = (m: Mlp) => {
      const h = Array.from({ length: H }, (_, o) => keep[o]! * Math.max(0, m.biases[0]![o]! + [0, 1, 2].reduce((s, j) => s + m.weights[0]![o * D + j]! * x[j]!, 0)));
      const z = [0, 1].map((c) => m.biases[1]![c]! + h.reduce((s, v, o) => s + m.weights[1]![c * H + o]! * v, 0));
      return Math.log(Math.exp(z[0]!) + Math.exp(z[1]!)) - z[1]!;
    };
    // the step is -lr * gradient: compare with central differences on every weight
    for (const l of [0, 1]) {
      for (let k = 0; k < init.weights[l]!.length; k++) {
        const at = (dw: number) => {
          const m: Mlp = { dims: init.dims, weights: init.weights.map((w) => Float64Array.from(w) as unknown as Float32Array), biases: init.biases };
          m.weights[l]![k]! += dw;
          return loss(m);
        };
        const numeric = (at(1e-5) - at(-1e-5)) / 2e-5;
        const step = (init.weights[l]![k]! - stepped.weights[l]![k]!) / lr;
        expect(step).toBeCloseTo(numeric, 3);
      }
    }
  });
});
