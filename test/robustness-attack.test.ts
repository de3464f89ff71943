import { describe, expect, it } from "vitest";
import { loadMnist, makeDataset, takeFirst } from "../src/datasets/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph, loadGraph, shapeSize, type Graph } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";
import { attack, margin8 } from "../src/robustness/attack.js";
import { evaluateRobustness, type ModelRobustness } from "../src/robustness/evaluate.js";
import { runFlat, scoresOf } from "../src/robustness/flat.js";
import { flattenGraph } from "../src/robustness/flatten.js";
import { certify, inputBox } from "../src/robustness/ibp.js";
import { IncrementalNet } from "../src/robustness/incremental.js";
import { lipschitzReport, tableSlope } from "../src/robustness/lipschitz.js";
import { surrogateGradient } from "../src/robustness/surrogate.js";
import { formatMarkdown, plotSvg } from "../src/robustness/report.js";
import { Rng } from "../src/util/random.js";
import { randomModel } from "./helpers/random-model.js";
import { denseMlp, forEachPoint, IDENTITY, tinyModel } from "./helpers/tiny-models.js";
import { firstMaxIndex } from "../src/kinds/argmax.js";

/** Images of the model's shape; labels mostly the model's own prediction (so clean accuracy is high). */
function syntheticData(graph: Graph, count: number, seed: number) {
  const fg = flattenGraph(graph);
  const rng = new Rng(seed);
  const size = shapeSize(graph.inputShape);
  const pixels = rng.int8Array(count * size);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const p = firstMaxIndex(scoresOf(fg, runFlat(fg, pixels.subarray(i * size, (i + 1) * size))));
    labels[i] = rng.next() < 0.85 ? p : rng.int(0, fg.classes - 1);
  }
  return makeDataset("synthetic", [...graph.inputShape] as [number, number, number], fg.classes, pixels, labels);
}

function expectOrdered(r: ModelRobustness): void {
  let prevAttacked = Infinity;
  let prevCertified = Infinity;
  for (const e of r.results) {
    expect(e.certified, `eps ${e.eps}`).toBeLessThanOrEqual(e.attacked);
    expect(e.attacked, `eps ${e.eps}`).toBeLessThanOrEqual(r.clean);
    // both curves are monotone in eps: broken perturbations are reused, boxes are nested
    expect(e.attacked).toBeLessThanOrEqual(prevAttacked);
    expect(e.certified).toBeLessThanOrEqual(prevCertified);
    prevAttacked = e.attacked;
    prevCertified = e.certified;
  }
}

describe("certified <= attacked <= clean on every run", () => {
  it("random models with every layer kind", () => {
    for (let seed = 1; seed <= 12; seed++) {
      const graph = buildGraph(parseModel(randomModel(seed)));
      const r = evaluateRobustness(graph, syntheticData(graph, 12, seed), { eps: [0, 1, 4, 16], samples: 12, queries: 150, seed });
      expectOrdered(r);
      expect(r.results[0]!.certified).toBe(r.clean); // eps 0: the box is the clean image
      expect(r.results[0]!.attacked).toBe(r.clean);
    }
  });

  it("small dense int8 MLPs", () => {
    for (let seed = 1; seed <= 4; seed++) {
      const graph = buildGraph(parseModel(denseMlp(seed, 4, 4, 12, 3)));
      const r = evaluateRobustness(graph, syntheticData(graph, 20, seed), { eps: [1, 4, 16, 64], samples: 20, queries: 300, seed });
      expectOrdered(r);
      expect(r.clean).toBeGreaterThan(10);
      expect(r.results[3]!.attacked).toBeLessThan(r.clean); // eps 64 of 255 breaks a random MLP
    }
  });

  it("the bundled MNIST model, with the report, the Markdown and the plot", () => {
    const graph = loadGraph("models/mnist_demo.json");
    const data = takeFirst(loadMnist().test, 15);
    const r = evaluateRobustness(graph, data, { eps: [2, 8, 32], samples: 15, queries: 300, seed: 1 });
    expectOrdered(r);
    expect(r.clean).toBeGreaterThanOrEqual(13);
    expect(r.results[0]!.certified).toBeGreaterThan(0);
    expect(r.results[2]!.attacked).toBeLessThan(r.clean);
    const md = formatMarkdown({ epsUnit: "", models: [r, r] });
    expect(md).toMatch(/Side by side/);
    expect(md).toMatch(/\| 8 \| 8\/255|\| 8 \|/);
    const svg = plotSvg({ epsUnit: "", models: [r, r] });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toMatch(/stroke-dasharray/);
    expect(plotSvg({ epsUnit: "", models: [r] })).toBe(plotSvg({ epsUnit: "", models: [r] })); // deterministic
  });
});

