/**
 * Imported ONNX models, written to bench/results/onnx-models.{md,json}:
 *
 * - mnist-8 (the ONNX model zoo's float CNN) quantized by strongnet with MNIST calibration
 *   (several calibration settings): int8 accuracy on the 10,000 official test images against the
 *   float model's, measured with onnxruntime on the same images; M4 and M7 instructions, flash and
 *   RAM under QEMU (bit-exact against the reference on those vectors);
 * - the measured disagreement of strongnet's fixed-point requantization with onnxruntime's float32
 *   rule on the quantized models (QDQ conv+matmul, QLinearAdd, QLinearConv, QLinearMatMul): bytes
 *   that differ and the largest difference, over seeded random inputs;
 * - the hello-world float MLP calibrated on a CSV of its own input range (float data keeps its
 *   int8 rule): the int8 model's error against onnxruntime's float output.
 *
 *   npx tsx bench/onnx-models.ts [--images 10000] [--vectors 20]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadMnist } from "../src/datasets/index.js";
import { getBoard } from "../src/firmware/index.js";
import { parseModel } from "../src/format/load.js";
import { convertOnnx, importOnnxFile, readOnnx, type CalibrationMethod } from "../src/import/onnx/index.js";
import { buildGraph, type Graph } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { verifyModel } from "../src/verify/verify.js";
import {
  Disagreement, hwcToNchw, integerOpModel, nchwToHwc, qlinearConvModel, qlinearMatMulModel, quantizeLinear, readTestSet, runOnnxruntime, seededInts, withConstantInputs,
} from "../test/helpers/onnx.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURES = join(ROOT, "test", "fixtures", "onnx");
const MNIST8 = join(FIXTURES, "mnist-8", "model.onnx");
const { values } = parseArgs({ options: { images: { type: "string", default: "10000" }, vectors: { type: "string", default: "20" } } });
const IMAGES = Number(values.images);
const VECTORS = Number(values.vectors);

const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
};
const graphOf = (m: ReturnType<typeof convertOnnx>): Graph => buildGraph(parseModel(m));
const log = (s: string) => process.stderr.write(`${s}\n`);

// ---- mnist-8 ---------------------------------------------------------------------------------------

const test = loadMnist().test;
const n = Math.min(IMAGES, test.count);

async function floatAccuracy(): Promise<number> {
  let right = 0;
  for (let i = 0; i < n; i++) {
    const x = Float32Array.from(test.images[i]!, (q) => q + 128); // the model reads pixel values 0..255
    const y = (await runOnnxruntime(MNIST8, { Input3: { type: "float32", data: x, dims: [1, 1, 28, 28] } })).Plus214_Output_0!;
    if (argmax(y) === test.labels[i]) right++;
  }
  return right / n;
}

interface Variant {
  label: string;
  samples: number;
  method: CalibrationMethod;
}
const VARIANTS: Variant[] = [
  { label: "minmax, 500 samples (default)", samples: 500, method: { kind: "minmax" } },
  { label: "minmax, 100 samples", samples: 100, method: { kind: "minmax" } },
  { label: "minmax, 2,000 samples", samples: 2000, method: { kind: "minmax" } },
  { label: "percentile 99.99, 500 samples", samples: 500, method: { kind: "percentile", percentile: 99.99 } },
];

async function mnistRows(floatAcc: number) {
  const rows = [];
  for (const v of VARIANTS) {
    const graph = graphOf(importOnnxFile(MNIST8, { calibrate: "mnist", samples: v.samples, method: v.method }));
    let right = 0;
    for (let i = 0; i < n; i++) if (argmax(predict(graph, test.images[i]!)) === test.labels[i]) right++;
    const accuracy = right / n;
    log(`mnist-8 ${v.label}: int8 ${(accuracy * 100).toFixed(2)}% (float ${(floatAcc * 100).toFixed(2)}%)`);
    rows.push({ ...v, accuracy, delta: accuracy - floatAcc, graph });
  }
  return rows;
}

async function firmware(graph: Graph) {
  const out: Record<string, { bitExact: boolean; instructions: number; flash: number; ram: number; stack: number }> = {};
  for (const name of ["nucleo-f411re", "nucleo-f767zi"]) {
    const r = await verifyModel({ graph, board: getBoard(name), count: VECTORS, dataset: "mnist" });
    out[name] = { bitExact: r.passed, instructions: r.instructions.mean, flash: r.image.flashBytes, ram: r.image.ramBytes, stack: r.stack.usedBytes };
    log(`mnist-8 on ${name}: ${r.passed ? "bit-exact" : "MISMATCH"}, ${r.instructions.mean} instructions`);
  }
  return out;
}

// ---- disagreement with onnxruntime ---------------------------------------------------------------

type Stats = { model: string; inputs: number; differ: number; total: number; largest: number };

async function measure(model: string, inputs: number, one: (k: number) => Promise<{ ours: ArrayLike<number>; ort: ArrayLike<number> }>): Promise<Stats> {
  const d = new Disagreement();
  for (let k = 0; k < inputs; k++) {
    const { ours, ort } = await one(k);
    d.add(ours, ort);
  }
  log(`${model}: ${d}`);
  return { model, inputs, differ: d.differ, total: d.total, largest: d.largest };
}

async function disagreements(): Promise<Stats[]> {
  const out: Stats[] = [];
  const qdqPath = join(FIXTURES, "synthetic_qdq_conv_matmul_s8.onnx");
  const qdqModel = importOnnxFile(qdqPath);
  const qdq = graphOf(qdqModel);
  const q = qdqModel.metadata!.inputQuantization as { scale: number; zeroPoint: number };
  const rf = seededInts(1);
  out.push(await measure("QDQ Conv+Relu, Reshape, MatMul (synthetic_qdq_conv_matmul_s8)", 1000, async () => {
    const x = Float32Array.from({ length: 64 }, () => rf(-1000, 1000) / 1000);
    return { ours: predict(qdq, quantizeLinear(x, q.scale, q.zeroPoint)), ort: (await runOnnxruntime(qdqPath, { x: { type: "float32", data: x, dims: [1, 1, 8, 8] } })).zq! };
  }));

  const dir = join(FIXTURES, "qlinearadd_int8");
  const add = graphOf(convertOnnx(readOnnx(withConstantInputs(join(dir, "model.onnx"), join(dir, "test_data_set_0"), ["a", "b"]), "qlinearadd.onnx")));
  const set = readTestSet(join(dir, "test_data_set_0"));
  const names = ["a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point", "c_scale", "c_zero_point"];
  const feeds = Object.fromEntries(set.inputs.map((t, k) => [names[k]!, { type: t.type as "int8", data: t.data as Int8Array, dims: t.dims }]));
  const ri = seededInts(2);
  out.push(await measure("com.microsoft QLinearAdd int8 [2,3,4] (onnx2c test)", 1000, async () => {
    const [a, b] = [0, 1].map(() => Int8Array.from({ length: 24 }, () => ri(-128, 127))) as [Int8Array, Int8Array];
    const ort = (await runOnnxruntime(join(dir, "model.onnx"), { ...feeds, a: { type: "int8", data: a, dims: [2, 3, 4] }, b: { type: "int8", data: b, dims: [2, 3, 4] } })).c!;
    return { ours: predict(add, Int8Array.from([...a, ...b])), ort };
  }));

  for (const c of [
    { what: "QLinearConv 3x3, 2 -> 4 channels, stride 2, pad 1", channels: 2, size: 7, filters: 4, kernel: 3, stride: 2, pad: 1, group: 1, seed: 11 },
    { what: "QLinearConv depthwise 3x3, 3 channels x 2", channels: 3, size: 6, filters: 6, kernel: 3, stride: 1, pad: 1, group: 3, seed: 12 },
  ]) {
    const bytes = qlinearConvModel(c);
    const graph = graphOf(convertOnnx(readOnnx(bytes, "qlinearconv.onnx")));
    const out2 = Math.floor((c.size + 2 * c.pad - c.kernel) / c.stride) + 1;
    const r = seededInts(c.seed + 100);
    out.push(await measure(`${c.what} (synthetic, per-channel scales)`, 300, async () => {
      const x = Int8Array.from({ length: c.channels * c.size * c.size }, () => r(-128, 127));
      const ort = (await runOnnxruntime(bytes, { x: { type: "int8", data: x, dims: [1, c.channels, c.size, c.size] } })).y!;
      return { ours: hwcToNchw(predict(graph, nchwToHwc(x, c.channels, c.size, c.size)), c.filters, out2, out2), ort };
    }));
  }
  for (const kind of ["ConvInteger", "MatMulInteger"] as const) {
    const { bytes, inputDims, outputDims } = integerOpModel(kind, 21);
    const model = convertOnnx(readOnnx(bytes, `${kind}.onnx`));
    const graph = graphOf(model);
    const iq = model.metadata!.inputQuantization as { scale: number; zeroPoint: number };
    const [c, h, w] = inputDims.length === 4 ? inputDims.slice(1) as [number, number, number] : [inputDims[1]!, 1, 1];
    const [oc, oh, ow] = outputDims.length === 4 ? outputDims.slice(1) as [number, number, number] : [outputDims[1]!, 1, 1];
    const r = seededInts(4);
    out.push(await measure(`${kind} -> Cast -> Mul -> Relu -> QuantizeLinear, uint8 (synthetic)`, 500, async () => {
      const x = Float32Array.from({ length: c * h * w }, () => r(-2500, 2500) / 1000);
      const ort = Int8Array.from((await runOnnxruntime(bytes, { x: { type: "float32", data: x, dims: inputDims } })).y!, (v) => v - 128);
      return { ours: hwcToNchw(predict(graph, nchwToHwc(quantizeLinear(x, iq.scale, iq.zeroPoint), c, h, w)), oc, oh, ow), ort };
    }));
  }
  const mm = qlinearMatMulModel(40, 7, 5);
  const mmGraph = graphOf(convertOnnx(readOnnx(mm, "qlinearmatmul.onnx")));
  const rm = seededInts(9);
  out.push(await measure("QLinearMatMul [1,40] x [40,7] (synthetic)", 1000, async () => {
    const a = Int8Array.from({ length: 40 }, () => rm(-128, 127));
    return { ours: predict(mmGraph, a), ort: (await runOnnxruntime(mm, { a: { type: "int8", data: a, dims: [1, 40] } })).y! };
  }));
  return out;
}

// ---- hello world: float data calibration ---------------------------------------------------------

async function helloWorld() {
  const path = join(FIXTURES, "tfl_helloworld_float.onnx");
  const dir = mkdtempSync(join(tmpdir(), "sn-hello-"));
  const csv = join(dir, "x.csv");
  const xs = Array.from({ length: 1000 }, (_, i) => (i / 999) * 2 * Math.PI);
  writeFileSync(csv, `x,label\n${xs.map((x) => `${x},0`).join("\n")}\n`);
  const scale = (2 * Math.PI) / 255;
  const spec = `${csv}:label=label:scale=${scale}:zero-point=-128`;
  const model = importOnnxFile(path, { calibrate: spec, samples: 1000 });
  const graph = graphOf(model);
  const out = model.metadata!.outputQuantization as { scale: number; zeroPoint: number };
  let worst = 0;
  let sum = 0;
  for (let i = 0; i < 200; i++) {
    const x = (i / 199) * 2 * Math.PI;
    const q = Math.max(-128, Math.min(127, Math.round(x / scale) - 128));
    const ort = (await runOnnxruntime(path, { dense_2_input: { type: "float32", data: Float32Array.of(scale * (q + 128)), dims: [1, 1] } })).dense_4![0]!;
    const ours = out.scale * (predict(graph, Int8Array.of(q))[0]! - out.zeroPoint);
    worst = Math.max(worst, Math.abs(ours - ort));
    sum += Math.abs(ours - ort);
  }
  log(`hello world: mean |int8 - float| ${(sum / 200).toFixed(4)}, worst ${worst.toFixed(4)}, output scale ${out.scale.toFixed(4)}`);
  return { samples: 1000, spec: "x.csv:label=label:scale=2pi/255:zero-point=-128", points: 200, meanError: sum / 200, worstError: worst, outputScale: out.scale };
}

// ---- report ----------------------------------------------------------------------------------------

const floatAcc = await floatAccuracy();
log(`mnist-8 float (onnxruntime) on ${n} test images: ${(floatAcc * 100).toFixed(2)}%`);
const rows = await mnistRows(floatAcc);
const fw = await firmware(rows[0]!.graph);
const dis = await disagreements();
const hello = await helloWorld();

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const md = [
  "# Imported ONNX models",
  "",
  "`npx tsx bench/onnx-models.ts` (figures below: " + `${n} official MNIST test images, ${VECTORS} QEMU vectors per board).`,
  "",
  "## mnist-8 (ONNX model zoo, float CNN) quantized by strongnet",
  "",
  `Float accuracy, **onnxruntime** on the same ${n} images (pixel values 0..255 as the model expects): **${pct(floatAcc)}**.`,
  "int8: `strongnet import model.onnx --calibrate mnist` (calibration images spread over the 60,000 training images; per-channel",
  "symmetric int8 weights, asymmetric int8 activations, int32 bias; TFLite fixed-point requantization), accuracy of the reference",
  "interpreter, which the firmware matches bit for bit.",
  "",
  "| calibration | int8 accuracy | int8 - float |",
  "| --- | ---: | ---: |",
  ...rows.map((r) => `| ${r.label} | ${pct(r.accuracy)} | ${((r.delta) * 100).toFixed(2)} pts |`),
  "",
  "Firmware of the default (minmax, 500 samples), `strongnet verify --vectors " + VECTORS + " --dataset mnist`:",
  "",
  "| board | bit-exact | M instructions / inference | flash B | RAM B (static) | stack B |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
  ...Object.entries(fw).map(([b, f]) => `| ${b} | ${f.bitExact ? "yes" : "NO"} | ${(f.instructions / 1e6).toFixed(3)} | ${f.flash} | ${f.ram} | ${f.stack} |`),
  "",
  "## Disagreement with onnxruntime (quantized models)",
  "",
  "strongnet requantizes in fixed point (TFLite's QuantizeMultiplier and double rounding) so the firmware is integer-only on every",
  "core; onnxruntime rounds float32(acc) * scale half to even. The figures are the bytes that differ from onnxruntime's output",
  "over seeded random inputs (QDQ: float inputs quantized with ONNX's QuantizeLinear rule).",
  "",
  "| model | inputs | output bytes that differ | largest difference |",
  "| --- | ---: | ---: | ---: |",
  ...dis.map((d) => `| ${d.model} | ${d.inputs} | ${d.differ} / ${d.total} (${((d.differ / d.total) * 100).toFixed(2)}%) | ${d.largest} |`),
  "",
  "## Float model calibrated on float data",
  "",
  `tfl_helloworld_float.onnx (MatMul/Add/Relu x3, sine), calibrated on ${hello.samples} x values in [0, 2pi] from a CSV whose int8 rule`,
  "(`:scale=2pi/255:zero-point=-128`) becomes the model's input quantization. Against onnxruntime's float output on the same",
  `${hello.points} quantized inputs: mean |error| ${hello.meanError.toFixed(4)}, worst ${hello.worstError.toFixed(4)} (output scale ${hello.outputScale.toFixed(4)}, so about ${(hello.worstError / hello.outputScale).toFixed(1)} LSB at worst).`,
  "",
];
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
writeFileAtomic(join(ROOT, "bench", "results", "onnx-models.md"), md.join("\n"));
writeFileAtomic(
  join(ROOT, "bench", "results", "onnx-models.json"),
  JSON.stringify({ images: n, vectors: VECTORS, mnist8: { floatAccuracy: floatAcc, variants: rows.map(({ graph: _g, ...r }) => r), firmware: fw }, disagreement: dis, helloWorld: hello }, null, 2) + "\n",
);
log("wrote bench/results/onnx-models.{md,json}");
