import { describe, expect, it } from "vitest";
import { loadMnist } from "../src/datasets/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph, loadGraph } from "../src/ir/index.js";
import { runTrace } from "../src/reference/interpreter.js";
import { requantize } from "../src/reference/requant.js";
import { runFlat, scoresOf, type FlatGraph } from "../src/robustness/flat.js";
import { flattenGraph } from "../src/robustness/flatten.js";
import { certifiedClass, certify, inputBox, propagate } from "../src/robustness/ibp.js";
import { IncrementalNet } from "../src/robustness/incremental.js";
import { Rng } from "../src/util/random.js";
import { randomModel } from "./helpers/random-model.js";
import { forEachPoint, IDENTITY, NEGATE, randomTable, tinyModel } from "./helpers/tiny-models.js";
import { firstMaxIndex } from "../src/kinds/argmax.js";

const flat = (m: Parameters<typeof parseModel>[0]) => flattenGraph(buildGraph(parseModel(m)));

/** A random point of the box: each coordinate a corner or uniform inside, at random. */
function randomPoint(rng: Rng, lo: Int16Array, hi: Int16Array): Int8Array {
  const x = new Int8Array(lo.length);
  const mode = rng.int(0, 2);
  for (let i = 0; i < lo.length; i++) {
    const pick = mode === 2 ? rng.int(0, 2) : mode;
    x[i] = pick === 0 ? (rng.next() < 0.5 ? lo[i]! : hi[i]!) : rng.int(lo[i]!, hi[i]!);
  }
  return x;
}

/** Every layer's value at x lies within its interval; returns the first violation or null. */
function violation(fg: FlatGraph, boxes: { lo: Int16Array; hi: Int16Array }[], x: Int8Array): string | null {
  const values = runFlat(fg, x);
  for (let k = 1; k < values.length; k++) {
    const v = values[k]!;
    for (let i = 0; i < v.length; i++) {
      if (v[i]! < boxes[k]!.lo[i]! || v[i]! > boxes[k]!.hi[i]!) {
        return `layer ${fg.layers[k - 1]!.id}[${i}] = ${v[i]} outside [${boxes[k]!.lo[i]}, ${boxes[k]!.hi[i]}]`;
      }
    }
  }
  return null;
}

/** IBP bounds of a single-layer model next to the true min/max over every input of the box. */
function boundsAndTruth(fg: FlatGraph, box: { lo: Int16Array; hi: Int16Array }): [number[][], number[][]] {
  const out = propagate(fg, box).boxes[1]!;
  const lo = new Array<number>(out.lo.length).fill(127);
  const hi = new Array<number>(out.lo.length).fill(-128);
  forEachPoint(box.lo, box.hi, (x) =>
    runFlat(fg, x)[1]!.forEach((v, n) => {
      lo[n] = Math.min(lo[n]!, v);
      hi[n] = Math.max(hi[n]!, v);
    }),
  );
  return [[Array.from(out.lo), Array.from(out.hi)], [lo, hi]];
}

describe("lowered graph (src/robustness/flat.ts) matches the reference interpreter", () => {
  it("layer by layer on random models with every layer kind, and incrementally after random edits", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const graph = buildGraph(parseModel(randomModel(seed)));
      const fg = flattenGraph(graph);
      const rng = new Rng(seed);
      for (let v = 0; v < 3; v++) {
        const x = rng.int8Array(fg.inputSize);
        const trace = runTrace(graph, x);
        const values = runFlat(fg, x);
        fg.layers.forEach((l, k) => expect(Array.from(values[k + 1]!), `seed ${seed} layer ${l.id}`).toEqual(Array.from(trace.outputs.get(l.id)!)));
        // every layer but a final argmax is lowered; the argmax is the decision on the scores
        expect(fg.layers.map((l) => l.id)).toEqual(graph.layers.filter((l) => l.kind !== "argmax").map((l) => l.id));
        if (fg.endsInArgmax) expect(firstMaxIndex(scoresOf(fg, values)), `seed ${seed} decision`).toBe(trace.output[0]);
      }
      const net = new IncrementalNet(fg, rng.int8Array(fg.inputSize));
      for (let t = 0; t < 40; t++) {
        const idx = [...new Set(Array.from({ length: rng.int(1, 6) }, () => rng.int(0, fg.inputSize - 1)))];
        net.set(idx, idx.map(() => rng.int(-128, 127)));
        const full = runFlat(fg, net.input);
        full.forEach((v, k) => expect(Array.from(net.values[k]!), `seed ${seed} edit ${t} layer ${k}`).toEqual(Array.from(v)));
      }
    }
  });
});

