/**
 * ONNX -> strongnet model file.
 *
 * - QDQ and QLinear models carry their quantization: it is used as it is.
 * - Float models are quantized by strongnet with calibration data (`calibrate`): per-channel
 *   symmetric int8 weights, asymmetric int8 activations from the ranges the float model takes on
 *   the samples, int32 biases.
 *
 * Requantization is TFLite's fixed point (double rounding), not onnxruntime's float32 rule
 * (round half to even of float(acc) * scale): the firmware stays integer-only on every core, and
 * the disagreement with onnxruntime is measured (test/onnx-import.test.ts,
 * bench/results/onnx-models.md).
 */
import { basename, dirname } from "node:path";
import { loadTrainingData } from "../../datasets/index.js";
import { ModelError } from "../../format/errors.js";
import type { ModelFileInput } from "../../format/schema.js";
import { cName } from "../int8-layers.js";
import { calibrationRanges, quantOfRange, type CalibrationMethod } from "./calibrate.js";
import { emitLayers, resolveQuantization, valuesToCalibrate } from "./emit.js";
import { lowerOnnx } from "./lower.js";
import type { LoweredGraph, Quant } from "./ops.js";
import { readOnnxFile, type OnnxGraph } from "./read.js";

export { readOnnx, readOnnxFile } from "./read.js";
export { lowerOnnx, ONNX_OPERATORS, MICROSOFT_OPERATORS } from "./lower.js";
export { runFloat } from "./float-run.js";
export { parseCalibrationMethod, type CalibrationMethod } from "./calibrate.js";

export interface OnnxImportOptions {
  name?: string;
  /** the graph output to convert (default: the first) */
  output?: string;
  /** quantize a float model with samples of this data set SPEC (its training part) */
  calibrate?: string;
  /** how many calibration samples (default 500) */
  samples?: number;
  method?: CalibrationMethod;
  /** the real values of input bytes 0 and 255 (default 0 and 255: the model reads raw bytes) */
  inputRange?: [number, number];
  /** called after each calibration sample, for progress bars */
  onSample?: (done: number, total: number) => void;
}

export const DEFAULT_CALIBRATION_SAMPLES = 500;
export const DEFAULT_INPUT_RANGE: [number, number] = [0, 255];

export function importOnnxFile(path: string, options: OnnxImportOptions = {}): ModelFileInput {
  return convertOnnx(readOnnxFile(path), options);
}

export function convertOnnx(graph: OnnxGraph, options: OnnxImportOptions = {}): ModelFileInput {
  const g = lowerOnnx(graph, options.output ? { output: options.output } : {});
  const calibration = calibrateIfAsked(g, options);
  resolveQuantization(g, calibration.quant);
  const { layers, tensors } = emitLayers(g);
  const input = g.inputs.length === 1 ? g.inputs[0]!.shape : ([1, 1, g.inputs.reduce((n, v) => n + v.shape[0] * v.shape[1] * v.shape[2], 0)] as [number, number, number]);
  const out = g.values.get(g.output)!;
  return {
    format: "strongnet-model",
    version: 1,
    name: options.name ?? cName(modelName(graph.file)),
    description: `imported from ${basename(graph.file)}${graph.producer ? ` (${graph.producer})` : ""}`,
    input: { shape: input },
    tables: [],
    layers,
    output: layers.at(-1)!.id,
    metadata: {
      source: { format: "onnx", file: basename(graph.file), opsets: graph.opsets, irVersion: graph.irVersion, nodes: graph.nodes.length, output: g.outputName },
      rounding: "double",
      requantization: "fixed point (TFLite's double rounding); onnxruntime rounds float32(acc) * scale half to even instead",
      ...(g.inputs.length === 1 ? { inputQuantization: quantFields(g.inputs[0]!.quant!) } : { inputs: inputLayout(g) }),
      outputQuantization: quantFields(out.quant!),
      tensors,
      ...(calibration.summary ? { calibration: calibration.summary, datasetSpec: { train: options.calibrate! } } : {}),
      ...(g.droppedOutputs.length ? { droppedOutputs: g.droppedOutputs } : {}),
      ...(g.notes.length ? { notes: g.notes } : {}),
    },
  };
}

/** "mnist-8/model.onnx" -> "mnist-8": the model zoo names every file model.onnx. */
function modelName(file: string): string {
  const stem = basename(file).replace(/\.onnx$/i, "");
  const parent = basename(dirname(file));
  return stem === "model" && parent && parent !== "." ? parent : stem;
}

const quantFields = (q: Quant) => ({ scale: q.scale, zeroPoint: q.zeroPoint });

function inputLayout(g: LoweredGraph) {
  let offset = 0;
  return g.inputs.map((v, index) => {
    const size = v.shape[0] * v.shape[1] * v.shape[2];
    const entry = { index, name: v.name, offset, size, ...quantFields(v.quant!) };
    offset += size;
    return entry;
  });
}

interface Calibration {
  quant: Map<string, Quant>;
  summary?: Record<string, unknown>;
}

