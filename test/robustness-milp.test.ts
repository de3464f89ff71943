/**
 * The MILP verifier (src/robustness/milp.ts) against the truth: on tiny models whose eps boxes
 * can be enumerated (4 inputs, eps 1..4), a VERIFIED sample must keep its class on every input
 * of the box, a FALSIFIED sample's counterexample must be in the box and change the reference's
 * class, and everything IBP certifies the MILP verifies too.
 */
import { describe, expect, it } from "vitest";
import { parseModel } from "../src/format/load.js";
import type { ModelFileInput } from "../src/format/schema.js";
import { buildGraph, encodeInt8 } from "../src/ir/index.js";
import { firstMaxIndex } from "../src/kinds/argmax.js";
import { predict } from "../src/reference/interpreter.js";
import { requantize } from "../src/reference/requant.js";
import { runFlat, scoresOf } from "../src/robustness/flat.js";
import { flattenGraph } from "../src/robustness/flatten.js";
import { certify, inputBox } from "../src/robustness/ibp.js";
import { loadMilpSolver, roundingSlack, verifyMilp, type MilpStatus } from "../src/robustness/milp.js";
import { Rng } from "../src/util/random.js";
import { denseMlp, forEachPoint, IDENTITY, NEGATE, randomTable, tinyModel } from "./helpers/tiny-models.js";

type Spec = ModelFileInput["layers"][number];

/** 4 inputs -> strong layer (random tables, shared and repeated inputs) -> summator -> argmax. */
function strongTiny(seed: number): ModelFileInput {
  const rng = new Rng(seed);
  const tables = [IDENTITY, NEGATE, randomTable(rng, 0), randomTable(rng, 1), randomTable(rng, 2)];
  const neurons = Array.from({ length: rng.int(3, 6) }, () => ({
    groups: Array.from({ length: rng.int(1, 3) }, () => Array.from({ length: rng.int(1, 3) }, () => ({ input: rng.int(0, 3), table: rng.int(0, tables.length - 1) }))),
  }));
  const classes = 3;
  const double = rng.next() < 0.5;
  const requant = double ? { multiplier: rng.int(2 ** 30, 2 ** 31 - 1), shift: rng.int(33, 36), offset: rng.int(-10, 10), rounding: "double" as const } : { multiplier: rng.int(1, 1000), shift: rng.int(8, 11), offset: rng.int(-10, 10) };
  const layers: Spec[] = [
    { id: "features", kind: "strong", input: "input", neurons },
    {
      id: "scores", kind: "summator", input: "features", requant,
      neurons: Array.from({ length: classes }, () => ({ bias: rng.int(-300, 300), terms: Array.from({ length: rng.int(1, neurons.length) }, () => ({ input: rng.int(0, neurons.length - 1), weight: rng.int(-20, 20) || 1 })) })),
    },
    { id: "class", kind: "argmax", input: "scores" },
  ];
  return tinyModel(4, tables, layers, `strong_tiny_${seed}`);
}

/** [2, 2, 1] -> conv2d 2x2 (padded, double rounding, ReLU by offset -128 + clamp) -> maxpool -> dense -> argmax. */
function cnnTiny(seed: number): ModelFileInput {
  const rng = new Rng(seed);
  const w = (k: number) => encodeInt8(Array.from({ length: k }, () => rng.int(-90, 90)));
  return {
    format: "strongnet-model", version: 1, name: `cnn_tiny_${seed}`, input: { shape: [2, 2, 1] }, tables: [],
    layers: [
      { id: "conv", kind: "conv2d", input: "input", filters: 3, kernel: [2, 2], padding: [0, 0, 1, 1], padValue: -128, weights: w(12), bias: [rng.int(-3000, 3000), rng.int(-3000, 3000), rng.int(-3000, 3000)], requant: { multiplier: rng.int(2 ** 30, 2 ** 31 - 1), shift: 39, offset: -128, rounding: "double" } },
      { id: "pool", kind: "maxpool", input: "conv", pool: [2, 2], stride: [2, 2] },
      { id: "flat", kind: "reshape", input: "pool", shape: [1, 1, 3] },
      { id: "dense", kind: "dense", input: "flat", units: 3, weights: w(9), bias: [rng.int(-2000, 2000), rng.int(-2000, 2000), rng.int(-2000, 2000)], requant: { multiplier: rng.int(2 ** 30, 2 ** 31 - 1), shift: 38, offset: 0 } },
      { id: "class", kind: "argmax", input: "dense" },
    ],
    output: "class",
  };
}

