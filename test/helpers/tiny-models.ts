/**
 * Tiny hand-built int8 models for the robustness tests: small enough that every input in an
 * eps box can be enumerated, so bounds and certificates can be checked against the truth.
 */
import type { ModelFileInput } from "../../src/format/schema.js";
import { encodeInt8 } from "../../src/ir/index.js";
import { Rng } from "../../src/util/random.js";

type Spec = ModelFileInput["layers"][number];

export const IDENTITY = Array.from({ length: 256 }, (_, i) => i - 128);
/** noInk(x) = -1 - x, the demo model's second table */
export const NEGATE = Array.from({ length: 256 }, (_, i) => -1 - (i - 128));

export function tinyModel(inputSize: number, tables: number[][], layers: Spec[], name = "tiny"): ModelFileInput {
  return {
    format: "strongnet-model",
    version: 1,
    name,
    input: { shape: [1, 1, inputSize] },
    tables: tables.map((t) => encodeInt8(t)),
    layers,
    output: layers[layers.length - 1]!.id,
  };
}

/** A table of the given flavour: 0 noisy (non-monotone), 1 steep ramp (slope 3), 2 monotone step. */
export function randomTable(rng: Rng, flavour: number): number[] {
  switch (flavour % 3) {
    case 0:
      return Array.from({ length: 256 }, () => rng.int(-128, 127));
    case 1: {
      const shift = rng.int(-40, 40);
      return IDENTITY.map((x) => Math.max(-128, Math.min(127, 3 * (x - shift))));
    }
    default: {
      const t = rng.int(-100, 100);
      return IDENTITY.map((x) => (x > t ? 100 : -100));
    }
  }
}

/** A small dense int8 MLP: input [h, w, 1] -> dense hidden (ReLU-like table) -> dense classes -> argmax. */
export function denseMlp(seed: number, h: number, w: number, hidden: number, classes: number, name = `dense_${seed}`): ModelFileInput {
  const rng = new Rng(seed);
  const n = h * w;
  const relu = IDENTITY.map((x) => Math.max(0, x));
  const weights = (k: number) => encodeInt8(Array.from({ length: k }, () => Math.round(rng.normal() * 30)));
  const layers: Spec[] = [
    {
      id: "hidden",
      kind: "dense",
      input: "input",
      units: hidden,
      weights: weights(hidden * n),
      bias: Array.from({ length: hidden }, () => rng.int(-2000, 2000)),
      requant: { multiplier: 1 << 30, shift: 30 + Math.ceil(Math.log2(n * 30 * 128 / 127 / 4)), offset: 0 },
      activation: 0,
    },
    {
      id: "scores",
      kind: "dense",
      input: "hidden",
      units: classes,
      weights: weights(classes * hidden),
      bias: Array.from({ length: classes }, () => rng.int(-500, 500)),
      requant: { multiplier: 1 << 30, shift: 30 + Math.ceil(Math.log2(hidden * 30 / 4)), offset: 0 },
    },
    { id: "class", kind: "argmax", input: "scores" },
  ];
  return { format: "strongnet-model", version: 1, name, input: { shape: [h, w, 1] }, tables: [encodeInt8(relu)], layers, output: "class" };
}

/** Calls visit(x) for every integer point of the box (lo..hi per coordinate). */
export function forEachPoint(lo: ArrayLike<number>, hi: ArrayLike<number>, visit: (x: Int8Array) => void): void {
  const n = lo.length;
  const x = Int8Array.from(lo as ArrayLike<number>);
  for (;;) {
    visit(x);
    let k = 0;
    while (k < n && x[k] === hi[k]) {
      x[k] = lo[k]!;
      k++;
    }
    if (k === n) return;
    x[k]!++;
  }
}

/**
 * Strong neurons that are mostly off (-128) feeding a dense layer, as in the deep strong networks:
 * input [1, 1, inputs] -> `neurons` strong neurons, each the min of two literals through a table
 * that is -128 below a threshold (so about three in four are off on random inputs), one of them
 * through the identity -> dense `units` (random weights with all-extreme rows, per-channel
 * requantization if asked) -> dense 10 -> argmax. The first dense layer runs on the active-inputs
 * kernel (src/kinds/dense.ts, takesActiveInputs).
 */
export function strongDenseModel(seed: number, inputs: number, neurons: number, units: number, perChannel: boolean): ModelFileInput {
  const rng = new Rng(seed);
  const gate = IDENTITY.map((x) => (x > 0 ? x : -128));
  const literal = () => ({ input: rng.int(0, inputs - 1), table: rng.int(0, 1) });
  const strongNeurons = Array.from({ length: neurons }, () => ({ groups: [[{ input: rng.int(0, inputs - 1), table: 1 }, literal()]] }));
  const weights = Int8Array.from({ length: units * neurons }, (_, k) => (Math.floor(k / neurons) === 0 ? -128 : Math.floor(k / neurons) === 1 ? 127 : rng.int(-128, 127)));
  const requant = () => ({ multiplier: rng.int(2 ** 20, 2 ** 31 - 1), shift: rng.int(36, 42), offset: rng.int(-10, 10) });
  const hidden: Spec = {
    id: "hidden",
    kind: "dense",
    input: "features",
    units,
    weights: encodeInt8(weights),
    bias: Array.from({ length: units }, () => rng.int(-30000, 30000)),
    requant: requant(),
    ...(perChannel ? { perChannel: { multiplier: Array.from({ length: units }, () => requant().multiplier), shift: Array.from({ length: units }, () => requant().shift) } } : {}),
  };
  return tinyModel(
    inputs,
    [IDENTITY, gate],
    [
      { id: "features", kind: "strong", input: "input", neurons: strongNeurons },
      hidden,
      { id: "scores", kind: "dense", input: "hidden", units: 10, weights: encodeInt8(rng.int8Array(10 * units)), bias: Array.from({ length: 10 }, () => rng.int(-300, 300)), requant: { multiplier: 1 << 30, shift: 38, offset: 0 } },
      { id: "class", kind: "argmax", input: "scores" },
    ],
    `strong_dense_${seed}`,
  );
}
