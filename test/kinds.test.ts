/**
 * The registry of layer kinds keeps its promises: every kind has its C template, its line in the
 * format docs, and a place in the random models that the C-vs-reference and robustness tests run
 * (or, for a kind the robustness tools refuse, its own C-vs-reference test); and the small kind added by docs/adding-a-kind.md computes what it says.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseModel } from "../src/format/load.js";
import { buildGraph } from "../src/ir/index.js";
import { KINDS } from "../src/kinds/registry.js";
import { runTrace } from "../src/reference/interpreter.js";
import { flattenGraph } from "../src/robustness/flatten.js";
import { randomModel } from "./helpers/random-model.js";
import { tinyModel } from "./helpers/tiny-models.js";
import { runConv2d, taps as conv2dTaps, type Conv2dLayer } from "../src/kinds/conv2d.js";
import { runConvolution } from "../src/kinds/shared/convolution.js";
import { Rng } from "../src/util/random.js";

const root = join(import.meta.dirname, "..");
const kinds = Object.keys(KINDS);

/**
 * Kinds the random models cannot hold, with the test that runs their C against the reference
 * instead: every random model also goes through the robustness tools, which refuse softmax.
 */
const COVERED_ELSEWHERE: Record<string, string> = { softmax: "test/softmax.test.ts", add: "test/add.test.ts", slice: "test/add.test.ts" };

describe("every registered kind", () => {
  it.each(kinds)("%s has a C template and a line in docs/model-format.md", (kind) => {
    expect(existsSync(join(root, "c-templates", "layers", `${kind}.c.ejs`))).toBe(true);
    expect(readFileSync(join(root, "docs", "model-format.md"), "utf8")).toContain(`**\`${kind}\`**`);
  });

  it("appears in the random models the C and robustness tests run, or has its own C test", () => {
    const used = new Set<string>(Array.from({ length: 8 }, (_, i) => randomModel(i + 1).layers.map((l) => l.kind)).flat());
    const elsewhere = Object.keys(COVERED_ELSEWHERE);
    expect([...used, ...elsewhere].sort()).toEqual([...kinds].sort());
    for (const kind of elsewhere) expect(used.has(kind), `${kind} is in the random models after all`).toBe(false);
  });

  it.each(Object.entries(COVERED_ELSEWHERE))("%s, outside the random models, is checked against the C by %s", (kind, file) => {
    const text = readFileSync(join(root, file), "utf8");
    expect(text).toContain(`kind: "${kind}"`);
    expect(text).toContain("buildHost");
  });
});

describe("clamp", () => {
  const values = [-128, -1, 0, 3, 6, 7, 127];
  const model = (min: number, max: number) =>
    buildGraph(parseModel(tinyModel(values.length, [], [{ id: "relu6", kind: "clamp", input: "input", min, max }])));

  it("is ReLU6 on [0, 6] and the identity on the full range", () => {
    expect(Array.from(runTrace(model(0, 6), Int8Array.from(values)).output)).toEqual([0, 0, 0, 3, 6, 6, 6]);
    expect(Array.from(runTrace(model(-128, 127), Int8Array.from(values)).output)).toEqual(values);
  });

  it("lowers to the table of its values for the robustness tools", () => {
    const fg = flattenGraph(model(-1, 1));
    const layer = fg.layers[0]!;
    expect(layer.kind).toBe("table");
    if (layer.kind === "table") expect(Array.from(layer.table.subarray(126, 131))).toEqual([-1, -1, 0, 1, 1]);
  });
});

describe("conv2d's direct reference loop", () => {
  it("equals the taps walk of runConvolution (stride, dilation, padding, pad value, per-channel, activation tables)", () => {
    let compared = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const graph = buildGraph(parseModel(randomModel(seed)));
      const input = new Rng(seed).int8Array(graph.inputShape[0] * graph.inputShape[1] * graph.inputShape[2]);
      const trace = runTrace(graph, input);
      for (const layer of graph.layers) {
        if (layer.kind !== "conv2d") continue;
        const x = layer.input === "input" ? input : trace.outputs.get(layer.input)!;
        const direct = new Int8Array(trace.outputs.get(layer.id)!.length);
        const walked = new Int8Array(direct.length);
        runConv2d(layer as Conv2dLayer, x, graph.tables, direct);
        runConvolution(layer as Conv2dLayer, conv2dTaps(layer as Conv2dLayer), x, graph.tables, walked);
        expect(Array.from(direct)).toEqual(Array.from(walked));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(10);
  });
});
