/**
 * The end-to-end contract: generated C, built for each core with arm-none-eabi-gcc and run in
 * qemu-system-arm, is bit-exact with the TypeScript reference, for every shipped model on an M0,
 * M3, M4 and M7 machine, for random models that use every layer kind, and for random models'
 * scores through a softmax; and, more briefly, on the ARMv8-M boards (M33, M55).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import { parseModel } from "../src/format/load.js";
import { getBoard, type Board } from "../src/firmware/index.js";
import { buildGraph, loadGraph, type Graph } from "../src/ir/index.js";
import { softmaxParams } from "../src/kinds/softmax.js";
import { BudgetError } from "../src/plan/fit.js";
import { predict, runTrace } from "../src/reference/interpreter.js";
import { testVectors } from "../src/verify/vectors.js";
import { verifyModel } from "../src/verify/verify.js";
import { predictedClass } from "../src/kinds/argmax.js";
import { randomModel } from "../test/helpers/random-model.js";

const MODELS_DIR = join(import.meta.dirname, "..", "models");
const shippedModels = readdirSync(MODELS_DIR).filter((f) => f.endsWith(".json") && !f.endsWith(".metrics.json"));

/** One board per core family the issue names (M0, M3, M4, M7), each on a different QEMU machine. */
const CORE_BOARDS = ["bbc-microbit-v1", "lm3s6965", "nucleo-f411re", "nucleo-f767zi"].map((name) => getBoard(name));

describe("the boards under test cover M0, M3, M4 and M7 on distinct QEMU machines", () => {
  it("has one board per core", () => {
    expect(CORE_BOARDS.map((b) => b.qemu.cpu)).toEqual(["cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7"]);
    expect(new Set(CORE_BOARDS.map((b) => b.qemu.machine)).size).toBe(4);
  });
});

describe.each(shippedModels)("shipped model %s", (file) => {
  const graph = loadGraph(join(MODELS_DIR, file));

  it.each(CORE_BOARDS.map((b) => [b.name, b] as const))("is bit-exact on %s", async (_name, board) => {
    const report = await verifyModel({ graph, board, count: 40 });
    expect(report.firstMismatch).toBeNull();
    expect(report.passed).toBe(true);
    expect(report.vectors.total).toBe(40);
    // the firmware's accuracy is the reference's accuracy on the same labelled images
    if (report.accuracy) {
      const plan = testVectors(graph, { count: 40 });
      const labelled = plan.vectors.filter((v) => v.label !== undefined);
      const referenceCorrect = labelled.filter((v) => predictedClass(predict(graph, v.input)) === v.label).length;
      expect(report.accuracy.correct).toBe(referenceCorrect);
      expect(report.accuracy.total).toBe(labelled.length);
    }
    expect(report.instructions.min).toBeGreaterThan(0);
    expect(report.image.flashBytes).toBeGreaterThan(report.plan.constBytes);
    expect(report.image.ramBytes).toBeGreaterThanOrEqual(report.plan.arenaBytes);
  });
});

describe("random models with every layer kind", () => {
  it.each(CORE_BOARDS.flatMap((b, i) => [[b.name, 100 + 2 * i, b] as const, [b.name, 101 + 2 * i, b] as const]))(
    "on %s, seed %i: every layer bit-exact over random and edge vectors",
    async (_name, seed, board) => {
      const graph = buildGraph(parseModel(randomModel(seed)));
      const report = await verifyModel({ graph, board, count: 25, dataset: null, seed });
      expect(report.firstMismatch).toBeNull();
      expect(report.vectors).toMatchObject({ total: 25, datasetSamples: 0, edge: 3, random: 22 });
    },
  );
});

describe("softmax, which the random models cannot hold (the robustness tools refuse it)", () => {
  it.each(CORE_BOARDS.map((b, i) => [b.name, 130 + i, b] as const))(
    "on %s, seed %i: a random model's scores through a softmax, every layer bit-exact",
    async (_name, seed, board) => {
      const model = randomModel(seed, `softmax_${seed}`);
      if (model.layers.at(-1)!.kind === "argmax") model.layers.pop();
      const scores = model.layers.at(-1)!.id;
      model.layers.push({ id: "probs", kind: "softmax", input: scores, ...softmaxParams(1, [1 / 255, 1 / 16, 0.1, 0.5][seed % 4]!) });
      model.output = "probs";
      const graph = buildGraph(parseModel(model));
      const report = await verifyModel({ graph, board, count: 25, dataset: null, seed });
      expect(report.firstMismatch).toBeNull();
      expect(report.passed).toBe(true);
    },
  );
});

