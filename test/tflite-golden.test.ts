/**
 * Known-answer tests against the TFLite interpreter: CMSIS-NN's unit-test data (copied with a
 * provenance README to test/fixtures/cmsis-nn-testdata/) holds, per case, one int8 layer's
 * parameters, an input and `output_ref`, the TFLite interpreter's output. Each case becomes a
 * one-layer strongnet model (conv2d, depthwise_conv2d, dense, avgpool, maxpool), and both the
 * reference interpreter and the generated C (gcc and clang, UBSan + ASan) must reproduce
 * output_ref exactly, batch by batch.
 *
 * The C of a family's cases is linked into one executable per compiler (each generated model
 * only exports `<name>_predict`), with a small harness that runs the case named on its command
 * line over the vectors on stdin: one host build per case (test/helpers/host-c.ts's buildHost)
 * would spend about a minute compiling and linking 108 sanitized executables.
 *
 * The mapping, from TFLite's quantized kernels to strongnet's fields:
 * - requantization: TFLite's Q31 multiplier and exponent e (positive = left shift) with its
 *   default double rounding are `{ multiplier, shift: 31 - e, rounding: "double" }`; the output
 *   zero point (OUTPUT_OFFSET) is the offset, the fused activation range the min/max.
 * - input zero point zp = -INPUT_OFFSET: TFLite computes bias + sum w * (x - zp); strongnet
 *   computes bias + sum w * x, so the bias becomes bias - zp * sum w (per output), and padded
 *   reads see padValue = zp, contributing w * (zp - zp) = 0 as in TFLite.
 * - padding: CMSIS-NN gives top (PAD_Y) and left (PAD_X); bottom and right are whatever makes
 *   the output as large as OUTPUT_H x OUTPUT_W, which the test then checks against strongnet.
 *
 * Softmax's golden case is in test/softmax.test.ts. The cases strongnet cannot express yet are
 * listed, with the reason, in the fixture README.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import { parseModel } from "../src/format/load.js";
import type { ModelFileInput } from "../src/format/schema.js";
import { buildGraph, encodeInt8, shapeSize, type Graph, type Shape } from "../src/ir/index.js";
import { predict, runTrace } from "../src/reference/interpreter.js";
import { readCmsisTestData, type CmsisTestData } from "./helpers/cmsis-testdata.js";
import { SANITIZE_FLAGS, STRICT_FLAGS } from "./helpers/host-c.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "cmsis-nn-testdata");

type LayerSpec = ModelFileInput["layers"][number];

interface GoldenCase {
  name: string;
  graph: Graph;
  /** the output shape CMSIS-NN's config states, [OUTPUT_H, OUTPUT_W, OUT_CH] */
  expectedShape: Shape;
  /** one input per batch */
  inputs: Int8Array[];
  /** output_ref, one slice per batch */
  expected: number[][];
}

const FAMILIES = {
  conv2d: [
    "basic",
    "conv_1_x_n_1",
    "conv_1_x_n_2",
    "conv_1_x_n_3",
    "conv_1_x_n_4",
    "conv_1_x_n_5",
    "conv_1_x_n_6_generic",
    "conv_1_x_n_7",
    "conv_1_x_n_8",
    "conv_2",
    "conv_2x2_dilation",
    "conv_2x2_dilation_5x5_input",
    "conv_2x3_dilation",
    "conv_3",
    "conv_3x2_dilation",
    "conv_3x3_dilation_5x5_input",
    "conv_4",
    "conv_5",
    "conv_dilation_golden",
    "kernel1x1",
    "kernel1x1_stride_x",
    "kernel1x1_stride_x_y",
    "kernel1x1_stride_x_y_1",
    "kernel1x1_stride_x_y_2",
  ],
  depthwise_conv2d: [
    "depthwise_2",
    "depthwise_dilation",
    "depthwise_eq_in_out_ch",
    "depthwise_kernel_3x3",
    "depthwise_kernel_3x3_null_bias",
    "depthwise_mult_batches",
    "depthwise_null_bias_0",
    "depthwise_null_bias_1",
    "depthwise_sub_block",
    "depthwise_x_stride",
    "in_ch_one_out_ch_larger_one",
  ],
  dense: ["fc_per_ch", "fully_connected", "fully_connected_mve_0", "fully_connected_mve_1", "fully_connected_null_bias_0"],
  avgpool: ["avgpooling", "avgpooling_1", "avgpooling_2", "avgpooling_3", "avgpooling_4", "avgpooling_5"],
  maxpool: ["maxpooling", "maxpooling_1", "maxpooling_2", "maxpooling_3", "maxpooling_4", "maxpooling_5", "maxpooling_6", "maxpooling_7"],
} as const;