/** Runs the float model on the SPEC's samples when asked; a float model without it is an error. */
function calibrateIfAsked(g: LoweredGraph, options: OnnxImportOptions): Calibration {
  const needs = valuesToCalibrate(g);
  const floatInputs = g.inputs.filter((v) => !v.quant);
  if (!options.calibrate) {
    if (needs.size > 0 || floatInputs.length > 0) {
      const what = g.quantizedInFile ? `${needs.size + floatInputs.length} tensors have no QuantizeLinear` : "it is a float model";
      throw new ModelError("onnx", `${g.file}: ${what}; quantize it with --calibrate SPEC: \`strongnet import ${basename(g.file)} --calibrate mnist\` (any data set SPEC, docs/datasets.md), then use the .json it writes`);
    }
    return { quant: new Map() };
  }
  if (g.inputs.length !== 1) throw new ModelError("--calibrate", `${g.file} has ${g.inputs.length} inputs; calibration feeds models with one input`);
  const input = g.inputs[0]!;
  const training = loadTrainingData(options.calibrate);
  const data = training.splits.train;
  const rule = inputRule(options.inputRange, training.conversion, training.inputQuantization);
  const inputQuant = input.quant ?? rule.quant;
  const size = input.shape[0] * input.shape[1] * input.shape[2];
  if (data.shape[0] * data.shape[1] * data.shape[2] !== size) {
    throw new ModelError("--calibrate", `${options.calibrate} has ${data.shape.join("x")} samples; input "${input.name}" takes ${input.shape.join("x")} (HWC)`);
  }
  const count = Math.min(options.samples ?? DEFAULT_CALIBRATION_SAMPLES, data.count);
  if (!(count >= 1)) throw new ModelError("--samples", `${options.samples} is not a positive count`);
  // evenly spread over the training part: every class, no test image
  const picks = Array.from({ length: count }, (_, i) => Math.floor((i * data.count) / count));
  const real = (q: number) => inputQuant.scale * (q - inputQuant.zeroPoint);
  const samples = picks.map((i) => [Float32Array.from(data.images[i]!, real)]);
  const method = options.method ?? { kind: "minmax" };
  return {
    quant: calibratedQuantization(g, samples, inputQuant, method, (i) => options.onSample?.(i + 1, count)),
    summary: {
      data: options.calibrate,
      samples: count,
      method: method.kind === "minmax" ? "minmax" : `percentile:${method.percentile}`,
      input: input.quant ? "the file's QuantizeLinear" : rule.text,
      rule: "activations asymmetric int8 over the range widened to hold 0; weights symmetric int8 per output channel; bias int32 at s_in * s_w",
    },
  };
}

/** The quantization calibration picks for the input and every value that needs one. */
export function calibratedQuantization(g: LoweredGraph, samples: Float32Array[][], inputQuant: Quant, method: CalibrationMethod, onSample?: (i: number) => void): Map<string, Quant> {
  const quant = new Map<string, Quant>([[g.inputs[0]!.name, inputQuant]]);
  for (const [name, r] of calibrationRanges(g, samples, valuesToCalibrate(g), method, onSample)) quant.set(name, quantOfRange(r));
  return quant;
}

/**
 * A float model in the importer's middle form (from ONNX, or a network strongnet trained) ->
 * int8 layers, calibrated on `samples` (one array per input each, memory order).
 */
export function quantizeFloatGraph(g: LoweredGraph, samples: Float32Array[][], inputQuant: Quant, method: CalibrationMethod) {
  resolveQuantization(g, calibratedQuantization(g, samples, inputQuant, method));
  const { layers, tensors } = emitLayers(g);
  return { layers, tensors, outputQuantization: quantFields(g.values.get(g.output)!.quant!) };
}

/**
 * What the int8 input stands for: --input-range LO:HI for byte data; float data (CSV, npy) keeps
 * the int8 rule it was read with; bytes default to their own value (0..255).
 */
function inputRule(range: [number, number] | undefined, conversion: string, dataQuant: Quant): { quant: Quant; text: string } {
  if (range) {
    if (!(range[1] > range[0])) throw new ModelError("--input-range", `${range[0]}:${range[1]} is empty; give LO:HI with LO < HI`);
    return { quant: byteQuantization(range[0], range[1]), text: `bytes 0..255 are ${range[0]}..${range[1]} (--input-range)` };
  }
  if (conversion.startsWith("float")) return { quant: dataQuant, text: `the data's own rule, ${conversion}` };
  const [lo, hi] = DEFAULT_INPUT_RANGE;
  return { quant: byteQuantization(lo, hi), text: `bytes 0..255 are ${lo}..${hi} (default; --input-range LO:HI to change)` };
}

/** Bytes b in 0..255 stand for lo + (hi - lo) * b / 255; the int8 input is b - 128. */
export function byteQuantization(lo: number, hi: number): Quant {
  const scale = (hi - lo) / 255;
  return { scale, zeroPoint: Math.max(-128, Math.min(127, Math.round(-128 - lo / scale))) };
}
