/**
 * TFLite import, checked against what the models' authors expect (not against strongnet's own
 * reference alone): TFLite Micro's hello_world test (sin(x) within 0.05 at its four golden
 * inputs) and its float twin; TFLite Micro's person_detection test (the person score wins on
 * person.bmp and loses on no_person.bmp); the operator lists of the model README; and the
 * refusal of what strongnet cannot import yet, listed up front.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ModelError } from "../src/format/errors.js";
import { loadModelFile } from "../src/format/load.js";
import { generateC } from "../src/codegen/index.js";
import { convertTflite } from "../src/import/tflite/convert.js";
import { readTflite, readTfliteFile } from "../src/import/tflite/read.js";
import * as fb from "../src/import/tflite/schema/schema_generated.js";
import { parseModel } from "../src/format/load.js";
import { buildTflite } from "./helpers/tflite-builder.js";
import { buildGraph, type Graph } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "tflite");
const fixture = (name: string) => join(FIXTURES, name);
const load = (name: string) => {
  const model = loadModelFile(fixture(name));
  return { model, graph: buildGraph(model) };
};
const quantization = (graph: Graph, which: "inputQuantization" | "outputQuantization") =>
  graph.metadata![which] as { scale: number; zeroPoint: number };

describe("TFLite models import into the layers the README lists", () => {
  it.each([
    ["hello_world_int8.tflite", ["dense", "dense", "dense"], [1, 1, 1]],
    ["micro_speech_quantized.tflite", ["reshape", "depthwise_conv2d", "dense", "softmax"], [1, 1, 1960]],
    ["tiny_kws_ref_model_int8.tflite", ["conv2d", ...Array(8).fill(0).map((_, i) => (i % 2 ? "conv2d" : "depthwise_conv2d")), "avgpool", "reshape", "dense", "softmax"], [49, 10, 1]],
  ])("%s", (name, kinds, inputShape) => {
    const { graph } = load(name);
    expect(graph.layers.map((l) => l.kind)).toEqual(kinds);
    expect(graph.inputShape).toEqual(inputShape);
  });

  it("person_detect: 14 conv2d and 14 depthwise layers, one average pooling, reshape and softmax at the end", () => {
    const { graph } = load("person_detect.tflite");
    const count = (k: string) => graph.layers.filter((l) => l.kind === k).length;
    expect(count("conv2d") + count("depthwise_conv2d")).toBe(28);
    expect(count("depthwise_conv2d")).toBe(14);
    expect(count("avgpool")).toBe(1);
    // the classifier is a 1x1 convolution after the pooling
    expect(graph.layers.slice(-4).map((l) => l.kind)).toEqual(["avgpool", "conv2d", "reshape", "softmax"]);
    expect(graph.outputShape).toEqual([1, 1, 2]);
  });

  it("micro_speech: the depthwise layer has multiplier 8, stride 2, SAME padding, ReLU and per-channel scales", () => {
    const dw = load("micro_speech_quantized.tflite").graph.layers[1]!;
    if (dw.kind !== "depthwise_conv2d") throw new Error("expected a depthwise layer");
    expect(dw.depthMultiplier).toBe(8);
    expect(dw.stride).toEqual([2, 2]);
    // SAME: 49x40 -> 25x20 with a 10x8 kernel: total padding 9 rows (4 + 5) and 6 columns (3 + 3)
    expect(dw.padding).toEqual([4, 3, 5, 3]);
    expect(dw.perChannel?.multiplier.length).toBe(8);
    // ReLU: the range starts at the output zero point (-128 here, so the int8 clamp is the ReLU)
    expect(dw.requant.offset).toBe(-128);
    expect(dw.requant.min ?? -128).toBe(dw.requant.offset);
  });

  it("simple_add_model: two inputs become two slices of one input buffer, added with their own scales", () => {
    const { graph } = load("simple_add_model.tflite");
    expect(graph.layers.map((l) => l.kind)).toEqual(["slice", "slice", "add"]);
    expect(graph.inputShape).toEqual([1, 1, 2 * 128 * 128]);
    const inputs = graph.metadata!.inputs as { offset: number; size: number; scale: number }[];
    expect(inputs.map((i) => [i.offset, i.size])).toEqual([[0, 16384], [16384, 16384]]);
    expect(inputs[0]!.scale).not.toBe(inputs[1]!.scale);
    const add = graph.layers[2]!;
    if (add.kind !== "add") throw new Error("expected an add layer");
    // the input with the larger scale is rescaled by one half: 2^30 / 2^31
    expect([add.first, add.second].some((o) => o.multiplier === 2 ** 30 && o.shift === 31)).toBe(true);
  });

  it("records every layer's output tensor and quantization for the report", () => {
    const { graph } = load("micro_speech_quantized.tflite");
    const tensors = graph.metadata!.tensors as Record<string, { tensor: string; scale: number; zeroPoint: number }>;
    expect(Object.keys(tensors).sort()).toEqual(graph.layers.map((l) => l.id).sort());
    // the depthwise layer writes the tensor "Relu" (s = 0.0841870, zp = -128), the softmax "labels_softmax" (1/256, -128)
    expect(tensors.depthwise_conv_2d_1!.tensor).toBe("Relu");
    expect(tensors.depthwise_conv_2d_1!.scale).toBeCloseTo(0.084187, 6);
    expect(tensors.softmax_3).toEqual({ tensor: "labels_softmax", scale: 1 / 256, zeroPoint: -128 });
  });

  it("keeps the input and output quantization in the metadata", () => {
    const { graph } = load("tiny_kws_ref_model_int8.tflite");
    expect(quantization(graph, "inputQuantization").zeroPoint).toBe(83);
    expect(quantization(graph, "inputQuantization").scale).toBeCloseTo(0.584703, 6);
  });
});

describe("hello_world_int8 computes sin(x) like TFLite Micro's test and its float twin", () => {
  const { graph } = load("hello_world_int8.tflite");
  const inQ = quantization(graph, "inputQuantization");
  const outQ = quantization(graph, "outputQuantization");
  const run = (q: number) => (predict(graph, Int8Array.of(q))[0]! - outQ.zeroPoint) * outQ.scale;

  it("is within 0.05 of sin(x) at the golden inputs of hello_world_test.cc", () => {
    const golden: [number, number][] = [[0.77, -96], [1.57, -63], [2.3, -34], [3.14, 0]];
    for (const [x, q] of golden) expect(Math.abs(run(q) - Math.sin(x)), `x = ${x}`).toBeLessThanOrEqual(0.05);
  });

  it("tracks sin(x) over [0, 2 pi] within one output step of its float twin's mean error", () => {
    const twin = floatMlp(readTfliteFile(fixture("hello_world_float.tflite")));
    const n = 1001;
    let floatError = 0;
    let int8Error = 0;
    for (let k = 0; k < n; k++) {
      const x = (2 * Math.PI * k) / (n - 1);
      const q = Math.max(-128, Math.min(127, Math.round(x / inQ.scale) + inQ.zeroPoint));
      floatError += Math.abs(twin(x) - Math.sin(x)) / n;
      int8Error += Math.abs(run(q) - Math.sin(x)) / n;
    }
    expect(floatError).toBeLessThan(0.05);
    expect(int8Error - floatError).toBeLessThanOrEqual(outQ.scale * 2);
  });
});

describe("person_detect agrees with TFLite Micro's person_detection test", () => {
  const { graph } = load("person_detect.tflite");
  // output index 1 is "person", 0 "no person" (model_settings.h)
  const scores = (bmp: string) => predict(graph, bmpAsInt8(fixture(bmp)));

  it("the person score wins on person.bmp", () => {
    const [noPerson, person] = scores("person_detect.person.bmp");
    expect(person!).toBeGreaterThan(noPerson!);
  });

  it("and loses on no_person.bmp", () => {
    const [noPerson, person] = scores("person_detect.no_person.bmp");
    expect(person!).toBeLessThan(noPerson!);
  });
});

describe("what cannot be imported yet is listed up front, exit 2", () => {

  it("float models name their FLOAT32 tensors", () => {
    const err = (() => {
      try {
        loadModelFile(fixture("hello_world_float.tflite"));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).message).toMatch(/tensor type FLOAT32 x\d+: "/);
  });

  it("strongnet import exits 2 with the list, and writes nothing", () => {
    const cli = join(import.meta.dirname, "..", "bin", "strongnet.js");
    let status = 0;
    let stderr = "";
    try {
      execFileSync("node", [cli, "import", fixture("hello_world_float.tflite"), "-o", "/nonexistent-dir/x.json"], { stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/tensor type FLOAT32 x\d+/);
  });
});

/** The float twin's MLP, evaluated directly from its float32 weights (FULLY_CONNECTED, ReLU). */
function floatMlp(g: ReturnType<typeof readTfliteFile>): (x: number) => number {
  const floats = (i: number) => new Float32Array(g.tensors[i]!.data!.slice().buffer);
  return (x: number) => {
    let v = Float32Array.of(x);
    for (const op of g.operators) {
      const w = floats(op.inputs[1]!);
      const b = floats(op.inputs[2]!);
      const out = new Float32Array(b.length);
      for (let u = 0; u < b.length; u++) {
        let s = b[u]!;
        for (let i = 0; i < v.length; i++) s += w[u * v.length + i]! * v[i]!;
        out[u] = op.options.fusedActivationFunction === "RELU" ? Math.max(0, s) : s;
      }
      v = out;
    }
    return v[0]!;
  };
}