type Family = keyof typeof FAMILIES;

/** TFLite's requantization in strongnet's form; the default range is left out. */
function requant(multiplier: number, tfliteShift: number, offset: number, min: number, max: number) {
  return { multiplier, shift: 31 - tfliteShift, offset, rounding: "double" as const, ...(min !== -128 ? { min } : {}), ...(max !== 127 ? { max } : {}) };
}

/** bottom (or right) padding that makes `out` windows fit: max(0, (out - 1) * stride + span - in - top). */
function trailingPad(input: number, output: number, kernel: number, stride: number, dilation: number, leading: number): number {
  return Math.max(0, (output - 1) * stride + (kernel - 1) * dilation + 1 - input - leading);
}

/**
 * The requantization of a case with one multiplier and shift per output channel (output_mult,
 * output_shift); `requant` carries channel 0's, which perChannel replaces, and the common fields.
 */
function perChannelRequant(t: CmsisTestData, channels: number) {
  const multiplier = need(t, "output_mult", channels);
  const tfliteShift = need(t, "output_shift", channels);
  return {
    requant: requant(multiplier[0]!, tfliteShift[0]!, t.define("OUTPUT_OFFSET"), t.define("OUT_ACTIVATION_MIN"), t.define("OUT_ACTIVATION_MAX")),
    perChannel: { multiplier, shift: tfliteShift.map((e) => 31 - e) },
  };
}

function need(t: CmsisTestData, array: string, length: number): number[] {
  const values = t.array(array);
  if (!values) throw new Error(`${t.name}: no array ${t.name}_${array}`);
  if (values.length !== length) throw new Error(`${t.name}: ${array} has ${values.length} values, expected ${length}`);
  return values;
}

/** bias - zp * sum of each output's weights (the input zero point folded in); no bias is 0. */
function foldedBias(t: CmsisTestData, outputs: number, zp: number, weightsOf: (o: number) => number[]): number[] {
  const bias = t.array("biases") ?? new Array<number>(outputs).fill(0);
  if (bias.length !== outputs) throw new Error(`${t.name}: ${bias.length} biases for ${outputs} outputs`);
  return bias.map((b, o) => b - zp * weightsOf(o).reduce((s, w) => s + w, 0));
}

function oneLayerModel(name: string, shape: Shape, layer: LayerSpec): ModelFileInput {
  return { format: "strongnet-model", version: 1, name: `golden_${name}`, input: { shape: [...shape] }, tables: [], layers: [layer], output: layer.id };
}

/** Splits the golden input and output_ref into batches and builds the case. */
function goldenCase(t: CmsisTestData, model: ModelFileInput, batches: number, input: number[], output: number[], expectedShape: Shape): GoldenCase {
  const graph = buildGraph(parseModel(model));
  const inSize = shapeSize(graph.inputShape);
  const outSize = shapeSize(expectedShape);
  if (input.length !== batches * inSize) throw new Error(`${t.name}: input has ${input.length} values, expected ${batches} x ${inSize}`);
  if (output.length !== batches * outSize) throw new Error(`${t.name}: output_ref has ${output.length} values, expected ${batches} x ${outSize}`);
  const batch = (values: number[], size: number, b: number) => values.slice(b * size, (b + 1) * size);
  return {
    name: t.name,
    graph,
    expectedShape,
    inputs: Array.from({ length: batches }, (_, b) => Int8Array.from(batch(input, inSize, b))),
    expected: Array.from({ length: batches }, (_, b) => batch(output, outSize, b)),
  };
}

