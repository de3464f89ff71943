/**
 * The ONNX importer against independent references: the model zoo's own test outputs for mnist-8,
 * onnxruntime (dev dependency) for the float lowering, the QDQ model and QLinearAdd, and the ONNX
 * node tests of Debian's libonnx-testdata for QLinearConv / QLinearMatMul / (De)QuantizeLinear.
 *
 * Requantization is fixed point (TFLite's double rounding) while onnxruntime rounds float32(acc) *
 * scale; the disagreement is measured and printed, and bounded where it is one rounding.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { encodeNpy, loadMnist } from "../src/datasets/index.js";
import { ModelError } from "../src/format/errors.js";
import { parseModel } from "../src/format/load.js";
import { convertOnnx, importOnnxFile, lowerOnnx, readOnnx, readOnnxFile, runFloat } from "../src/import/onnx/index.js";
import { buildGraph, loadGraph, type Graph } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";
import {
  coverageModel, disagreement, Disagreement, onnxruntimeSession, hwcToNchw, integerOpModel, nchwToHwc, qlinearConvModel, qlinearMatMulModel, quantizeLinear, readTensorFile, readTestSet, runOnnxruntime, seededInts, withConstantInputs,
} from "./helpers/onnx.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "onnx");
const MNIST8 = join(FIXTURES, "mnist-8", "model.onnx");
const QDQ = join(FIXTURES, "synthetic_qdq_conv_matmul_s8.onnx");
const QLINEARADD = join(FIXTURES, "qlinearadd_int8");
const HELLO = join(FIXTURES, "tfl_helloworld_float.onnx");
const NODE_TESTS = "/usr/share/libonnx-testdata/data/node";
const CLI = join(import.meta.dirname, "..", "bin", "strongnet.js");

const graphOf = (m: ReturnType<typeof convertOnnx>): Graph => buildGraph(parseModel(m));
const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
};
const errorOf = (f: () => unknown): ModelError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ModelError) return e;
    throw e;
  }
  throw new Error("expected a ModelError");
};

describe("reader", () => {
  it("reads mnist-8: nodes, opset, constants and the one real input", () => {
    const g = readOnnxFile(MNIST8);
    expect(g.opsets[""]).toBe(8);
    expect(g.nodes.map((n) => n.opType)).toEqual(["Reshape", "Conv", "Add", "Relu", "MaxPool", "Conv", "Add", "Relu", "MaxPool", "Reshape", "MatMul", "Add"]);
    expect(g.inputs).toEqual([{ name: "Input3", type: "float32", dims: [1, 1, 28, 28] }]);
    expect(g.constants.get("Parameter5")!.dims).toEqual([8, 1, 5, 5]);
    expect(g.nodes[1]!.attributes).toMatchObject({ kernel_shape: [5, 5], auto_pad: "SAME_UPPER", group: 1 });
  });

  it("refuses bytes that are not an ONNX model with a ModelError", () => {
    expect(errorOf(() => readOnnx(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), "junk.onnx")).message).toMatch(/junk\.onnx.*not a readable ONNX protobuf/);
    expect(errorOf(() => readOnnx(new Uint8Array(), "empty.onnx")).message).toMatch(/has no graph/);
    const bytes = readFileSync(MNIST8);
    expect(errorOf(() => readOnnx(bytes.subarray(0, bytes.length - 100), "cut.onnx")).message).toMatch(/cut\.onnx/);
  });
});

describe("float lowering (NCHW stored as NHWC)", () => {
  const lowered = lowerOnnx(readOnnxFile(MNIST8));

  it.each([0, 1, 2])("mnist-8 computes the model zoo's output for test set %i", (k) => {
    const { inputs, outputs } = readTestSet(join(FIXTURES, "mnist-8", `test_data_set_${k}`));
    const expected = outputs[0]!.data as Float32Array;
    const y = runFloat(lowered, [Float32Array.from(inputs[0]!.data as Float32Array)]).get(lowered.output)!;
    const scale = Math.max(...Array.from(expected, Math.abs));
    for (let i = 0; i < 10; i++) expect(Math.abs(y[i]! - expected[i]!)).toBeLessThan(1e-4 * scale);
  });

  it("mnist-8 agrees with onnxruntime on MNIST test images", async () => {
    const test = loadMnist().test;
    for (let i = 0; i < 5; i++) {
      const x = Float32Array.from(test.images[i]!, (q) => q + 128);
      const ort = (await runOnnxruntime(MNIST8, { Input3: { type: "float32", data: x, dims: [1, 1, 28, 28] } })).Plus214_Output_0!;
      const ours = runFloat(lowered, [x]).get(lowered.output)!;
      for (let j = 0; j < 10; j++) expect(ours[j]).toBeCloseTo(ort[j]!, 1);
    }
  });

  it("the hello-world MLP ([N, 1] input, MatMul + Add + Relu) agrees with onnxruntime", async () => {
    const g = lowerOnnx(readOnnxFile(HELLO));
    expect(g.ops.map((o) => `${o.kind}${"act" in o && o.act ? "+relu" : ""}`)).toEqual(["matmul+relu", "matmul+relu", "matmul"]);
    for (const x of [0, 0.5, 1.7, 3.1, 6]) {
      const ort = (await runOnnxruntime(HELLO, { dense_2_input: { type: "float32", data: Float32Array.of(x), dims: [1, 1] } })).dense_4!;
      expect(runFloat(g, [Float32Array.of(x)]).get(g.output)![0]).toBeCloseTo(ort[0]!, 4);
    }
  });
});

describe("a float model with the other operators (Transpose, Clip, depthwise, pools, Add, Gemm, Softmax)", () => {
  const bytes = coverageModel(5);
  const lowered = lowerOnnx(readOnnx(bytes, "coverage.onnx"));
  const r = seededInts(6);
  const images = Array.from({ length: 300 }, () => Uint8Array.from({ length: 8 * 8 * 3 }, () => r(0, 255)));
  const labels = Uint8Array.from(images, (_, i) => i % 5);

  it("lowers to NHWC layers whose float results match onnxruntime's", async () => {
    expect(lowered.ops.map((o) => o.kind)).toEqual(["reshape", "conv", "conv", "max_pool", "average_pool", "add", "average_pool", "reshape", "matmul", "softmax"]);
    for (const image of images.slice(0, 10)) {
      const x = Float32Array.from(image, (b) => b / 255); // NHWC input: memory order is the ONNX order
      const ort = (await runOnnxruntime(bytes, { x: { type: "float32", data: x, dims: [1, 8, 8, 3] } })).y!;
      const ours = runFloat(lowered, [x]).get(lowered.output)!;
      for (let k = 0; k < 5; k++) expect(ours[k]).toBeCloseTo(ort[k]!, 5);
    }
  });

  it("calibrated on an npy data set, the int8 model tracks the float one", () => {
    const dir = mkdtempSync(join(tmpdir(), "sn-onnx-cov-"));
    writeFileSync(join(dir, "x.npy"), encodeNpy("u1", [300, 8, 8, 3], Uint8Array.from(images.flatMap((i) => Array.from(i)))));
    writeFileSync(join(dir, "y.npy"), encodeNpy("u1", [300], labels));
    writeFileSync(join(dir, "coverage.onnx"), bytes);
    const model = importOnnxFile(join(dir, "coverage.onnx"), { calibrate: `${join(dir, "x.npy")},${join(dir, "y.npy")}`, samples: 200, inputRange: [0, 1] });
    const graph = graphOf(model);
    expect(graph.layers.map((l) => l.kind)).toEqual(["reshape", "conv2d", "depthwise_conv2d", "maxpool", "avgpool", "add", "avgpool", "reshape", "dense", "softmax"]);
    let error = 0;
    let same = 0;
    const held = images.slice(200);
    for (const image of held) {
      const f = runFloat(lowered, [Float32Array.from(image, (b) => b / 255)]).get(lowered.output)!;
      const q = predict(graph, Int8Array.from(image, (b) => b - 128));
      for (let k = 0; k < 5; k++) error += Math.abs((q[k]! + 128) / 256 - f[k]!);
      same += argmax(f) === argmax(q) ? 1 : 0;
    }
    console.log(`coverage model, ${held.length} held-out inputs: mean |p_int8 - p_float| ${(error / held.length / 5).toFixed(4)}, same argmax ${same}`);
    expect(error / held.length / 5).toBeLessThan(0.02);
    expect(same / held.length).toBeGreaterThanOrEqual(0.9);
  });
});

describe("mnist-8 quantized with MNIST calibration", () => {
  const model = importOnnxFile(MNIST8, { calibrate: "mnist" });
  const graph = graphOf(model);

  it("becomes conv-pool-conv-pool-dense with the byte input rule", () => {
    expect(graph.layers.map((l) => l.kind)).toEqual(["conv2d", "maxpool", "conv2d", "maxpool", "reshape", "dense"]);
    expect(model.name).toBe("mnist_8");
    expect(model.metadata).toMatchObject({ inputQuantization: { scale: 1, zeroPoint: -128 }, calibration: { samples: 500, method: "minmax", data: "mnist" }, datasetSpec: { train: "mnist" } });
  });

  it("keeps onnxruntime's float accuracy on the 10,000 official MNIST test images (within 0.5 points) and its answers", async () => {
    const test = loadMnist().test;
    const session = await onnxruntimeSession(MNIST8);
    let floatRight = 0;
    let int8Right = 0;
    let same = 0;
    for (let i = 0; i < test.count; i++) {
      const x = Float32Array.from(test.images[i]!, (q) => q + 128); // the model reads pixel values 0..255
      const f = argmax((await session.run({ Input3: { type: "float32", data: x, dims: [1, 1, 28, 28] } })).Plus214_Output_0!);
      const q = argmax(predict(graph, test.images[i]!));
      floatRight += f === test.labels[i]! ? 1 : 0;
      int8Right += q === test.labels[i]! ? 1 : 0;
      same += f === q ? 1 : 0;
    }
    await session.release();
    console.log(`mnist-8 on ${test.count} test images: float (onnxruntime) ${floatRight}, int8 ${int8Right}, same answer ${same}`);
    expect(test.count).toBe(10000);
    expect(floatRight / test.count).toBeGreaterThan(0.985);
    expect(Math.abs(floatRight - int8Right) / test.count).toBeLessThanOrEqual(0.005);
    expect(same / test.count).toBeGreaterThanOrEqual(0.99);
  }, 300_000); // 20,000 inferences: 54 s in a clean-clone .ci/run, over the default 120 s when the cores are shared

  it("percentile calibration clips the activation ranges, and --input-range sets the input rule", () => {
    const clipped = importOnnxFile(MNIST8, { calibrate: "mnist", samples: 50, method: { kind: "percentile", percentile: 99.9 }, inputRange: [0, 1] });
    const minmax = importOnnxFile(MNIST8, { calibrate: "mnist", samples: 50, inputRange: [0, 1] });
    const scale = (m: typeof clipped, id: string) => (m.metadata!.tensors as Record<string, { scale: number }>)[id]!.scale;
    expect(scale(clipped, "convolution28")).toBeLessThan(scale(minmax, "convolution28"));
    expect(clipped.metadata).toMatchObject({ inputQuantization: { scale: 1 / 255, zeroPoint: -128 }, calibration: { method: "percentile:99.9" } });
  });

  it("a float model without --calibrate is refused, naming the option", () => {
    expect(errorOf(() => importOnnxFile(MNIST8)).message).toMatch(/float model; quantize it with --calibrate SPEC/);
  });
});

describe("QDQ model against onnxruntime", () => {
  const model = importOnnxFile(QDQ);
  const graph = graphOf(model);

  it("reads the scales of the Q/DQ pairs and keeps the int8 weights", () => {
    const g = readOnnxFile(QDQ);
    const w = g.constants.get("w")!;
    expect(graph.layers.map((l) => l.kind)).toEqual(["conv2d", "reshape", "dense"]);
    expect(model.metadata).toMatchObject({ inputQuantization: { scale: valueOf(g, "xs"), zeroPoint: valueOf(g, "xzp") }, outputQuantization: { scale: valueOf(g, "zs"), zeroPoint: valueOf(g, "zzp") }, droppedOutputs: ["yq"] });
    const conv = graph.layers[0] as unknown as { weights: Int8Array };
    // [F, 1, 3, 3] -> [F, 3, 3, 1] keeps the order when there is one input channel
    expect(Array.from(conv.weights)).toEqual(Array.from(w.data as Int8Array));
    expect(graphOf(importOnnxFile(QDQ, { output: "yq" })).layers.map((l) => l.kind)).toEqual(["conv2d"]);
  });

  it("disagrees with onnxruntime by at most the rounding of its two requantizations", async () => {
    const q = model.metadata!.inputQuantization as { scale: number; zeroPoint: number };
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const stats = new Disagreement();
    for (let s = 0; s < 200; s++) {
      const x = Float32Array.from({ length: 64 }, () => rand());
      const ort = (await runOnnxruntime(QDQ, { x: { type: "float32", data: x, dims: [1, 1, 8, 8] } })).zq!;
      stats.add(predict(graph, quantizeLinear(x, q.scale, q.zeroPoint)), ort);
    }
    console.log(`QDQ conv+matmul vs onnxruntime: ${stats.differ}/${stats.total} output bytes differ, largest difference ${stats.largest}`);
    expect(stats.largest).toBeLessThanOrEqual(2);
    expect(stats.differ / stats.total).toBeLessThan(0.1);
  });
});

const valueOf = (g: ReturnType<typeof readOnnxFile>, name: string): number => Number((g.constants.get(name)!.data as ArrayLike<number>)[0]);

describe("QLinearAdd (com.microsoft) against onnxruntime", () => {
  const bytes = withConstantInputs(join(QLINEARADD, "model.onnx"), join(QLINEARADD, "test_data_set_0"), ["a", "b"]);
  const model = convertOnnx(readOnnx(bytes, "qlinearadd_int8.onnx"));
  const graph = graphOf(model);
  const set = readTestSet(join(QLINEARADD, "test_data_set_0"));

  it("becomes an add of two slices of the one model input", () => {
    expect(graph.layers.map((l) => l.kind)).toEqual(["slice", "slice", "add"]);
    expect(graph.inputShape).toEqual([1, 1, 48]);
  });

  it("matches the test set's output and onnxruntime on random inputs, within one rounding", async () => {
    const ab = (a: Int8Array, b: Int8Array) => Int8Array.from([...a, ...b]);
    const ours = predict(graph, ab(set.inputs[0]!.data as Int8Array, set.inputs[3]!.data as Int8Array));
    const vsFile = disagreement(ours, set.outputs[0]!.data as Int8Array);
    let seed = 3;
    const rand = () => Int8Array.from({ length: 24 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256) - 128);
    const feeds = Object.fromEntries(set.inputs.map((t, k) => [["a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point", "c_scale", "c_zero_point"][k]!, { type: t.type as "int8", data: t.data as Int8Array, dims: t.dims }]));
    const stats = new Disagreement();
    for (let s = 0; s < 100; s++) {
      const [a, b] = [rand(), rand()];
      const ort = (await runOnnxruntime(join(QLINEARADD, "model.onnx"), { ...feeds, a: { type: "int8", data: a, dims: [2, 3, 4] }, b: { type: "int8", data: b, dims: [2, 3, 4] } })).c!;
      stats.add(predict(graph, ab(a, b)), ort);
    }
    console.log(`QLinearAdd vs test set: ${vsFile.differ}/${vsFile.total} differ; vs onnxruntime on 100 random pairs: ${stats.differ}/${stats.total} differ, largest ${stats.largest}`);
    expect(vsFile.largest).toBeLessThanOrEqual(1);
    expect(stats.largest).toBeLessThanOrEqual(1);
  });
});

describe("QLinearConv and QLinearMatMul (int8) against onnxruntime", () => {
  const cases = [
    { what: "3x3 conv, 2 -> 4 channels, stride 2, pad 1", channels: 2, size: 7, filters: 4, kernel: 3, stride: 2, pad: 1, group: 1, seed: 11 },
    { what: "depthwise 3x3, 3 channels x 2, pad 1", channels: 3, size: 6, filters: 6, kernel: 3, stride: 1, pad: 1, group: 3, seed: 12 },
  ];
  it.each(cases)("$what: NCHW data in and out, within one rounding", async (c) => {
    const bytes = qlinearConvModel(c);
    const graph = graphOf(convertOnnx(readOnnx(bytes, "qlinearconv.onnx")));
    expect(graph.layers.map((l) => l.kind)).toEqual([c.group > 1 ? "depthwise_conv2d" : "conv2d"]);
    const out = Math.floor((c.size + 2 * c.pad - c.kernel) / c.stride) + 1;
    const r = seededInts(c.seed + 100);
    const stats = new Disagreement();
    for (let s = 0; s < 20; s++) {
      const x = Int8Array.from({ length: c.channels * c.size * c.size }, () => r(-128, 127));
      const ort = (await runOnnxruntime(bytes, { x: { type: "int8", data: x, dims: [1, c.channels, c.size, c.size] } })).y!;
      const ours = hwcToNchw(predict(graph, nchwToHwc(x, c.channels, c.size, c.size)), c.filters, out, out);
      stats.add(ours, ort);
    }
    console.log(`QLinearConv ${c.what} vs onnxruntime: ${stats.differ}/${stats.total} differ, largest ${stats.largest}`);
    expect(stats.largest).toBeLessThanOrEqual(1);
  });

  it("QLinearMatMul [1, 40] x [40, 7]: within one rounding", async () => {
    const bytes = qlinearMatMulModel(40, 7, 5);
    const graph = graphOf(convertOnnx(readOnnx(bytes, "qlinearmatmul.onnx")));
    expect(graph.layers.map((l) => l.kind)).toEqual(["dense"]);
    const r = seededInts(9);
    const stats = new Disagreement();
    for (let s = 0; s < 50; s++) {
      const a = Int8Array.from({ length: 40 }, () => r(-128, 127));
      stats.add(predict(graph, a), (await runOnnxruntime(bytes, { a: { type: "int8", data: a, dims: [1, 40] } })).y!);
    }
    console.log(`QLinearMatMul vs onnxruntime: ${stats.differ}/${stats.total} differ, largest ${stats.largest}`);
    expect(stats.largest).toBeLessThanOrEqual(1);
  });
});

describe("ConvInteger and MatMulInteger (static quantization pattern) against onnxruntime", () => {
  it.each(["ConvInteger", "MatMulInteger"] as const)("%s -> Cast -> Mul -> Relu -> QuantizeLinear: one layer, within one rounding", async (kind) => {
    const { bytes, inputDims, outputDims } = integerOpModel(kind, 21);
    const model = convertOnnx(readOnnx(bytes, `${kind}.onnx`));
    const graph = graphOf(model);
    expect(graph.layers.map((l) => l.kind)).toEqual([kind === "ConvInteger" ? "conv2d" : "dense"]);
    const q = model.metadata!.inputQuantization as { scale: number; zeroPoint: number };
    expect(q).toEqual({ scale: Math.fround(0.02), zeroPoint: 0 }); // uint8 zero point 128 -> int8 0
    const [c, h, w] = inputDims.length === 4 ? [inputDims[1]!, inputDims[2]!, inputDims[3]!] : [inputDims[1]!, 1, 1];
    const [oc, oh, ow] = outputDims.length === 4 ? [outputDims[1]!, outputDims[2]!, outputDims[3]!] : [outputDims[1]!, 1, 1];
    const r = seededInts(4);
    const stats = new Disagreement();
    for (let s = 0; s < 50; s++) {
      const x = Float32Array.from({ length: c * h * w }, () => r(-2500, 2500) / 1000);
      const ort = Int8Array.from((await runOnnxruntime(bytes, { x: { type: "float32", data: x, dims: inputDims } })).y!, (v) => v - 128);
      const ours = hwcToNchw(predict(graph, nchwToHwc(quantizeLinear(x, q.scale, q.zeroPoint), c, h, w)), oc, oh, ow);
      stats.add(ours, ort);
    }
    console.log(`${kind} pattern vs onnxruntime: ${stats.differ}/${stats.total} differ, largest ${stats.largest}`);
    expect(stats.largest).toBeLessThanOrEqual(1);
  });
});

describe("ONNX node tests (libonnx-testdata)", () => {
  /** imports a node test with its operands made constant, runs its test set, compares as uint8/int8 */
  function nodeTest(name: string, dataInputs: string[]) {
    const dir = join(NODE_TESTS, name);
    const set = readTestSet(join(dir, "test_data_set_0"));
    const model = convertOnnx(readOnnx(withConstantInputs(join(dir, "model.onnx"), join(dir, "test_data_set_0"), dataInputs), `${name}.onnx`));
    const graph = graphOf(model);
    const x = set.inputs[0]!;
    const inQ = model.metadata!.inputQuantization as { scale: number; zeroPoint: number };
    const input = x.type === "float32" ? quantizeLinear(x.data as Float32Array, inQ.scale, inQ.zeroPoint) : Int8Array.from(x.data as ArrayLike<number>, (v) => (x.type === "uint8" ? v - 128 : v));
    const y = predict(graph, input);
    return { model, y, expected: set.outputs[0]! };
  }
  const asStored = (t: { type: string; data: ArrayLike<number> }) => Int8Array.from(t.data, (v) => (t.type === "uint8" ? v - 128 : v));

  it("test_qlinearconv, test_qlinearmatmul_2D: uint8 weights whose w - zero point leaves int8 are refused, naming the weight", () => {
    for (const [name, input] of [["test_qlinearconv", "x"], ["test_qlinearmatmul_2D", "a"]] as const) {
      expect(() => nodeTest(name, [input])).toThrow(/after removing its zero point; it does not fit int8/);
    }
  });

  it("test_quantizelinear: the input rule is the file's scale and zero point", () => {
    const { model, y, expected } = nodeTest("test_quantizelinear", ["x"]);
    expect(model.metadata!.inputQuantization).toEqual({ scale: 2, zeroPoint: 0 });
    expect(Array.from(y)).toEqual(Array.from(asStored(expected)));
  });

  it("test_dequantizelinear: the output's scale and zero point give the expected reals", () => {
    const { model, y, expected } = nodeTest("test_dequantizelinear", ["x"]);
    const q = model.metadata!.outputQuantization as { scale: number; zeroPoint: number };
    expect(Array.from(y, (v) => q.scale * (v - q.zeroPoint))).toEqual(Array.from(expected.data as Float32Array));
  });

  it("per-axis activation quantization and batched matrices are refused with the reason", () => {
    const dir = join(NODE_TESTS, "test_quantizelinear_axis");
    const axis = withConstantInputs(join(dir, "model.onnx"), join(dir, "test_data_set_0"), ["x"]);
    expect(errorOf(() => convertOnnx(readOnnx(axis))).message).toMatch(/per-channel quantization of activations is not supported/);
    const dir3 = join(NODE_TESTS, "test_qlinearmatmul_3D");
    const batched = withConstantInputs(join(dir3, "model.onnx"), join(dir3, "test_data_set_0"), ["a"]);
    expect(errorOf(() => convertOnnx(readOnnx(batched))).message).toMatch(/a constant 2-D matrix/);
  });
});