/**
 * The ARMv8-M boards, briefly (a few seconds): an M33 on mps2-an505 and an M55 (MVE, low-overhead
 * loops) on mps3-an547, both running in secure state with the secure SysTick counting.
 */
describe("ARMv8-M boards: lpcxpresso55s69 (M33) and alif-e7-devkit (M55)", () => {
  const V8M_BOARDS = ["lpcxpresso55s69", "alif-e7-devkit"].map((name) => getBoard(name));
  const strong = loadGraph(join(MODELS_DIR, "mnist_strong.json"));
  const helloWorld = loadGraph(join(import.meta.dirname, "..", "test", "fixtures", "tflite", "hello_world_int8.tflite"));

  it("are the M33 and M55 on their own QEMU machines", () => {
    expect(V8M_BOARDS.map((b) => [b.core, b.qemu.cpu, b.qemu.machine])).toEqual([
      ["cortex-m33", "cortex-m33", "mps2-an505"],
      ["cortex-m55", "cortex-m55", "mps3-an547"],
    ]);
  });

  // random models with every layer kind run on these boards in report.test.ts (static stack bound)
  it.each(V8M_BOARDS.map((b) => [b.name, b] as const))("on %s: mnist_strong and an imported TFLite model are bit-exact", async (_name, board) => {
    for (const [graph, vectors] of [
      [strong, { count: 6 }],
      [helloWorld, { count: 3, dataset: null }],
    ] as const) {
      const report = await verifyModel({ graph, board, ...vectors });
      expect(report.firstMismatch, graph.name).toBeNull();
      expect(report.passed).toBe(true);
      expect(report.instructions.min).toBeGreaterThan(0);
    }
  });
});

/** The graph with one table entry changed, so its C differs from `graph`'s reference somewhere. */
function withChangedTable(graph: Graph, probe: Int8Array[]): { mutant: Graph; layer: number } {
  for (let t = 0; t < graph.tables.length; t++) {
    for (let x = 0; x < 256; x++) {
      const tables = graph.tables.map((tab, i) => (i === t ? Int8Array.from(tab, (v, j) => (j === x ? (v === 127 ? 126 : v + 1) : v)) : tab));
      const mutant: Graph = { ...graph, tables };
      const layer = firstDifferingLayer(graph, mutant, probe[0]!);
      if (layer >= 0) return { mutant, layer };
    }
  }
  throw new Error("no single table change alters the first probe vector");
}

function firstDifferingLayer(a: Graph, b: Graph, input: Int8Array): number {
  const ta = runTrace(a, input);
  const tb = runTrace(b, input);
  return a.layers.findIndex((l) => {
    const x = ta.outputs.get(l.id)!;
    const y = tb.outputs.get(l.id)!;
    return x.some((v, i) => v !== y[i]);
  });
}

describe("a firmware that differs from the reference", () => {
  it("fails and names the first differing vector, layer, byte, expected and received value", async () => {
    const graph = buildGraph(parseModel(randomModel(7)));
    const board = getBoard("nucleo-f411re");
    const vectors = testVectors(graph, { count: 12, dataset: null, seed: 3 }).vectors.map((v) => v.input);
    const { mutant, layer } = withChangedTable(graph, vectors);
    const bad = generateC(mutant);
    const report = await verifyModel({ graph, board, count: 12, dataset: null, seed: 3, sources: { c: bad.source, h: bad.header } });

    expect(report.passed).toBe(false);
    const m = report.firstMismatch!;
    expect(m.vector).toBe(0);
    expect(m.layer.index).toBe(layer);
    expect(m.layer.id).toBe(graph.layers[layer]!.id);
    // the mutant's reference output is what the firmware computed: compare byte by byte
    const want = runTrace(graph, vectors[0]!).outputs.get(graph.layers[layer]!.id)!;
    const got = runTrace(mutant, vectors[0]!).outputs.get(graph.layers[layer]!.id)!;
    const index = want.findIndex((v, i) => v !== got[i]);
    expect(m).toMatchObject({ index, expected: want[index], got: got[index], image: "trace" });
    const differing = vectors.filter((v) => firstDifferingLayer(graph, mutant, v) >= 0).length;
    expect(report.mismatchedVectors).toBe(differing);
  });

  it("a model over the board's budget is refused before anything is built", async () => {
    const graph = loadGraph(join(MODELS_DIR, "mnist_demo.json"));
    const tiny: Board = { ...getBoard("bbc-microbit-v1"), flashBytes: 4096, ramBytes: 1024 };
    const err = await verifyModel({ graph, board: tiny, count: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetError);
    const problems = (err as BudgetError).problems.map((p) => p.resource).sort();
    expect(problems).toEqual(["flash", "ram"]);
  });
});