/**
 * A 96x96 8-bit palette BMP as TFLite Micro's test feeds it: the palette indices row by row from
 * the top (PIL's tobytes, as generate_cc_arrays.py writes them) copied into the int8 input, so
 * index 200 is the int8 value -56.
 */
function bmpAsInt8(path: string): Int8Array {
  const bmp = readFileSync(path);
  const offset = bmp.readUInt32LE(10);
  const width = bmp.readInt32LE(18);
  const height = bmp.readInt32LE(22);
  expect([width, Math.abs(height), bmp.readUInt16LE(28)]).toEqual([96, 96, 8]);
  const rowBytes = Math.ceil(width / 4) * 4;
  const out = new Int8Array(width * Math.abs(height));
  for (let y = 0; y < Math.abs(height); y++) {
    const src = height > 0 ? Math.abs(height) - 1 - y : y; // positive height: stored bottom-up
    for (let x = 0; x < width; x++) out[y * width + x] = (bmp[offset + src * rowBytes + x]! << 24) >> 24;
  }
  return out;
}

describe("the generated header states the imported input and output quantization", () => {
  it("as INPUT_SCALE / INPUT_ZERO_POINT and OUTPUT_SCALE / OUTPUT_ZERO_POINT macros", () => {
    const { graph } = load("hello_world_int8.tflite");
    const { header } = generateC(graph);
    const macro = (name: string) => header.match(new RegExp(`#define HELLO_WORLD_INT8_${name} +(\\S+)`))?.[1];
    // the float literal reads back to the float32 scale of the tensor
    expect(Math.fround(parseFloat(macro("INPUT_SCALE")!))).toBe(Math.fround(quantization(graph, "inputQuantization").scale));
    expect(macro("INPUT_ZERO_POINT")).toBe("(-128)");
    expect(Math.fround(parseFloat(macro("OUTPUT_SCALE")!))).toBe(Math.fround(quantization(graph, "outputQuantization").scale));
    expect(macro("OUTPUT_ZERO_POINT")).toBe("5");
  });
});

