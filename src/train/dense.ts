/**
 * The dense int8 baseline: a float MLP (e.g. 784-128-10, ReLU) trained on pixels with the same
 * data, split and tooling as the strong network, quantized to `dense` layers (int8 weights, int32
 * bias, one requantization each; the hidden ReLU is the requantization's clamp at -128) and an
 * `argmax`.
 */
import type { DatasetSplits } from "../datasets/index.js";
import type { ModelFileInput } from "../format/schema.js";
import { encodeInt8 } from "../ir/index.js";
import { graphOf, measureAccuracy, planFigures, splitValidation, VALIDATION_RULE, type OnProgress, type TrainResult } from "./common.js";
import { hiddenActivations, mlpPredict, trainMlp, type Mlp } from "./mlp.js";
import { absolute, quantile, quantizeAffine } from "./qlayers.js";
import type { Dataset } from "../datasets/index.js";

export interface DenseOptions {
  name: string;
  datasetLabel: string;
  seed: number;
  /** hidden widths, e.g. [128] */
  hidden?: number[];
  epochs?: number;
  learningRate?: number;
  l2?: number;
  onProgress?: OnProgress;
}

/** Pixels as the float network sees them: (q + 128) / 255 in [0, 1]. */
export const PIXEL_SCALE = 1 / 255;
export function pixelFeatures(ds: Dataset): Float32Array {
  return Float32Array.from(ds.pixels, (q) => (q + 128) * PIXEL_SCALE);
}

export function trainDenseMlp(splits: DatasetSplits, opts: DenseOptions): TrainResult {
  const { fit, validation } = splitValidation(splits.train);
  const hidden = opts.hidden ?? [128];
  const [h, w, c] = splits.train.shape;
  const inputs = h * w * c;
  const dims = [inputs, ...hidden, splits.train.classes];
  const epochs = opts.epochs ?? 20;
  const xFit = pixelFeatures(fit);
  const mlp = trainMlp(xFit, fit.labels, dims, {
    epochs,
    learningRate: opts.learningRate ?? 0.05,
    l2: opts.l2 ?? 1e-4,
    seed: opts.seed,
    onEpoch: (e) => opts.onProgress?.({ stage: "train dense MLP", done: e + 1, total: epochs }),
  });
  const model = quantizeMlp(mlp, xFit, opts, [h, w, c]);
  const graph = graphOf(model);
  const xTest = pixelFeatures(splits.test);
  const floatTest = mlpPredict(mlp, xTest);
  const accuracy = measureAccuracy(graph, { test: splits.test, validation, fit }, floatTest, opts.onProgress);
  return {
    model,
    floatTestScores: hiddenActivations(mlp, xTest, dims.length - 1),
    metrics: {
      arch: "dense-mlp",
      dataset: opts.datasetLabel,
      seed: opts.seed,
      split: { fit: fit.count, validation: validation.count, test: splits.test.count, rule: VALIDATION_RULE },
      accuracy,
      plan: planFigures(graph),
      details: { dims, epochs, learningRate: opts.learningRate ?? 0.05, l2: opts.l2 ?? 1e-4 },
    },
  };
}

/** The dense baseline's model: the MLP's layers on the pixels, then argmax. */
function quantizeMlp(mlp: Mlp, xFit: Float32Array, opts: DenseOptions, shape: [number, number, number]): ModelFileInput {
  const { layers, logitScale } = quantizeMlpLayers(mlp, xFit, { input: "input", inputScale: PIXEL_SCALE });
  return {
    format: "strongnet-model",
    version: 1,
    name: opts.name,
    description: `Dense int8 baseline: MLP ${mlp.dims.join("-")} (ReLU), trained by strongnet train --arch dense-mlp on ${opts.datasetLabel}.`,
    input: { shape },
    tables: [],
    layers,
    output: "class",
    // the logits' int8 quantization (what `compile --outputs scores` returns): real = scale * (q - zeroPoint)
    metadata: { outputQuantization: { scale: logitScale, zeroPoint: 0 } },
  };
}

/**
 * An MLP as `dense` layers (ReLU via requant offset -128) ... -> dense (logits) -> argmax, reading
 * `input` whose values are real = (q + 128) * inputScale. Activation scales come from the
 * training inputs `xFit`: the 99.9th percentile of each hidden layer maps to the top of int8;
 * logitScale is the logits' scale (zero point 0), for metadata.outputQuantization.
 */
export function quantizeMlpLayers(mlp: Mlp, xFit: Float32Array, from: { input: string; inputScale: number }): { layers: ModelFileInput["layers"]; logitScale: number } {
  const layers: ModelFileInput["layers"] = [];
  let { inputScale, input } = from;
  const L = mlp.dims.length - 1;
  let logitScale = 1;
  for (let l = 0; l < L; l++) {
    const last = l === L - 1;
    const acts = hiddenActivations(mlp, xFit, l + 1);
    const outputScale = last ? quantile(absolute(acts), 0.999) / 127 : quantile(acts, 0.999) / 255;
    const q = quantizeAffine(mlp.weights[l]!, mlp.biases[l]!, mlp.dims[l + 1]!, mlp.dims[l]!, inputScale, outputScale || 1, last ? 0 : -128);
    if (last) logitScale = outputScale || 1;
    const id = last ? "logits" : `hidden${l + 1}`;
    layers.push({ id, kind: "dense", input, units: mlp.dims[l + 1]!, weights: encodeInt8(q.weights), bias: Array.from(q.bias), requant: q.requant });
    input = id;
    inputScale = outputScale;
  }
  layers.push({ id: "class", kind: "argmax", input });
  return { layers, logitScale };
}
