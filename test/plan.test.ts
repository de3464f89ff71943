import { describe, expect, it } from "vitest";
import { parseModel } from "../src/format/load.js";
import type { ModelFileInput } from "../src/format/schema.js";
import { buildGraph, encodeInt8, shapeSize } from "../src/ir/index.js";
import { generateC } from "../src/codegen/index.js";
import { planGraph, totalOps } from "../src/plan/plan.js";
import { randomModel } from "./helpers/random-model.js";

const ramp = encodeInt8(Array.from({ length: 256 }, (_, i) => Math.max(-128, i - 140)));
const step = encodeInt8(Array.from({ length: 256 }, (_, i) => (i < 128 ? -128 : 127)));

/** A chain of LUT layers over a 5x5x3 input: 75 bytes each. */
function lutChain(length: number): ModelFileInput {
  const layers = Array.from({ length }, (_, i) => ({ id: `l${i}`, kind: "lut" as const, input: i === 0 ? "input" : `l${i - 1}`, table: i % 2 }));
  return { format: "strongnet-model", version: 1, name: "chain", input: { shape: [5, 5, 3] }, tables: [ramp, step, ramp], layers, output: `l${length - 1}` };
}

describe("memory plan", () => {
  it("reuses buffers once dead: a chain needs two buffers whatever its length", () => {
    const plan = planGraph(buildGraph(parseModel(lutChain(6))));
    // five intermediate 75-byte tensors; the output goes to the caller's buffer
    expect(plan.layers.filter((l) => l.slot).length).toBe(5);
    expect(plan.arenaBytes).toBe(76 + 75); // the second buffer starts at the next 4-byte boundary
  });

  it("never lets two simultaneously live tensors share a byte (random models)", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const graph = buildGraph(parseModel(randomModel(seed)));
      const plan = planGraph(graph);
      const slots = plan.layers.flatMap((l) => (l.slot ? [l.slot] : []));
      // a layer computed in place shares bytes with its input, laid out so a first-to-last walk
      // never overwrites an unread input: a smaller output where the input starts, a larger one
      // where it ends
      const inPlacePairs = new Set<string>();
      graph.layers.forEach((layer, i) => {
        if (!plan.layers[i]!.inPlace) return;
        const out = plan.layers[i]!.slot!;
        const input = plan.layers.find((l) => l.id === plan.layers[graph.layers.findIndex((g) => g.id === layer.input)]!.storage)!.slot!;
        if (out.size <= input.size) expect(out.offset).toBe(input.offset);
        else expect(out.offset + out.size).toBe(input.offset + input.size);
        inPlacePairs.add(`${out.layerId}|${input.layerId}`).add(`${input.layerId}|${out.layerId}`);
      });
      for (const a of slots) {
        expect(a.offset % 4).toBe(0);
        expect(a.offset + a.size).toBeLessThanOrEqual(plan.arenaBytes);
        for (const b of slots) {
          if (a === b || inPlacePairs.has(`${a.layerId}|${b.layerId}`)) continue;
          const liveTogether = a.firstStep <= b.lastStep && b.firstStep <= a.lastStep;
          const bytesOverlap = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
          expect(liveTogether && bytesOverlap, `seed ${seed}: ${a.layerId} and ${b.layerId}`).toBe(false);
        }
      }
      const total = graph.layers.slice(0, -1).reduce((s, l) => s + shapeSize(l.outputShape), 0);
      expect(plan.arenaBytes).toBeLessThanOrEqual(total + 4 * graph.layers.length);
    }
  });

  it("writes a stride-2 depthwise layer that halves the image over its input (the ring copies rows first)", () => {
    const conv = (id: string, input: string, inC: number, filters: number) => ({
      id, kind: "conv2d" as const, input, filters, kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0], padValue: 0,
      weights: encodeInt8(new Array(inC * filters).fill(1)), bias: new Array(filters).fill(0), requant: { multiplier: 1, shift: 2 },
    });
    const model: ModelFileInput = {
      format: "strongnet-model", version: 1, name: "halving", input: { shape: [16, 16, 4] }, tables: [],
      layers: [
        conv("expand", "input", 4, 16),
        { id: "dw", kind: "depthwise_conv2d", input: "expand", kernel: [3, 3], stride: [2, 2], padding: [0, 0, 1, 1], padValue: 0,
          weights: encodeInt8(new Array(9 * 16).fill(1)), bias: new Array(16).fill(0), requant: { multiplier: 1, shift: 4 } },
        conv("project", "dw", 16, 32),
        conv("out", "project", 32, 2),
      ],
      output: "out",
    } as ModelFileInput;
    const graph = buildGraph(parseModel(model));
    const plan = planGraph(graph);
    const at = (id: string) => plan.layers[graph.layers.findIndex((l) => l.id === id)]!;
    expect(at("dw").inPlace).toBe(true);
    expect(at("dw").slot!.offset).toBe(at("expand").slot!.offset);
    // the 4 KB input with the 1 KB output inside it, and the ring: not input + output + ring
    const ring = at("dw").scratch!.size;
    expect(plan.arenaBytes).toBeLessThan(4096 + 1024 + ring);
  });

  it("stores identical tables once and only tables that are used", () => {
    const model = lutChain(2); // uses tables 0 and 1; table 2 duplicates table 0
    const plan = planGraph(buildGraph(parseModel(model)));
    expect(plan.tables.unique.length).toBe(2);
    const withDuplicate = { ...model, layers: [...model.layers.slice(0, 1), { ...model.layers[1]!, table: 2 }] };
    const dedup = planGraph(buildGraph(parseModel(withDuplicate)));
    expect(dedup.tables.unique.length).toBe(1);
    expect(dedup.tables.remap).toEqual([0, -1, 0]);
  });

  it("counts operations by kind from the structure", () => {
    const model: ModelFileInput = {
      format: "strongnet-model", version: 1, name: "ops", input: { shape: [1, 1, 4] }, tables: [ramp],
      layers: [
        // 3 literals in 2 groups: 3 lookups, 1 min + 1 max
        { id: "s", kind: "strong", input: "input", neurons: [{ groups: [[{ input: 0, table: 0 }, { input: 1, table: 0 }], [{ input: 2, table: 0 }]] }] },
        { id: "d", kind: "dense", input: "s", units: 5, weights: encodeInt8([1, 2, 3, 4, 5]), bias: [0, 0, 0, 0, 0], requant: { multiplier: 1, shift: 0 }, activation: 0 },
        { id: "a", kind: "argmax", input: "d" },
      ],
      output: "a",
    };
    const plan = planGraph(buildGraph(parseModel(model)));
    expect(plan.layers.map((l) => l.ops)).toEqual([
      { lookups: 3, minmax: 2, macs: 0, requants: 0, compares: 0 },
      { lookups: 5, minmax: 0, macs: 5, requants: 5, compares: 0 },
      { lookups: 0, minmax: 0, macs: 0, requants: 0, compares: 4 },
    ]);
    expect(totalOps(plan.totals)).toBe(3 + 2 + 5 + 5 + 5 + 4);
  });
});

