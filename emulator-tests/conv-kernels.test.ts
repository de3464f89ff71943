/**
 * The convolution kernels' paths (test/helpers/conv-path-models.ts) are bit-exact under QEMU
 * against the reference on a Cortex-M0 (plain C kernels), a Cortex-M4 (SXTB16 / SMLAD kernels) and
 * a Cortex-M55 (Helium / MVE kernels and four-lane requantization).
 */
import { describe, expect, it } from "vitest";
import { getBoard } from "../src/firmware/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph } from "../src/ir/index.js";
import { verifyModel } from "../src/verify/verify.js";
import { CONV_CASES, convCaseModel } from "../test/helpers/conv-path-models.js";

const BOARDS = [getBoard("bbc-microbit-v1"), getBoard("nucleo-f411re"), getBoard("alif-e7-devkit")];

describe.each(CONV_CASES.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => {
  const graph = buildGraph(parseModel(convCaseModel(c, 100 + i)));
  it.each(BOARDS.map((b) => [b.name, b] as const))("is bit-exact on %s", async (_board, board) => {
    const report = await verifyModel({ graph, board, count: 4 });
    expect(report.firstMismatch).toBeNull();
    expect(report.passed).toBe(true);
  });
});
