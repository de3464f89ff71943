/**
 * bench/kernels.ts without a toolchain, QEMU or CMSIS-NN sources: the parameters it hands to
 * CMSIS-NN (bench/kernels-lib.ts cmsisModel) must make CMSIS-NN's arithmetic equal strongnet's
 * reference interpreter. CMSIS-NN's s8 kernels are simulated here from their C source
 * (arm_nn_requantize in both rounding builds, input_offset, padded taps contributing 0, avgpool's
 * rounded mean), on a tiny shape of each kernel kind. The bench itself runs the real library.
 */
import { describe, expect, it } from "vitest";
import {
  cmsisModel,
  cmsisModelHeader,
  cmsisParamsHeader,
  convModel,
  judge,
  randomInt8,
  renderMarkdown,
  renderSvg,
  rng,
  samePadding,
  steadyInstructions,
  type CmsisLayer,
  type CmsisModel,
  type KernelsReport,
} from "../bench/kernels-lib.js";
import { parseModel } from "../src/format/load.js";
import type { ModelFileInput } from "../src/format/schema.js";
import { buildGraph } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";

// ---------------------------------------------------------------- CMSIS-NN semantics, from its C source

/** arm_nn_requantize with -DCMSIS_NN_USE_SINGLE_ROUNDING: ((v * m) >> (30 - s) + 1) >> 1 (arithmetic shifts). */
function requantizeSingle(v: number, m: number, s: number): number {
  const total = 31n - BigInt(s);
  return Number(((BigInt(v) * BigInt(m)) >> (total - 1n)) + 1n >> 1n);
}

/** arm_nn_requantize, default build: divide_by_power_of_two(doubling_high_mult_no_sat(v << left, m), right). */
function requantizeDouble(v: number, m: number, s: number): number {
  const left = Math.max(s, 0);
  const right = Math.max(-s, 0);
  const high = Number((BigInt(v * 2 ** left) * BigInt(m) + (1n << 30n)) >> 31n);
  if (right === 0) return high;
  const mask = 2 ** right - 1;
  const remainder = ((high % 2 ** right) + 2 ** right) % 2 ** right; // dividend & mask
  const result = Math.floor(high / 2 ** right); // dividend >> exponent
  const threshold = (mask >> 1) + (result < 0 ? 1 : 0);
  return result + (remainder > threshold ? 1 : 0);
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function simulateLayer(l: CmsisLayer, x: Int8Array, rounding: CmsisModel["rounding"]): Int8Array {
  const [ih, iw, ic] = l.in;
  const [oh, ow, oc] = l.out;
  const out = new Int8Array(oh * ow * oc);
  const rq = (acc: number, o: number) => {
    const i = l.multiplier.length === 1 ? 0 : o;
    const q = rounding === "double" ? requantizeDouble(acc, l.multiplier[i]!, l.shift[i]!) : requantizeSingle(acc, l.multiplier[i]!, l.shift[i]!);
    return clamp(q + l.outputOffset, l.actMin, l.actMax);
  };
  if (l.kind === "argmax") {
    let best = 0;
    for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
    out[0] = best;
    return out;
  }
  if (l.kind === "fc") {
    for (let o = 0; o < oc; o++) {
      let acc = l.bias[o]!;
      for (let i = 0; i < x.length; i++) acc += l.weights[o * x.length + i]! * (x[i]! + l.inputOffset);
      out[o] = rq(acc, o);
    }
    return out;
  }
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let o = 0; o < oc; o++) {
        let acc = l.kind === "avgpool" ? 0 : l.bias[o]!;
        let count = 0;
        for (let ky = 0; ky < l.kernel[0]; ky++)
          for (let kx = 0; kx < l.kernel[1]; kx++) {
            const y = oy * l.stride[0] - l.pad[0] + ky * l.dilation[0];
            const xx = ox * l.stride[1] - l.pad[1] + kx * l.dilation[1];
            if (y < 0 || y >= ih || xx < 0 || xx >= iw) continue; // a padded tap adds 0
            const at = (y * iw + xx) * ic;
            if (l.kind === "avgpool") {
              acc += x[at + o]!;
              count++;
            } else if (l.kind === "dw") {
              acc += l.weights[(ky * l.kernel[1] + kx) * oc + o]! * (x[at + Math.floor(o / l.chMult)]! + l.inputOffset);
            } else {
              for (let c = 0; c < ic; c++) acc += l.weights[((o * l.kernel[0] + ky) * l.kernel[1] + kx) * ic + c]! * (x[at + c]! + l.inputOffset);
            }
          }
        const i = (oy * ow + ox) * oc + o;
        if (l.kind === "avgpool") {
          const half = Math.trunc(count / 2);
          out[i] = clamp(Math.trunc((acc > 0 ? acc + half : acc - half) / count), l.actMin, l.actMax);
        } else out[i] = rq(acc, o);
      }
  return out;
}