describe("the attack", () => {
  it("finds an adversarial corner whenever one exists on tiny models, confirmed by the reference", () => {
    const rng = new Rng(31);
    let found = 0;
    for (let t = 0; t < 150; t++) {
      const neurons = Array.from({ length: 3 }, () => ({
        bias: rng.int(-300, 300),
        terms: Array.from({ length: 2 }, (_, i) => ({ input: i, weight: rng.int(-20, 20) })),
      }));
      const graph = buildGraph(
        parseModel(tinyModel(2, [], [{ id: "s", kind: "summator", input: "input", requant: { multiplier: 1, shift: rng.int(0, 4) }, neurons }, { id: "c", kind: "argmax", input: "s" }])),
      );
      const fg = flattenGraph(graph);
      const x0 = rng.int8Array(2);
      const label = predict(graph, x0)[0]!;
      const eps = rng.int(1, 20);
      const box = inputBox(x0, eps);
      let cornerBreaks = false;
      for (const a of [box.lo[0]!, box.hi[0]!]) for (const b of [box.lo[1]!, box.hi[1]!]) if (predict(graph, Int8Array.of(a, b))[0] !== label) cornerBreaks = true;
      const result = attack(fg, x0, label, { eps, queries: 60, rng: new Rng(t) });
      expect(result.adversarial !== undefined, `case ${t}`).toBe(cornerBreaks);
      if (result.adversarial) {
        found++;
        for (let i = 0; i < 2; i++) {
          expect(result.adversarial[i]).toBeGreaterThanOrEqual(box.lo[i]!);
          expect(result.adversarial[i]).toBeLessThanOrEqual(box.hi[i]!);
        }
        expect(predict(graph, result.adversarial)[0]).not.toBe(label);
      }
      // a certified prediction is never broken, and a found adversarial means the certifier said no
      if (certify(fg, x0, eps).certified) expect(result.adversarial).toBeUndefined();
    }
    expect(found).toBeGreaterThan(10);
  });

  it("never breaks a certified sample even with a large budget (exhaustive check on 2-pixel strong models)", () => {
    const rng = new Rng(32);
    for (let t = 0; t < 60; t++) {
      const noisy = Array.from({ length: 256 }, () => rng.int(-128, 127));
      const neurons = Array.from({ length: 3 }, () => ({
        groups: Array.from({ length: rng.int(1, 2) }, () => Array.from({ length: rng.int(1, 2) }, () => ({ input: rng.int(0, 1), table: rng.int(0, 1) }))),
      }));
      const graph = buildGraph(parseModel(tinyModel(2, [IDENTITY, noisy], [{ id: "s", kind: "strong", input: "input", neurons }, { id: "c", kind: "argmax", input: "s" }])));
      const fg = flattenGraph(graph);
      const x0 = rng.int8Array(2);
      const label = predict(graph, x0)[0]!;
      const eps = rng.int(1, 6);
      const cert = certify(fg, x0, eps);
      const result = attack(fg, x0, label, { eps, queries: 500, rng: new Rng(t) });
      if (cert.certified) {
        expect(result.adversarial).toBeUndefined();
        const box = inputBox(x0, eps);
        forEachPoint(box.lo, box.hi, (x) => expect(predict(graph, x)[0]).toBe(label));
      }
    }
  });

  it("steers with a surrogate gradient that is exact on linear models and follows the active literal of min/max", () => {
    const graph = buildGraph(
      parseModel(
        tinyModel(3, [IDENTITY, IDENTITY.map((x) => Math.max(-128, Math.min(127, 2 * x)))], [
          // s0 = max(min(x0, 2 x1), x2)
          { id: "s", kind: "strong", input: "input", neurons: [{ groups: [[{ input: 0, table: 0 }, { input: 1, table: 1 }], [{ input: 2, table: 0 }]] }, { groups: [[{ input: 2, table: 0 }]] }] },
          { id: "l", kind: "summator", input: "s", requant: { multiplier: 1, shift: 1 }, neurons: [{ bias: 0, terms: [{ input: 0, weight: 4 }] }, { bias: 0, terms: [{ input: 1, weight: -6 }] }] },
          { id: "c", kind: "argmax", input: "l" },
        ]),
      ),
    );
    const fg = flattenGraph(graph);
    const net = new IncrementalNet(fg, Int8Array.of(10, 20, -50)); // min(10, 40) = 10 beats -50: x0 is active
    const g = surrogateGradient(fg, net.values, net.accs, Float64Array.of(1, -1));
    expect(Array.from(g)).toEqual([2, 0, 3]); // d/dx0 = 4/2, d/dx2 = -(-6)/2
    net.set([1], [2]); // min(10, 4) = 4: x1 is active, through the slope-2 table
    expect(Array.from(surrogateGradient(fg, net.values, net.accs, Float64Array.of(1, -1)))).toEqual([0, 4, 3]);
  });

  it("margin8 follows the reference tie rule (first largest wins)", () => {
    expect(margin8([5, 5, 1], 0)).toBe(0); // class 0 wins the tie
    expect(margin8([5, 5, 1], 1)).toBe(-1); // class 1 loses it
    expect(margin8([1, 7, 3], 1)).toBe(4);
  });
});

