/**
 * Imported ONNX models (test/fixtures/onnx) are bit-exact under QEMU against the reference
 * interpreter: mnist-8 quantized with MNIST calibration on an M4 and an M7 (with MNIST test
 * images among the vectors), the QDQ model and QLinearAdd also on an M0.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getBoard } from "../src/firmware/index.js";
import { parseModel } from "../src/format/load.js";
import { convertOnnx, importOnnxFile, readOnnx } from "../src/import/onnx/index.js";
import { buildGraph } from "../src/ir/index.js";
import { verifyModel } from "../src/verify/verify.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { encodeNpy } from "../src/datasets/index.js";
import { coverageModel, seededInts, withConstantInputs } from "../test/helpers/onnx.js";

const FIXTURES = join(import.meta.dirname, "..", "test", "fixtures", "onnx");
const [M4, M7, M0] = ["nucleo-f411re", "nucleo-f767zi", "bbc-microbit-v1"].map((name) => getBoard(name));

describe("mnist-8 (float, calibrated on MNIST)", () => {
  const graph = buildGraph(parseModel(importOnnxFile(join(FIXTURES, "mnist-8", "model.onnx"), { calibrate: "mnist", samples: 100 })));
  it.each([M4!, M7!].map((b) => [b.name, b] as const))("is bit-exact on %s", async (_name, board) => {
    const report = await verifyModel({ graph, board, count: 12, dataset: "mnist" });
    expect(report.firstMismatch).toBeNull();
    expect(report.passed).toBe(true);
    expect(report.vectors.datasetSamples).toBeGreaterThan(0);
  });
});

describe("a float model with Transpose, Clip, depthwise, pools, Add, Gemm and Softmax (calibrated on npy data)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sn-onnx-emu-"));
  const r = seededInts(6);
  writeFileSync(join(dir, "x.npy"), encodeNpy("u1", [100, 8, 8, 3], Uint8Array.from({ length: 100 * 192 }, () => r(0, 255))));
  writeFileSync(join(dir, "y.npy"), encodeNpy("u1", [100], Uint8Array.from({ length: 100 }, (_, i) => i % 5)));
  writeFileSync(join(dir, "coverage.onnx"), coverageModel(5));
  const graph = buildGraph(parseModel(importOnnxFile(join(dir, "coverage.onnx"), { calibrate: `${join(dir, "x.npy")},${join(dir, "y.npy")}`, inputRange: [0, 1] })));
  it.each([M4!, M0!].map((b) => [b.name, b] as const))("is bit-exact on %s", async (_name, board) => {
    const report = await verifyModel({ graph, board, count: 10, dataset: null });
    expect(report.firstMismatch).toBeNull();
    expect(report.passed).toBe(true);
  });
});

describe("quantized ONNX models", () => {
  const qdq = buildGraph(parseModel(importOnnxFile(join(FIXTURES, "synthetic_qdq_conv_matmul_s8.onnx"))));
  const dir = join(FIXTURES, "qlinearadd_int8");
  const add = buildGraph(parseModel(convertOnnx(readOnnx(withConstantInputs(join(dir, "model.onnx"), join(dir, "test_data_set_0"), ["a", "b"]), "qlinearadd.onnx"))));
  it.each([
    ["QDQ conv+matmul", M4!.name, qdq, M4!],
    ["QDQ conv+matmul", M0!.name, qdq, M0!],
    ["QLinearAdd", M0!.name, add, M0!],
  ] as const)("%s is bit-exact on %s", async (_what, _name, graph, board) => {
    const report = await verifyModel({ graph, board, count: 8, dataset: null });
    expect(report.firstMismatch).toBeNull();
    expect(report.passed).toBe(true);
  });
});