describe("MILP verifier", () => {
  it("the requantization relaxation contains every true output (|u - (scale acc + offset)| <= slack)", () => {
    const rng = new Rng(2);
    for (let t = 0; t < 3000; t++) {
      const double = t % 2 === 0;
      const rule = double ? { multiplier: rng.int(2 ** 30, 2 ** 31 - 1), shift: rng.int(20, 50), offset: 0, rounding: "double" as const, min: -1e9, max: 1e9 } : { multiplier: rng.int(1, 2 ** 31 - 1), shift: rng.int(0, 45), offset: 0, min: -1e9, max: 1e9 };
      const acc = rng.int(-(2 ** 20), 2 ** 20);
      const real = (acc * rule.multiplier) / 2 ** rule.shift;
      if (Math.abs(real) > 1e8) continue; // outside the clamp range of the rule
      const u = requantize(acc, rule as never);
      expect(Math.abs(u - real), JSON.stringify({ rule, acc })).toBeLessThanOrEqual(roundingSlack(rule as never) + 1e-9);
    }
  });

  it("is sound on tiny models (every input of the box enumerated) and verifies at least what IBP certifies", async () => {
    const solver = await loadMilpSolver();
    const tally: Record<MilpStatus, number> = { verified: 0, falsified: 0, undecided: 0 };
    let robust = 0;
    let ibp = 0;
    const rng = new Rng(9);
    const models = [
      ...Array.from({ length: 8 }, (_, i) => strongTiny(100 + i)),
      ...Array.from({ length: 4 }, (_, i) => denseMlp(200 + i, 2, 2, 6, 3)),
      ...Array.from({ length: 4 }, (_, i) => cnnTiny(300 + i)),
    ];
    for (const m of models) {
      const graph = buildGraph(parseModel(m));
      const fg = flattenGraph(graph);
      for (let t = 0; t < 12; t++) {
        const x0 = rng.int8Array(4);
        if (t % 3 === 0) x0[rng.int(0, 3)] = rng.pick([-128, 127]);
        const eps = rng.int(1, 4);
        const segmentCap = t % 4 === 3 ? 1 : 64; // sometimes relax every non-affine table
        const r = verifyMilp(solver, fg, x0, eps, { timeLimit: 5, segmentCap });
        const c = firstMaxIndex(scoresOf(fg, runFlat(fg, x0)));
        expect(r.predicted).toBe(c);
        const box = inputBox(x0, eps);
        let truth = true;
        forEachPoint(box.lo, box.hi, (x) => {
          if (firstMaxIndex(scoresOf(fg, runFlat(fg, x))) !== c) truth = false;
        });
        const cert = certify(fg, x0, eps).certified;
        const where = `${m.name} x0 ${Array.from(x0)} eps ${eps} cap ${segmentCap}`;
        if (cert) expect(r.status, where).toBe("verified");
        if (r.status === "verified") expect(truth, where).toBe(true);
        if (r.status === "falsified") {
          const x = r.counterexample!;
          for (let i = 0; i < 4; i++) {
            expect(x[i]!).toBeGreaterThanOrEqual(box.lo[i]!);
            expect(x[i]!).toBeLessThanOrEqual(box.hi[i]!);
          }
          expect(predict(graph, x)[0], where).not.toBe(c);
          expect(truth).toBe(false);
        }
        tally[r.status]++;
        if (truth) robust++;
        if (cert) ibp++;
      }
    }
    console.log(`tiny models: ${models.length * 12} cases, truly robust ${robust}, IBP certified ${ibp}, MILP ${JSON.stringify(tally)}`);
    // both outcomes occur, so the checks above have teeth
    expect(tally.verified).toBeGreaterThan(ibp);
    expect(tally.falsified).toBeGreaterThan(0);
  }, 30_000);
});
