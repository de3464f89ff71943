/**
 * The blocked dense kernel under QEMU: the DSP path (M4, M7), the MVE path (M55) and the
 * portable path (M0, M3) are bit-exact with the reference on a layer whose B units sit exactly at
 * the bound the compiler checks (the largest 256 * sum B x the DSP sums can hold), with
 * all-extreme input vectors among the random ones; and a layer one step past the bound falls back
 * to the one-unit loop. Random blocked shapes whose inputs are not whole 16-byte vectors cover
 * the MVE kernel's predicated tail.
 */
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import { parseModel } from "../src/format/load.js";
import { getBoard } from "../src/firmware/index.js";
import { buildGraph, encodeInt8 } from "../src/ir/index.js";
import { packsIntoBlocks, type DenseLayer } from "../src/kinds/dense.js";
import { Rng } from "../src/util/random.js";
import { verifyModel } from "../src/verify/verify.js";
import { tinyModel } from "../test/helpers/tiny-models.js";

const INPUTS = 512;
const BOARDS = ["bbc-microbit-v1", "lm3s6965", "nucleo-f411re", "nucleo-f767zi", "alif-e7-devkit"].map((name) => getBoard(name));

/** 512 inputs -> 7 units (every B unit at sum |w| = bSum, all negative) -> 5 units (7 inputs: not whole words). */
function model(bSum: number) {
  const rng = new Rng(bSum);
  const w1 = rng.int8Array(7 * INPUTS);
  for (const u of [1, 3, 5]) {
    let left = bSum;
    for (let i = 0; i < INPUTS; i++) {
      w1[u * INPUTS + i] = -Math.min(128, left);
      left -= Math.min(128, left);
    }
  }
  const spec = tinyModel(
    INPUTS,
    [],
    [
      { id: "fc1", kind: "dense", input: "input", units: 7, weights: encodeInt8(w1), bias: [5, -5, 1000, -1000, 0, 7, -7], requant: { multiplier: 3, shift: 16, offset: 1 } },
      { id: "fc2", kind: "dense", input: "fc1", units: 5, weights: encodeInt8(rng.int8Array(35)), bias: [0, 1, 2, 3, 4], requant: { multiplier: 1, shift: 6, offset: 0 } },
    ],
    `dense_bound_${bSum}`,
  );
  return buildGraph(parseModel(spec));
}

describe("dense kernels at the DSP bound", () => {
  const atBound = model(65535);
  const pastBound = model(65536);

  it("the compiler picks the blocked kernel exactly up to the bound", () => {
    const blocked = (g: typeof atBound) => g.layers.map((l) => packsIntoBlocks(l as DenseLayer));
    expect(blocked(atBound)).toEqual([true, false]);
    expect(blocked(pastBound)).toEqual([false, false]);
    const source = generateC(atBound, undefined).source;
    expect(source).toContain("sn_dense_block4(x, w, 128u, x_sum, dot);");
    expect(source).toMatch(/#if SN_MVE\nstatic const uint8_t fc1_weights\[4096\]/);
    expect(source).toMatch(/#elif SN_DSP\nstatic const uint8_t fc1_weights\[4096\]/);
    expect(generateC(pastBound, undefined).source).not.toContain("sn_dense_block4");
  });

  it.each(BOARDS.flatMap((b) => [[b.name, 65535, b] as const, [b.name, 65536, b] as const]))(
    "on %s, sum |B| = %i: bit-exact over random and all-extreme vectors",
    async (_name, bSum, board) => {
      const graph = bSum === 65535 ? atBound : pastBound;
      const report = await verifyModel({ graph, board, count: 12, dataset: null, seed: 1 });
      expect(report.firstMismatch).toBeNull();
      expect(report.passed).toBe(true);
      expect(report.vectors.edge).toBeGreaterThan(0);
    },
  );
});

describe("blocked dense layers of random shapes (the MVE kernel's vector tail)", () => {
  const rng = new Rng(2026);
  // inputs in whole words but rarely whole 16-byte vectors; odd unit counts pad the last block
  const shapes = [
    [4, 3],
    [36, 5],
    [4 * rng.int(5, 40), 2 * rng.int(1, 8) + 1],
    [4 * rng.int(5, 40), rng.int(1, 13)],
  ];
  const graphs = shapes.map(([inputs, units], i) => {
    const spec = tinyModel(
      inputs!,
      [],
      [
        { id: "fc1", kind: "dense", input: "input", units: units!, weights: encodeInt8(rng.int8Array(units! * inputs!)), bias: Array.from({ length: units! }, () => rng.int(-3000, 3000)), requant: { multiplier: rng.int(2 ** 20, 2 ** 31 - 1), shift: rng.int(34, 40), offset: rng.int(-10, 10), rounding: "double" } },
        { id: "fc2", kind: "dense", input: "fc1", units: 8, weights: encodeInt8(rng.int8Array(8 * units!)), bias: Array.from({ length: 8 }, () => rng.int(-300, 300)), requant: { multiplier: rng.int(2 ** 20, 2 ** 31 - 1), shift: rng.int(30, 36), offset: 0 } },
      ],
      `dense_tail_${i}`,
    );
    return [`${inputs}-${units}-8`, buildGraph(parseModel(spec))] as const;
  });
  it.each(graphs.flatMap(([shape, graph]) => ["alif-e7-devkit", "nucleo-f411re"].map((b) => [shape, b, graph] as const)))("%s on %s is bit-exact", async (_shape, boardName, graph) => {
    expect(packsIntoBlocks(graph.layers[0] as DenseLayer)).toBe(true);
    const report = await verifyModel({ graph, board: getBoard(boardName), count: 8, dataset: null, seed: 3 });
    expect(report.firstMismatch).toBeNull();
    expect(report.passed).toBe(true);
  });
});