describe("requantization is monotone non-decreasing in the accumulator (the certifier relies on it)", () => {
  it("holds for random and extreme multipliers, shifts and offsets, across saturation", () => {
    const rng = new Rng(7);
    for (let t = 0; t < 300; t++) {
      const rq = { multiplier: rng.pick([1, rng.int(1, 1000), rng.int(2 ** 20, 2 ** 31 - 1), 2 ** 31 - 1]), shift: rng.int(0, 62), offset: rng.int(-128, 127) };
      let acc = rng.int(-(2 ** 31), 2 ** 31 - 1);
      let prev = requantize(acc, rq);
      for (let s = 0; s < 50; s++) {
        acc = Math.min(2 ** 31 - 1, acc + rng.pick([1, rng.int(1, 100), rng.int(1, 2 ** 24)]));
        const y = requantize(acc, rq);
        expect(y).toBeGreaterThanOrEqual(prev);
        prev = y;
      }
    }
  });
});

describe("IBP is exact on single layers (bounds equal the true min/max over every input in the box)", () => {
  it("hand-computed: a literal pair on one input, and two groups sharing an input", () => {
    // y0 = min(x0, -1 - x0), y1 = max(x0, -1 - x0) with x0 in [-5, 5]
    const fg = flat(
      tinyModel(1, [IDENTITY, NEGATE], [
        {
          id: "s",
          kind: "strong",
          input: "input",
          neurons: [{ groups: [[{ input: 0, table: 0 }, { input: 0, table: 1 }]] }, { groups: [[{ input: 0, table: 0 }], [{ input: 0, table: 1 }]] }],
        },
      ]),
    );
    const box = propagate(fg, inputBox([0], 5)).boxes[1]!;
    // min(x, -1-x): largest -1 at x in {-1, 0}, smallest -6 at x = 5 (plain IBP would give an upper bound of 4)
    expect([box.lo[0], box.hi[0]]).toEqual([-6, -1]);
    // max(x, -1-x): smallest 0 at x in {-1, 0} (plain IBP would give -5), largest 5 at x = 5
    expect([box.lo[1], box.hi[1]]).toEqual([0, 5]);
  });

  it("random strong neurons over 3 inputs with non-monotone tables, shared and repeated inputs", () => {
    const rng = new Rng(11);
    for (let t = 0; t < 60; t++) {
      const tables = Array.from({ length: 4 }, (_, i) => randomTable(rng, i));
      const neurons = Array.from({ length: 4 }, () => ({
        groups: Array.from({ length: rng.int(1, 3) }, () => Array.from({ length: rng.int(1, 3) }, () => ({ input: rng.int(0, 2), table: rng.int(0, 3) }))),
      }));
      const fg = flat(tinyModel(3, tables, [{ id: "s", kind: "strong", input: "input", neurons }]));
      const x0 = rng.int8Array(3);
      const [bounds, truth] = boundsAndTruth(fg, inputBox(x0, rng.int(0, 6)));
      expect(bounds, `case ${t}`).toEqual(truth);
    }
  });

  it("random summator (repeated inputs), dense, conv2d with padding, lut, maxpool", () => {
    const rng = new Rng(12);
    for (let t = 0; t < 40; t++) {
      const requant = { multiplier: rng.int(1, 2 ** 31 - 1), shift: rng.int(20, 40), offset: rng.int(-30, 30) };
      const monotone = IDENTITY.map((x) => Math.max(-50, Math.min(60, 2 * x)));
      const w = Array.from({ length: 12 }, () => rng.int(-128, 127));
      const tables = [randomTable(rng, 0), monotone];
      const layersList = [
        { id: "a", kind: "summator" as const, input: "input", requant, activation: rng.next() < 0.5 ? 1 : undefined, neurons: [0, 1, 2].map(() => ({ bias: rng.int(-9999, 9999), terms: [0, 1, 2, 3].map(() => ({ input: rng.int(0, 2), weight: rng.int(-128, 127) })) })) },
        { id: "a", kind: "dense" as const, input: "input", units: 4, weights: Buffer.from(Int8Array.from(w).buffer).toString("base64"), bias: [1, -2, 3, 4].map((b) => b * rng.int(0, 5000)), requant },
        { id: "a", kind: "lut" as const, input: "input", table: 0 },
      ];
      for (const layer of layersList) {
        const fg = flat(tinyModel(3, tables, [layer]));
        const x0 = rng.int8Array(3);
        const [bounds, truth] = boundsAndTruth(fg, inputBox(x0, rng.int(0, 6)));
        expect(bounds, `case ${t} ${layer.kind}`).toEqual(truth);
      }
      // conv2d 3x3 over a 2x2x1 image with padding, and maxpool 2x2 with stride 1 over 2x3
      for (const [shape, layer] of [
        [[2, 2, 1], { id: "a", kind: "conv2d", input: "input", filters: 2, kernel: [3, 3], padding: [1, 1, 1, 1], padValue: rng.int(-128, 127), weights: Buffer.from(Int8Array.from({ length: 18 }, () => rng.int(-128, 127)).buffer).toString("base64"), bias: [rng.int(-999, 999), 0], requant }],
        [[2, 3, 1], { id: "a", kind: "maxpool", input: "input", pool: [2, 2], stride: [1, 1] }],
      ] as const) {
        const m = tinyModel(1, tables, [layer as never]);
        m.input.shape = [...shape];
        const fg = flat(m);
        const x0 = rng.int8Array(fg.inputSize);
        const [bounds, truth] = boundsAndTruth(fg, inputBox(x0, rng.int(0, 3)));
        expect(bounds, `case ${t} ${layer.kind}`).toEqual(truth);
      }
    }
  });

  it("certification is exact when the class scores are independent (lut -> argmax)", () => {
    const rng = new Rng(13);
    let certifiedCount = 0;
    for (let t = 0; t < 150; t++) {
      const fg = flat(tinyModel(3, [randomTable(rng, t)], [{ id: "t", kind: "lut", input: "input", table: 0 }, { id: "c", kind: "argmax", input: "t" }]));
      const x0 = rng.int8Array(3);
      const eps = rng.int(0, 4);
      const cert = certify(fg, x0, eps);
      let constant = true;
      const box = inputBox(x0, eps);
      forEachPoint(box.lo, box.hi, (x) => {
        if (firstMaxIndex(scoresOf(fg, runFlat(fg, x))) !== cert.predicted) constant = false;
      });
      expect(cert.certified, `case ${t}`).toBe(constant);
      if (cert.certified) certifiedCount++;
    }
    expect(certifiedCount).toBeGreaterThan(10);
    expect(certifiedCount).toBeLessThan(150);
  });

  it("is sound but not exact across layers (the box forgets that two neurons read the same input)", () => {
    // a = x0, b = x0 (two neurons), then d = a - b, always 0 (and a copy of a, so there are 2 scores)
    const fg = flat(
      tinyModel(1, [], [
        { id: "ab", kind: "summator", input: "input", requant: { multiplier: 1, shift: 0 }, neurons: [{ bias: 0, terms: [{ input: 0, weight: 1 }] }, { bias: 0, terms: [{ input: 0, weight: 1 }] }] },
        { id: "d", kind: "summator", input: "ab", requant: { multiplier: 1, shift: 0 }, neurons: [{ bias: 0, terms: [{ input: 0, weight: 1 }, { input: 1, weight: -1 }] }, { bias: 0, terms: [{ input: 0, weight: 1 }] }] },
      ]),
    );
    const box = propagate(fg, inputBox([0], 3)).boxes[2]!;
    expect([box.lo[0], box.hi[0]]).toEqual([-6, 6]);
  });
});

