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
});