function convCase(t: CmsisTestData): GoldenCase {
  const [inCh, outCh] = [t.define("IN_CH"), t.define("OUT_CH")];
  const [h, w] = [t.define("INPUT_H"), t.define("INPUT_W")];
  const [oh, ow] = [t.define("OUTPUT_H"), t.define("OUTPUT_W")];
  const kernel: [number, number] = [t.define("FILTER_Y"), t.define("FILTER_X")];
  const stride: [number, number] = [t.define("STRIDE_Y"), t.define("STRIDE_X")];
  const dilation: [number, number] = [t.define("DILATION_Y"), t.define("DILATION_X")];
  const [top, left] = [t.define("PAD_Y"), t.define("PAD_X")];
  const padding: [number, number, number, number] = [
    top,
    left,
    trailingPad(h, oh, kernel[0], stride[0], dilation[0], top),
    trailingPad(w, ow, kernel[1], stride[1], dilation[1], left),
  ];
  const zp = -t.define("INPUT_OFFSET");
  const perFilter = kernel[0] * kernel[1] * inCh;
  const weights = need(t, "weights", outCh * perFilter); // [out][ky][kx][in], as strongnet's conv2d
  const layer: LayerSpec = {
    id: "conv",
    kind: "conv2d",
    input: "input",
    filters: outCh,
    kernel,
    stride,
    ...(dilation[0] !== 1 || dilation[1] !== 1 ? { dilation } : {}),
    padding,
    padValue: zp,
    weights: encodeInt8(weights),
    bias: foldedBias(t, outCh, zp, (f) => weights.slice(f * perFilter, (f + 1) * perFilter)),
    ...perChannelRequant(t, outCh),
  };
  const batches = t.define("INPUT_BATCHES");
  const model = oneLayerModel(t.name, [h, w, inCh], layer);
  return goldenCase(t, model, batches, need(t, "input", batches * h * w * inCh), need(t, "output_ref", batches * oh * ow * outCh), [oh, ow, outCh]);
}

function depthwiseCase(t: CmsisTestData): GoldenCase {
  const [inCh, outCh, mult] = [t.define("IN_CH"), t.define("OUT_CH"), t.define("CH_MULT")];
  if (outCh !== inCh * mult) throw new Error(`${t.name}: OUT_CH ${outCh} is not IN_CH ${inCh} x CH_MULT ${mult}`);
  const [h, w] = [t.define("INPUT_H"), t.define("INPUT_W")];
  const [oh, ow] = [t.define("OUTPUT_H"), t.define("OUTPUT_W")];
  const kernel: [number, number] = [t.define("FILTER_Y"), t.define("FILTER_X")];
  const stride: [number, number] = [t.define("STRIDE_Y"), t.define("STRIDE_X")];
  const dilation: [number, number] = [t.define("DILATION_Y"), t.define("DILATION_X")];
  const [top, left] = [t.define("PAD_Y"), t.define("PAD_X")];
  const padding: [number, number, number, number] = [
    top,
    left,
    trailingPad(h, oh, kernel[0], stride[0], dilation[0], top),
    trailingPad(w, ow, kernel[1], stride[1], dilation[1], left),
  ];
  const zp = -t.define("INPUT_OFFSET");
  const taps = kernel[0] * kernel[1];
  const weights = need(t, "weights", taps * outCh); // [1][ky][kx][out], TFLite's and strongnet's layout
  const layer: LayerSpec = {
    id: "dwconv",
    kind: "depthwise_conv2d",
    input: "input",
    depthMultiplier: mult,
    kernel,
    stride,
    ...(dilation[0] !== 1 || dilation[1] !== 1 ? { dilation } : {}),
    padding,
    padValue: zp,
    weights: encodeInt8(weights),
    bias: foldedBias(t, outCh, zp, (o) => Array.from({ length: taps }, (_, k) => weights[k * outCh + o]!)),
    ...perChannelRequant(t, outCh),
  };
  const batches = t.define("INPUT_BATCHES");
  const model = oneLayerModel(t.name, [h, w, inCh], layer);
  return goldenCase(t, model, batches, need(t, "input", batches * h * w * inCh), need(t, "output_ref", batches * oh * ow * outCh), [oh, ow, outCh]);
}