describe("IBP is sound: random points inside the eps box stay inside every layer's bounds", () => {
  it("on random models with every layer kind", () => {
    const rng = new Rng(21);
    for (let seed = 1; seed <= 30; seed++) {
      const fg = flattenGraph(buildGraph(parseModel(randomModel(seed))));
      for (const eps of [1, 3, 10, 40]) {
        const x0 = rng.int8Array(fg.inputSize);
        const prop = propagate(fg, inputBox(x0, eps));
        const predicted = firstMaxIndex(scoresOf(fg, runFlat(fg, x0)));
        const certified = certifiedClass(fg, prop, predicted);
        for (let p = 0; p < 60; p++) {
          const x = randomPoint(rng, prop.boxes[0]!.lo, prop.boxes[0]!.hi);
          const bad = violation(fg, prop.boxes, x);
          expect(bad, `seed ${seed} eps ${eps}`).toBeNull();
          if (certified) expect(firstMaxIndex(scoresOf(fg, runFlat(fg, x)))).toBe(predicted);
        }
      }
    }
  });

  it("certificates over linear score layers hold for every input of the box (margin rule, ties, saturation)", () => {
    const rng = new Rng(22);
    let certifiedCount = 0;
    for (let t = 0; t < 400; t++) {
      // 2 inputs -> 3 or 4 class scores sharing inputs -> argmax; small shifts and big offsets so scores tie and saturate
      const classes = rng.int(2, 4);
      const requant = { multiplier: rng.pick([1, rng.int(1, 7), rng.int(2 ** 29, 2 ** 31 - 1)]), shift: rng.int(0, 34), offset: rng.pick([0, rng.int(-128, 127)]) };
      const neurons = Array.from({ length: classes }, () => ({
        bias: rng.int(-300, 300),
        terms: Array.from({ length: rng.int(1, 3) }, () => ({ input: rng.int(0, 1), weight: rng.int(-4, 4) })),
      }));
      const fg = flat(tinyModel(2, [], [{ id: "s", kind: "summator", input: "input", requant, neurons }, { id: "c", kind: "argmax", input: "s" }]));
      const x0 = rng.int8Array(2);
      const eps = rng.int(0, 12);
      const cert = certify(fg, x0, eps);
      const box = inputBox(x0, eps);
      let constant = true;
      forEachPoint(box.lo, box.hi, (x) => {
        if (firstMaxIndex(scoresOf(fg, runFlat(fg, x))) !== cert.predicted) constant = false;
      });
      if (cert.certified) {
        certifiedCount++;
        expect(constant, `case ${t}: certified but the prediction changes`).toBe(true);
      }
    }
    expect(certifiedCount).toBeGreaterThan(50);
  });

  it.each(["mnist_demo", "mnist_strong", "mnist_dense"])("on the shipped model %s with a few test images", (name) => {
    const fg = flattenGraph(loadGraph(`models/${name}.json`));
    const { test } = loadMnist();
    const rng = new Rng(23);
    let certified = 0;
    for (let s = 0; s < 3; s++) {
      for (const eps of [4, 8, 16]) {
        const cert = certify(fg, test.images[s]!, eps);
        if (cert.certified) certified++;
        for (let p = 0; p < 40; p++) {
          const x = randomPoint(rng, cert.propagation.boxes[0]!.lo, cert.propagation.boxes[0]!.hi);
          expect(violation(fg, cert.propagation.boxes, x), `sample ${s} eps ${eps}`).toBeNull();
          if (cert.certified) expect(firstMaxIndex(scoresOf(fg, runFlat(fg, x)))).toBe(cert.predicted);
        }
      }
    }
    expect(certified).toBeGreaterThan(0);
  });

  it("eps 0 certifies every prediction, and certification only shrinks as eps grows", () => {
    const fg = flattenGraph(loadGraph("models/mnist_demo.json"));
    const { test } = loadMnist();
    for (let s = 0; s < 10; s++) {
      const flags = [0, 2, 4, 8, 16, 32].map((eps) => certify(fg, test.images[s]!, eps).certified);
      expect(flags[0]).toBe(true);
      for (let k = 1; k < flags.length; k++) if (flags[k]) expect(flags[k - 1]).toBe(true);
    }
  });
});