function simulate(m: CmsisModel, x: Int8Array): Int8Array {
  let v = x;
  for (const l of m.layers) v = simulateLayer(l, v, m.rounding);
  return v;
}

// ---------------------------------------------------------------- tiny models

const b64 = (a: Int8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).toString("base64");
const next = rng(42);
const ints = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo + 1)));

function model(name: string, shape: [number, number, number], layers: unknown[]): ModelFileInput {
  const list = layers as Array<{ id: string }>;
  return { format: "strongnet-model", version: 1, name, input: { shape }, tables: [], layers: list, output: list[list.length - 1]!.id } as unknown as ModelFileInput;
}

const TINY: Record<string, ModelFileInput> = {
  dense_argmax: model("tiny_dense", [1, 1, 6], [
    { id: "fc", input: "input", kind: "dense", units: 4, weights: b64(randomInt8(24, next)), bias: ints(4, -300, 300), requant: { multiplier: 1500000000, shift: 38, offset: 5, min: -20 } },
    { id: "cls", input: "fc", kind: "argmax" },
  ]),
  dense_double_per_channel: model("tiny_dense2", [1, 2, 3], [
    { id: "fc", input: "input", kind: "dense", units: 3, weights: b64(randomInt8(18, next)), bias: ints(3, -300, 300), requant: { multiplier: 1200000000, shift: 37, offset: -1, rounding: "double" }, perChannel: { multiplier: [1200000000, 1900000000, 1100000000], shift: [37, 36, 38] } },
  ]),
  conv_same_stride2: convModel({ name: "tiny_conv", description: "", input: [5, 5, 3], filters: 3, kernel: [3, 3], stride: [2, 2], seed: 3, relu: true }),
  conv_pad_value: model("tiny_conv_pv", [4, 4, 2], [
    { id: "conv", input: "input", kind: "conv2d", filters: 2, kernel: [3, 3], stride: [1, 1], padding: [1, 1, 1, 1], padValue: -7, weights: b64(randomInt8(36, next)), bias: ints(2, -500, 500), requant: { multiplier: 1300000000, shift: 39, offset: 2 } },
  ]),
  depthwise_mult2_double: model("tiny_dw", [4, 4, 2], [
    { id: "dw", input: "input", kind: "depthwise_conv2d", depthMultiplier: 2, kernel: [3, 3], stride: [1, 1], padding: [1, 1, 1, 1], padValue: -128, weights: b64(randomInt8(36, next)), bias: ints(4, -500, 500), requant: { multiplier: 1300000000, shift: 38, offset: -128, rounding: "double" }, perChannel: { multiplier: [1300000000, 1700000000, 1100000000, 2000000000], shift: [38, 37, 38, 39] } },
  ]),
  avgpool_padded: model("tiny_pool", [5, 5, 3], [{ id: "pool", input: "input", kind: "avgpool", pool: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], min: -100, max: 90 }]),
};