function denseCase(t: CmsisTestData): GoldenCase {
  const units = t.define("OUT_CH");
  const depth = t.define("ACCUMULATION_DEPTH");
  // a non-zero weight zero point (FILTER_OFFSET) is not expressible: those cases are not listed
  if ((t.word("FILTER_OFFSET") ?? "0") !== "0") throw new Error(`${t.name}: weight zero point ${t.word("FILTER_OFFSET")}`);
  // the input as TFLite's tensor when its shape is given, flattened by the dense layer
  const [h, w, c] = [t.define("INPUT_H"), t.define("INPUT_W"), t.define("IN_CH")];
  const shape: Shape = h * w * c === depth ? [h, w, c] : [1, 1, depth];
  const zp = -t.define("INPUT_OFFSET");
  const weights = need(t, "weights", units * depth); // [units][inputs]
  // per-tensor (OUTPUT_MULTIPLIER, OUTPUT_SHIFT) or, in fc_per_ch, per-channel arrays
  const requantization =
    t.word("OUTPUT_MULTIPLIER") !== undefined
      ? { requant: requant(t.define("OUTPUT_MULTIPLIER"), t.define("OUTPUT_SHIFT"), t.define("OUTPUT_OFFSET"), t.define("OUT_ACTIVATION_MIN"), t.define("OUT_ACTIVATION_MAX")) }
      : perChannelRequant(t, units);
  const layer: LayerSpec = {
    id: "fc",
    kind: "dense",
    input: "input",
    units,
    weights: encodeInt8(weights),
    bias: foldedBias(t, units, zp, (u) => weights.slice(u * depth, (u + 1) * depth)),
    ...requantization,
  };
  const batches = t.define("INPUT_BATCHES");
  return goldenCase(t, oneLayerModel(t.name, shape, layer), batches, need(t, "input", batches * depth), need(t, "output_ref", batches * units), [1, 1, units]);
}

function poolCase(t: CmsisTestData, kind: "avgpool" | "maxpool"): GoldenCase {
  const [h, w, c] = [t.define("INPUT_H"), t.define("INPUT_W"), t.define("INPUT_C")];
  const [oh, ow, oc] = [t.define("OUTPUT_H"), t.define("OUTPUT_W"), t.define("OUTPUT_C")];
  if (oc !== c) throw new Error(`${t.name}: pooling changes the channels ${c} -> ${oc}`);
  const pool: [number, number] = [t.define("FILTER_H"), t.define("FILTER_W")];
  const stride: [number, number] = [t.define("STRIDE_H"), t.define("STRIDE_W")];
  const [top, left] = [t.define("PADDING_H"), t.define("PADDING_W")];
  const padding: [number, number, number, number] = [top, left, trailingPad(h, oh, pool[0], stride[0], 1, top), trailingPad(w, ow, pool[1], stride[1], 1, left)];
  if (t.word("PAD") === "VALID" && padding.some((p) => p !== 0)) throw new Error(`${t.name}: VALID pooling with padding ${padding.join(", ")}`);
  const [min, max] = [t.define("ACTIVATION_MIN"), t.define("ACTIVATION_MAX")];
  const layer: LayerSpec = { id: "pool", kind, input: "input", pool, stride, padding, ...(min !== -128 ? { min } : {}), ...(max !== 127 ? { max } : {}) };
  const batches = t.define("BATCH_SIZE");
  return goldenCase(t, oneLayerModel(t.name, [h, w, c], layer), batches, need(t, "input_tensor", batches * h * w * c), need(t, "output", batches * oh * ow * oc), [oh, ow, oc]);
}

const BUILDERS: Record<Family, (t: CmsisTestData) => GoldenCase> = {
  conv2d: convCase,
  depthwise_conv2d: depthwiseCase,
  dense: denseCase,
  avgpool: (t) => poolCase(t, "avgpool"),
  maxpool: (t) => poolCase(t, "maxpool"),
};

/** "" when equal, else the first differing index with expected and got (and how many differ). */
function difference(expected: readonly number[], got: ArrayLike<number>): string {
  if (got.length !== expected.length) return `length ${got.length}, expected ${expected.length}`;
  const differing = expected.flatMap((e, i) => (got[i] !== e ? [i] : []));
  if (differing.length === 0) return "";
  const i = differing[0]!;
  return `${differing.length} of ${expected.length} values differ; first at index ${i}: expected ${expected[i]}, got ${got[i]}`;
}

function batchDifferences(c: GoldenCase, outputs: ArrayLike<number>[]): string[] {
  return c.expected.flatMap((expected, b) => {
    const diff = difference(expected, outputs[b]!);
    return diff === "" ? [] : [`${c.name}, batch ${b}: ${diff}`];
  });
}

/**
 * Builds every case's generated C and a harness into one sanitized executable: `exe <index>`
 * runs case `index` on the int8 vectors on stdin, writing each output. Input and output live
 * in buffers of their exact size on the heap, so ASan sees any read or write past them.
 */