describe("code generation", () => {
  it("is deterministic: two compiles of the same model give byte-identical files", () => {
    for (const seed of [1, 5, 9]) {
      const a = generateC(buildGraph(parseModel(randomModel(seed))));
      const b = generateC(buildGraph(parseModel(JSON.parse(JSON.stringify(randomModel(seed))))));
      expect(b.source).toBe(a.source);
      expect(b.header).toBe(a.header);
    }
  });

  it("emits no floating point, no allocation, no recursion markers, and the documented API", () => {
    const graph = buildGraph(parseModel(randomModel(4)));
    const { source, header } = generateC(graph);
    // in the code, that is: comments may say "double rounding"
    const code = source.replace(/\/\*[\s\S]*?\*\//g, "");
    expect(code).not.toMatch(/\b(float|double|malloc|calloc|realloc|free)\b/);
    expect(header).toContain(`void ${graph.name}_predict(const int8_t *in, int8_t *out);`);
    expect(header).toMatch(new RegExp(`#define ${graph.name.toUpperCase()}_INPUT_SIZE +${shapeSize(graph.inputShape)}\\n`));
    expect(header).toContain(`sha256    ${graph.hash}`);
    // the flash figure in the banner is the sum of the emitted const arrays; an array emitted in
    // several layouts (#if SN_MVE / #elif SN_DSP / #else, the same size each) counts once
    const plan = planGraph(graph);
    const arrays = new Map<string, number>();
    for (const m of source.matchAll(/static const (\w+) (\w+)\[(\d+)\](?:\[(\d+)\])?/g)) {
      const bytes = m[1] === "int32_t" || m[1] === "uint32_t" ? 4 : m[1] === "uint16_t" ? 2 : 1;
      const size = bytes * Number(m[3]) * Number(m[4] ?? 1);
      expect(arrays.get(m[2]!) ?? size).toBe(size);
      arrays.set(m[2]!, size);
    }
    expect([...arrays.values()].reduce((a, b) => a + b, 0)).toBe(plan.constBytes);
  });
});