describe("QUANTIZE int8 -> int8 imports as a rescale, exactly TFLite's Requantize", () => {
  it("y = zp_out + round((x - zp_in) * s_in / s_out), clamped, for every int8 x: with s_in / s_out = 2.5 the rescale is a left shift and the high multiply alone, which rounds halves up (toward +infinity, gemmlowp's nudge)", () => {
    // s_in / s_out = 0.625 / 0.25 = 2.5 exactly in float32: the products are exact and the halves real ties
    const spec = {
      opcodes: [{ code: fb.BuiltinOperator.QUANTIZE, version: 2 }],
      buffers: [null, null, null],
      tensors: [
        { name: "x", shape: [1, 256], type: fb.TensorType.INT8, buffer: 1, scale: [0.625], zeroPoint: [-3] },
        { name: "y", shape: [1, 256], type: fb.TensorType.INT8, buffer: 2, scale: [0.25], zeroPoint: [7] },
      ],
      operators: [{ opcodeIndex: 0, inputs: [0], outputs: [1] }],
      inputs: [0],
      outputs: [1],
    };
    const graph = buildGraph(parseModel(convertTflite(readTflite(buildTflite(spec), "quantize.tflite"))));
    const x = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    const expected = Array.from(x, (q) => Math.max(-128, Math.min(127, 7 + Math.floor((q + 3) * 2.5 + 0.5))));
    expect(Array.from(predict(graph, x))).toEqual(expected);
  });
});