describe("Lipschitz facts", () => {
  it("table slopes, min/max neuron gains and linear row gains", () => {
    const steep = IDENTITY.map((x) => Math.max(-128, Math.min(127, 3 * x)));
    expect(tableSlope(Int8Array.from(IDENTITY))).toBe(1);
    expect(tableSlope(Int8Array.from(steep))).toBe(3);
    const graph = buildGraph(
      parseModel(
        tinyModel(2, [IDENTITY, steep], [
          { id: "s", kind: "strong", input: "input", neurons: [{ groups: [[{ input: 0, table: 0 }]] }, { groups: [[{ input: 0, table: 0 }, { input: 1, table: 1 }]] }] },
          // multiplier / 2^shift = 1/4, ||w||_1 = 8 and 2: gains 2 and 0.5
          { id: "l", kind: "summator", input: "s", requant: { multiplier: 1, shift: 2 }, neurons: [{ bias: 0, terms: [{ input: 0, weight: 5 }, { input: 1, weight: -3 }] }, { bias: 0, terms: [{ input: 1, weight: 2 }] }] },
          { id: "c", kind: "argmax", input: "l" },
        ]),
      ),
    );
    const r = lipschitzReport(flattenGraph(graph));
    expect(r.steepTables).toBe(1);
    expect(r.tables.find((t) => t.table === 1)!.steep).toEqual([[-43, 41]]);
    expect(r.layers[0]).toMatchObject({ id: "s", gain: 3, amplifying: 1 });
    expect(r.layers[1]).toMatchObject({ id: "l", gain: 2, amplifying: 1 });
    expect(r.networkGain).toBe(6);
    // ||(5, -3) - (0, 2)||_1 = 10, times 1/4
    expect(r.marginGain).toEqual({ gain: 2.5, classes: [0, 1] });
  });
});