describe("bench/kernels: CMSIS-NN parameters from a strongnet model", () => {
  for (const [name, spec] of Object.entries(TINY)) {
    it(`${name}: simulated CMSIS-NN equals the reference interpreter byte for byte`, () => {
      const graph = buildGraph(parseModel(spec));
      const m = cmsisModel(graph);
      const vectors: Int8Array[] = [new Int8Array(graph.inputShape.reduce((a, b) => a * b)).fill(-128), new Int8Array(graph.inputShape.reduce((a, b) => a * b)).fill(127)];
      for (let i = 0; i < 20; i++) vectors.push(randomInt8(vectors[0]!.length, next));
      for (const v of vectors) expect(Array.from(simulate(m, v))).toEqual(Array.from(predict(graph, v)));
    });
  }

  it("folds the pad value into the bias and negates it into input_offset", () => {
    const graph = buildGraph(parseModel(TINY.conv_pad_value!));
    const layer = graph.layers[0]!;
    const l = cmsisModel(graph).layers[0]!;
    expect(l.inputOffset).toBe(7);
    if (layer.kind !== "conv2d") throw new Error("conv2d expected");
    const sum0 = layer.weights.subarray(0, 18).reduce((a, b) => a + b, 0);
    expect(l.bias[0]).toBe(layer.bias[0]! - 7 * sum0);
    expect(Array.from(l.shift)).toEqual([31 - 39, 31 - 39]);
  });

  it("picks one rounding build per model and refuses a model mixing both", () => {
    expect(cmsisModel(buildGraph(parseModel(TINY.dense_argmax!))).rounding).toBe("single");
    expect(cmsisModel(buildGraph(parseModel(TINY.depthwise_mult2_double!))).rounding).toBe("double");
    expect(cmsisModel(buildGraph(parseModel(TINY.avgpool_padded!))).rounding).toBe("none");
    const mixed = model("tiny_mixed", [1, 1, 4], [
      { id: "a", input: "input", kind: "dense", units: 2, weights: b64(randomInt8(8, next)), bias: [0, 0], requant: { multiplier: 1 << 30, shift: 36 } },
      { id: "b", input: "a", kind: "dense", units: 2, weights: b64(randomInt8(4, next)), bias: [0, 0], requant: { multiplier: 1 << 30, shift: 36, rounding: "double" } },
    ]);
    expect(() => cmsisModel(buildGraph(parseModel(mixed)))).toThrow(/mixes single and double/);
  });

  it("writes the parameter and model headers the C harness includes", () => {
    const m = cmsisModel(buildGraph(parseModel(TINY.dense_argmax!)));
    const h = cmsisParamsHeader(m, "tiny");
    expect(h).toContain("#define BENCH_LAYER_COUNT 2");
    expect(h).toContain("#define BENCH_HAS_FC 1");
    expect(h).toContain("#define BENCH_HAS_ARGMAX 1");
    expect(h).toContain("#define BENCH_HAS_CONV 0");
    expect(h).toMatch(/static const int8_t bench_w0\[24\] = \{/);
    expect(h).toMatch(/static const int32_t bench_m0\[1\] = \{\n {4}1500000000\n\};/);
    expect(h).toMatch(/\{ BENCH_ARGMAX, \{1, 1, 4\}, \{1, 1, 1\}/);
    const mh = cmsisModelHeader("cmsisnn", m);
    expect(mh).toContain("#define CMSISNN_INPUT_SIZE 6");
    expect(mh).toContain("#define CMSISNN_OUTPUT_SIZE 1");
    expect(mh).toContain("#define CMSISNN_LAYER_COUNT 2");
  });
});

describe("bench/kernels: shapes and results", () => {
  it("SAME padding as TFLite computes it", () => {
    expect(samePadding([28, 28], [3, 3], [2, 2])).toEqual([0, 0, 1, 1]);
    expect(samePadding([14, 14], [3, 3], [1, 1])).toEqual([1, 1, 1, 1]);
    const g = buildGraph(parseModel(convModel({ name: "c", description: "", input: [28, 28, 1], filters: 8, kernel: [3, 3], stride: [2, 2], seed: 1 })));
    expect(g.outputShape).toEqual([14, 14, 8]);
  });

  it("drops the warm-up vector and judges each row against its core's goal", () => {
    expect(steadyInstructions([900, 100, 102])).toBe(101);
    expect(steadyInstructions([100])).toBe(100);
    const side = (instructions: number) => ({ instructions, flash: { code: 10, data: 5 } });
    const m4 = judge({ board: "b", core: "cortex-m4", strongnet: side(80), reference: { ...side(100), source: "cmsis-nn" }, agree: true });
    expect(m4).toMatchObject({ ratio: 0.8, goal: 0.8, met: true });
    const m0 = judge({ board: "b", core: "cortex-m0", strongnet: side(110), reference: { ...side(100), source: "cmsis-nn" }, agree: true });
    expect(m0).toMatchObject({ goal: 1, met: false });
    const wrong = judge({ board: "b", core: "cortex-m7", strongnet: side(10), reference: { ...side(100), source: "cmsis-nn" }, agree: false });
    expect(wrong.met).toBe(false);
    expect(judge({ board: "b", core: "cortex-m4", strongnet: side(10) }).ratio).toBeUndefined();
  });

  it("renders the markdown table and the SVG chart", () => {
    const side = (instructions: number) => ({ instructions, flash: { code: 100, data: 50 } });
    const report: KernelsReport = {
      date: "2025-01-01",
      cmsisNn: "CMSIS-NN @ test",
      vectors: 3,
      boards: [{ name: "m4", core: "cortex-m4" }],
      skippedCores: ["cortex-m33"],
      shapes: [
        { id: "conv", title: "conv 3x3", kind: "conv2d", cells: [judge({ board: "m4", core: "cortex-m4", strongnet: side(150), reference: { ...side(100), source: "cmsis-nn" }, agree: true })] },
        { id: "model-x", title: "model x", kind: "model", cells: [{ board: "m4", core: "cortex-m4", strongnet: side(5), agree: true, note: "CMSIS-NN n/a" }] },
      ],
    };
    const md = renderMarkdown(report);
    expect(md).toContain("| conv 3x3 | M4 | 150 | 100 | 1.50 | <= 0.8 NOT met | 150 (100 + 50) | 150 (100 + 50) | yes |  |");
    expect(md).toContain("| model x | M4 | 5 | n/a | n/a | n/a | 150 (100 + 50) | n/a | yes | CMSIS-NN n/a |");
    expect(md).toContain("Not measured (no board with that core in boards/): cortex-m33.");
    expect(md).toContain("0 of 1 measured rows meet the goal.");
    const svg = renderSvg(report);
    expect(svg).toContain("<svg");
    expect(svg).toContain("1.50 NOT met");
    expect((svg.match(/class="bar"/g) ?? []).length).toBe(1);
  });
});
