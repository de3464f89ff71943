/**
 * Imported TFLite models (test/fixtures/tflite) are bit-exact under QEMU against the reference
 * interpreter on an M4 and an M7, and on the M0 where they fit its 16 KB of RAM; person_detect's
 * firmware agrees with TFLite Micro's example test on its two images.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getBoard } from "../src/firmware/index.js";
import { loadGraph, shapeSize } from "../src/ir/index.js";
import { planGraph } from "../src/plan/plan.js";
import { verifyModel } from "../src/verify/verify.js";

const FIXTURES = join(import.meta.dirname, "..", "test", "fixtures", "tflite");
const M4 = getBoard("nucleo-f411re");
const M7 = getBoard("nucleo-f767zi");
const M0 = getBoard("bbc-microbit-v1");

/** model, vectors per board (person_detect runs ~60M instructions a vector on the plain C kernels) */
const MODELS: [string, number][] = [
  ["hello_world_int8", 20],
  ["micro_speech_quantized", 6],
  ["tiny_kws_ref_model_int8", 3],
  ["person_detect", 2],
  ["simple_add_model", 3],
];

describe.each(MODELS)("%s", (name, count) => {
  const graph = loadGraph(join(FIXTURES, `${name}.tflite`));
  const plan = planGraph(graph);
  // the M0 board's RAM: the arena, the caller's buffers and the harness must fit 16 KB
  const io = shapeSize(graph.inputShape) + shapeSize(graph.outputShape);
  const fitsM0 = plan.arenaBytes + io + 4096 < M0.ramBytes && plan.constBytes < M0.flashBytes;

  it.each([M4, M7, ...(fitsM0 ? [M0] : [])].map((b) => [b.name, b] as const))("is bit-exact on %s", async (_board, board) => {
    const report = await verifyModel({ graph, board, count });
    expect(report.firstMismatch).toBeNull();
    expect(report.passed).toBe(true);
    expect(report.vectors.total).toBe(count);
  });
});

it("the M0 runs the models that fit it (hello_world at least)", () => {
  const graph = loadGraph(join(FIXTURES, "hello_world_int8.tflite"));
  expect(planGraph(graph).arenaBytes + 4096).toBeLessThan(M0.ramBytes);
});
