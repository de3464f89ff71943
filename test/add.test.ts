/**
 * The add kind reproduces TFLite's int8 ADD bit for bit: the golden case of CMSIS-NN's test data
 * (two inputs with their own quantization, output of the TFLite interpreter), computed through a
 * model whose one input is the two inputs one after the other, split by two slice views and
 * added — a DAG — in the reference and in the generated C (gcc and clang, sanitizers), plus
 * random inputs and parameters, C against the reference.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseModel } from "../src/format/load.js";
import type { ModelFileInput } from "../src/format/schema.js";
import { buildGraph } from "../src/ir/index.js";
import { planGraph } from "../src/plan/plan.js";
import { predict, runTrace } from "../src/reference/interpreter.js";
import { Rng } from "../src/util/random.js";
import { readCmsisTestData } from "./helpers/cmsis-testdata.js";
import { buildHost, runHost, SANITIZE_FLAGS } from "./helpers/host-c.js";

type Operand = { zeroPoint: number; multiplier: number; shift: number };

/** input = a ++ b (n values each) -> slice a, slice b -> add */
function addModel(n: number, first: Operand, second: Operand, output: { multiplier: number; shift: number; zeroPoint: number; min?: number; max?: number }, leftShift = 20): ModelFileInput {
  return {
    format: "strongnet-model",
    version: 1,
    name: "add_pair",
    input: { shape: [1, 1, 2 * n] },
    tables: [],
    layers: [
      { id: "a", kind: "slice", input: "input", offset: 0, shape: [1, 1, n] },
      { id: "b", kind: "slice", input: "input", offset: n, shape: [1, 1, n] },
      { id: "sum", kind: "add", input: "a", other: "b", leftShift, first, second, output },
    ],
    output: "sum",
  };
}

describe("add against the TFLite interpreter (CMSIS-NN test data, case add)", () => {
  const data = readCmsisTestData(join(import.meta.dirname, "fixtures", "cmsis-nn-testdata", "add"));
  const n = data.define("DST_SIZE");
  // TFLite shifts are exponents (<= 0 here): this format's shift is 31 - exponent
  const operand = (k: 1 | 2): Operand => ({ zeroPoint: -data.define(`INPUT${k}_OFFSET`), multiplier: data.define(`INPUT${k}_MULT`), shift: 31 - data.define(`INPUT${k}_SHIFT`) });
  const model = addModel(n, operand(1), operand(2), {
    multiplier: data.define("OUTPUT_MULT"),
    shift: 31 - data.define("OUTPUT_SHIFT"),
    zeroPoint: data.define("OUTPUT_OFFSET"),
    min: data.define("OUT_ACTIVATION_MIN"),
    max: data.define("OUT_ACTIVATION_MAX"),
  }, data.define("LEFT_SHIFT"));
  const graph = buildGraph(parseModel(model));
  const input = Int8Array.from([...data.array("input1")!, ...data.array("input2")!]);
  const expected = data.array("output_ref")!;

  it("the reference matches output_ref exactly", () => {
    expect(Array.from(predict(graph, input))).toEqual(expected);
  });

  it.each(["gcc", "clang"])("the generated C (%s, sanitizers) matches output_ref exactly", (compiler) => {
    const got = runHost(buildHost(graph, compiler, SANITIZE_FLAGS), graph, [input]);
    expect(Array.from(got[0]!.at(-1)!)).toEqual(expected);
  });

  it("the slices are views: no code, no arena bytes; the add reads the caller's input at two offsets", () => {
    const plan = planGraph(graph);
    expect(plan.layers.slice(0, 2).map((l) => [l.isView, l.storage, l.storageOffset])).toEqual([[true, "input", 0], [true, "input", n]]);
    expect(plan.arenaBytes).toBe(0);
  });
});

describe("add on random inputs and parameters: C against the reference", () => {
  it.each(["gcc", "clang"])("%s", (compiler) => {
    const rng = new Rng(99);
    for (let m = 0; m < 4; m++) {
      const n = rng.int(1, 40);
      const operand = (): Operand => ({ zeroPoint: rng.int(-128, 127), multiplier: rng.int(2 ** 30, 2 ** 31 - 1), shift: rng.int(31, 40) });
      const range = rng.next() < 0.5 ? { min: rng.int(-128, -1), max: rng.int(0, 127) } : {};
      const graph = buildGraph(parseModel(addModel(n, operand(), operand(), { multiplier: rng.int(2 ** 30, 2 ** 31 - 1), shift: rng.int(45, 55), zeroPoint: rng.int(-128, 127), ...range })));
      const vectors = [new Int8Array(2 * n).fill(-128), new Int8Array(2 * n).fill(127), ...Array.from({ length: 10 }, () => rng.int8Array(2 * n))];
      const got = runHost(buildHost(graph, compiler, SANITIZE_FLAGS), graph, vectors);
      vectors.forEach((v, i) => {
        const trace = runTrace(graph, v);
        graph.layers.forEach((l, k) => expect(Array.from(got[i]![k]!), `model ${m} vector ${i} layer ${l.id}`).toEqual(Array.from(trace.outputs.get(l.id)!)));
      });
    }
  });
});