describe("refusals and the CLI", () => {
  const { onnx } = onnxProto;
  const tiny = (nodes: onnxProto.onnx.INodeProto[], input: { type: number; dims: (number | string)[] }) =>
    onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: "", version: 13 }],
      graph: {
        name: "g",
        node: nodes,
        input: [{ name: "x", type: { tensorType: { elemType: input.type, shape: { dim: input.dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } } }],
        output: [{ name: "y", type: { tensorType: { elemType: 1 } } }],
      },
    }).finish();

  it("lists unsupported operators, input types and dynamic shapes up front", () => {
    const bytes = tiny([{ opType: "Sigmoid", input: ["x"], output: ["h"], name: "act" }, { opType: "LSTM", input: ["h"], output: ["y"] }], { type: 10, dims: [1, "T", 4] });
    const message = errorOf(() => convertOnnx(readOnnx(bytes, "bad.onnx"))).message;
    expect(message).toMatch(/operator Sigmoid x1 \(act\)/);
    expect(message).toMatch(/operator LSTM x1/);
    expect(message).toMatch(/input "x" is float16/);
    expect(message).toMatch(/dynamic dimension 1 \("T"\)/);
  });

  it("import exits 2 on a float model without --calibrate; verify takes a QDQ .onnx directly", () => {
    const dir = mkdtempSync(join(tmpdir(), "sn-onnx-"));
    let status = 0;
    let stderr = "";
    try {
      execFileSync("node", [CLI, "import", MNIST8, "-o", join(dir, "m.json")], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/--calibrate/);
    const out = execFileSync("node", [CLI, "import", QDQ, "-o", join(dir, "q.json"), "--json"], { encoding: "utf8" });
    expect(JSON.parse(out).layers.map((l: { kind: string }) => l.kind)).toEqual(["conv2d", "reshape", "dense"]);
    expect(loadGraph(QDQ).layers.length).toBe(3);
    writeFileSync(join(dir, "junk.onnx"), "not a model");
    expect(() => execFileSync("node", [CLI, "import", join(dir, "junk.onnx")], { stdio: "pipe" })).toThrow(/Command failed/);
  });
});

// the tensor reader is what the test sets go through; check it on a file with a known value
it("reads a TensorProto file", () => {
  const t = readTensorFile(join(FIXTURES, "mnist-8", "test_data_set_0", "output_0.pb"));
  expect(t.dims).toEqual([1, 10]);
  expect(t.type).toBe("float32");
});