function buildFamily(cases: GoldenCase[], compiler: string): string {
  const dir = mkdtempSync(join(tmpdir(), "strongnet-golden-"));
  const sources = cases.map((c) => {
    const { source, header } = generateC(c.graph);
    writeFileSync(join(dir, `${c.graph.name}.h`), header);
    writeFileSync(join(dir, `${c.graph.name}.c`), source);
    return join(dir, `${c.graph.name}.c`);
  });
  const upper = (c: GoldenCase) => c.graph.name.toUpperCase();
  const harness = [
    "#include <stdio.h>",
    "#include <stdlib.h>",
    ...cases.map((c) => `#include "${c.graph.name}.h"`),
    "",
    "struct golden_case {",
    "    void (*predict)(const int8_t *in, int8_t *out);",
    "    size_t input_size;",
    "    size_t output_size;",
    "};",
    "",
    "static const struct golden_case cases[] = {",
    ...cases.map((c) => `    { ${c.graph.name}_predict, ${upper(c)}_INPUT_SIZE, ${upper(c)}_OUTPUT_SIZE },`),
    "};",
    "",
    "int main(int argc, char **argv)",
    "{",
    "    long index = argc == 2 ? strtol(argv[1], NULL, 10) : -1;",
    "    if (index < 0 || index >= (long)(sizeof cases / sizeof cases[0])) {",
    "        return 3;",
    "    }",
    "    {",
    "        const struct golden_case *c = &cases[index];",
    "        int8_t *input = malloc(c->input_size);",
    "        int8_t *output = malloc(c->output_size);",
    "        int status = 0;",
    "        if (input == NULL || output == NULL) {",
    "            return 4;",
    "        }",
    "        while (fread(input, 1, c->input_size, stdin) == c->input_size) {",
    "            c->predict(input, output);",
    "            if (fwrite(output, 1, c->output_size, stdout) != c->output_size) {",
    "                status = 2;",
    "                break;",
    "            }",
    "        }",
    "        if (status == 0 && ferror(stdin)) {",
    "            status = 1;",
    "        }",
    "        free(input);",
    "        free(output);",
    "        return status;",
    "    }",
    "}",
    "",
  ].join("\n");
  writeFileSync(join(dir, "harness.c"), harness);
  const exe = join(dir, "golden");
  execFileSync(compiler, [...STRICT_FLAGS, ...SANITIZE_FLAGS, "-o", exe, ...sources, join(dir, "harness.c")], { stdio: ["ignore", "pipe", "pipe"] });
  return exe;
}

/** Runs case `index` of a family executable on the case's batches; one output per batch. */
function runCase(exe: string, index: number, c: GoldenCase): Int8Array[] {
  const input = Buffer.concat(c.inputs.map((v) => Buffer.from(v.buffer, v.byteOffset, v.length)));
  const out = execFileSync(exe, [String(index)], { input, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } });
  const size = shapeSize(c.graph.outputShape);
  if (out.length !== size * c.inputs.length) throw new Error(`${c.name}: the harness wrote ${out.length} bytes, expected ${c.inputs.length} x ${size}`);
  const bytes = new Int8Array(out.buffer, out.byteOffset, out.length);
  return c.inputs.map((_, b) => bytes.slice(b * size, (b + 1) * size));
}

describe.each(Object.keys(FAMILIES) as Family[])("TFLite golden data, %s", (family) => {
  const cases = FAMILIES[family].map((name) => BUILDERS[family](readCmsisTestData(join(FIXTURES, name))));

  it.each(cases.map((c) => [c.name, c] as const))("%s: the output shape is CMSIS-NN's and the reference reproduces output_ref exactly", (_name, c) => {
    expect(c.graph.layers).toHaveLength(1);
    expect(c.graph.layers[0]!.kind).toBe(family);
    expect(c.graph.outputShape).toEqual(c.expectedShape);
    expect(batchDifferences(c, c.inputs.map((input) => predict(c.graph, input)))).toEqual([]);
  });

  it.each(["gcc", "clang"])("the generated C built with %s (UBSan + ASan) reproduces output_ref of every case exactly", (compiler) => {
    const exe = buildFamily(cases, compiler);
    const differences = cases.flatMap((c, index) => {
      const got = runCase(exe, index, c);
      // the C agrees with the reference too, whatever the golden data says
      c.inputs.forEach((input, b) => expect(got[b], `${c.name}, batch ${b}: C vs reference`).toEqual(runTrace(c.graph, input).output));
      return batchDifferences(c, got);
    });
    expect(differences).toEqual([]);
  });
});

describe("the golden fixtures", () => {
  it("every copied case folder is tested (softmax in test/softmax.test.ts, add in test/add.test.ts)", () => {
    const tested = Object.values(FAMILIES).flat();
    const folders = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.filter((f) => f !== "softmax" && f !== "add").sort()).toEqual([...tested].sort());
  });
});
