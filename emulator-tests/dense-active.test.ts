/**
 * The active-inputs dense kernel under QEMU: its DSP path (M4, M7) and portable path (M0, M3),
 * and on the M55 the blocked Helium kernel the same layer switches to, are bit-exact with the
 * reference on strong -> dense models, over random vectors and the all-extreme ones, with one
 * requantization and per channel, unit counts that pad the last block of eight, and the
 * caller's arena.
 */
import { describe, expect, it } from "vitest";
import { getBoard } from "../src/firmware/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph } from "../src/ir/index.js";
import type { DenseLayer } from "../src/kinds/dense.js";
import { verifyModel } from "../src/verify/verify.js";
import { strongDenseModel } from "../test/helpers/tiny-models.js";

const BOARDS = ["bbc-microbit-v1", "lm3s6965", "nucleo-f411re", "nucleo-f767zi", "alif-e7-devkit"];

describe("active-inputs dense kernel on every core", () => {
  const graphs = [
    ["13 units", buildGraph(parseModel(strongDenseModel(21, 64, 120, 13, false)))],
    ["24 units, per-channel", buildGraph(parseModel(strongDenseModel(22, 96, 200, 24, true)))],
  ] as const;
  it.each(graphs.flatMap(([what, graph]) => BOARDS.map((board) => [what, board, graph] as const)))("%s on %s: bit-exact", async (_what, board, graph) => {
    expect((graph.layers[1] as DenseLayer).activeInputs).toBe(true);
    const report = await verifyModel({ graph, board: getBoard(board), count: 12, dataset: null, seed: 4 });
    expect(report.firstMismatch).toBeNull();
    expect(report.passed).toBe(true);
    expect(report.vectors.edge).toBeGreaterThan(0);
  });

  it.each(["nucleo-f411re", "alif-e7-devkit"])("with the caller's arena (--arena external) on %s: bit-exact", async (board) => {
    const report = await verifyModel({ graph: graphs[1][1], board: getBoard(board), count: 8, dataset: null, seed: 5, arena: "external" });
    expect(report.firstMismatch).toBeNull();
    expect(report.passed).toBe(true);
  });
});
