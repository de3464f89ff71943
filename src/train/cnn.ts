/**
 * The CNN baseline: conv-pool-conv-pool-dense (ReLU, 2x2 max pooling, SAME convolutions with
 * stride 1), trained in float with minibatch SGD (momentum, L2, cosine schedule; seeded and
 * deterministic), then quantized to int8 after training by the same pipeline that quantizes float
 * ONNX models (src/import/onnx: per-channel symmetric int8 weights, asymmetric int8 activations
 * calibrated on training images, int32 bias, TFLite's fixed-point requantization), with an argmax.
 *
 * Memory layout is the model's: NHWC images, conv weights [f][ky][kx][c], dense weights over the
 * HWC-flattened features, so the trained numbers need no reordering.
 */
import type { Dataset, DatasetSplits } from "../datasets/index.js";
import type { ModelFileInput } from "../format/schema.js";
import { quantizeFloatGraph } from "../import/onnx/index.js";
import type { LoweredGraph, Op, Value } from "../import/onnx/ops.js";
import { runFloat } from "../import/onnx/float-run.js";
import { Rng } from "../util/random.js";
import { graphOf, measureAccuracy, planFigures, splitValidation, spreadSubset, VALIDATION_RULE, type OnProgress, type TrainResult } from "./common.js";
import { PIXEL_SCALE } from "./dense.js";

export interface CnnOptions {
  name: string;
  datasetLabel: string;
  seed: number;
  /** filters of each conv-pool stage (default [8, 16], mnist-8's widths) */
  filters?: number[];
  /** square kernel side (default 5) */
  kernel?: number;
  epochs?: number;
  learningRate?: number;
  l2?: number;
  batchSize?: number;
  /** training images used for calibration (default 500) */
  calibrationSamples?: number;
  /** adversarial training (Madry et al. 2018): train on PGD examples instead of the clean images */
  adversarial?: AdversarialOptions;
  onProgress?: OnProgress;
}

/**
 * PGD adversarial training on the float CNN: every training image is replaced by a projected
 * gradient ascent example inside its L-infinity box of radius `eps` (int8 pixel units, E/255 of
 * the [0, 1] range, clipped to [0, 1]): a seeded uniform random start, `steps` signed gradient
 * steps of `stepSize` on the cross-entropy, each projected back to the box. The radius ramps up
 * linearly over the first `rampFraction` of the SGD steps (default 0.2; small networks trained at
 * the full MNIST radius from the start can stall at chance).
 */
export interface AdversarialOptions {
  method: "pgd";
  /** radius in int8 pixel units (E means E/255) */
  eps: number;
  /** PGD steps per training image (default 3) */
  steps?: number;
  /** step size in int8 pixel units (default 2.5 * eps / steps) */
  stepSize?: number;
  /** fraction of the SGD steps over which the radius ramps from 0 to eps (default 0.2) */
  rampFraction?: number;
}

/** The adversarial settings with every default filled in (what training uses and the metrics record). */
export function pgdSettings(a: AdversarialOptions): Required<AdversarialOptions> {
  const steps = a.steps ?? 3;
  return { method: a.method, eps: a.eps, steps, stepSize: a.stepSize ?? (2.5 * a.eps) / steps, rampFraction: a.rampFraction ?? 0.2 };
}

interface ConvStage {
  /** [h, w, c] of the stage input */
  input: [number, number, number];
  filters: number;
  weights: Float32Array;
  bias: Float32Array;
}

export interface Cnn {
  kernel: number;
  stages: ConvStage[];
  classes: number;
  /** [classes][features], features in HWC order of the last pooled map */
  dense: Float32Array;
  denseBias: Float32Array;
}

const pooled = (n: number) => Math.floor(n / 2);

/** fit images the int8 train accuracy is measured on (metrics.accuracy.int8TrainImages) */
const TRAIN_ACCURACY_IMAGES = 5000;

export function initCnn(shape: [number, number, number], filters: number[], kernel: number, classes: number, seed: number): Cnn {
  const rng = new Rng(seed);
  const he = (fanIn: number, n: number) => Float32Array.from({ length: n }, () => rng.normal() * Math.sqrt(2 / fanIn));
  const stages: ConvStage[] = [];
  let [h, w, c] = shape;
  for (const f of filters) {
    stages.push({ input: [h, w, c], filters: f, weights: he(kernel * kernel * c, f * kernel * kernel * c), bias: new Float32Array(f) });
    [h, w, c] = [pooled(h), pooled(w), f];
  }
  const features = h * w * c;
  return { kernel, stages, classes, dense: he(features, classes * features), denseBias: new Float32Array(classes) };
}

/** One sample's forward pass, keeping what backpropagation needs. */
interface Trace {
  /** per stage: its input, its ReLU output (pre-pool), and the argmax index of each pooled value */
  inputs: Float32Array[];
  relu: Float32Array[];
  argmax: Int32Array[];
  features: Float32Array;
  probabilities: Float32Array;
}

function forward(net: Cnn, x: Float32Array): Trace {
  const inputs: Float32Array[] = [];
  const relu: Float32Array[] = [];
  const argmax: Int32Array[] = [];
  let cur = x;
  for (const s of net.stages) {
    inputs.push(cur);
    const r = convRelu(s, net.kernel, cur);
    relu.push(r);
    const [h, w] = s.input;
    const p = maxPool(r, h, w, s.filters);
    argmax.push(p.argmax);
    cur = p.out;
  }
  const logits = Float32Array.from(net.denseBias);
  const k = cur.length;
  for (let o = 0; o < net.classes; o++) {
    let acc = logits[o]!;
    for (let i = 0; i < k; i++) acc += net.dense[o * k + i]! * cur[i]!;
    logits[o] = acc;
  }
  return { inputs, relu, argmax, features: cur, probabilities: softmax(logits) };
}

/** SAME convolution (the smaller half of the padding before), stride 1, then ReLU. */
function convRelu(s: ConvStage, k: number, x: Float32Array): Float32Array {
  const [h, w, c] = s.input;
  const f = s.filters;
  const pad = Math.floor((k - 1) / 2);
  const out = new Float32Array(h * w * f);
  const acc = new Float32Array(f);
  for (let oy = 0; oy < h; oy++)
    for (let ox = 0; ox < w; ox++) {
      acc.set(s.bias);
      for (let ky = 0; ky < k; ky++) {
        const iy = oy + ky - pad;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < k; kx++) {
          const ix = ox + kx - pad;
          if (ix < 0 || ix >= w) continue;
          const xBase = (iy * w + ix) * c;
          const wBase = (ky * k + kx) * c;
          for (let o = 0; o < f; o++) {
            const wo = o * k * k * c + wBase;
            let sum = 0;
            for (let ci = 0; ci < c; ci++) sum += x[xBase + ci]! * s.weights[wo + ci]!;
            acc[o]! += sum;
          }
        }
      }
      const base = (oy * w + ox) * f;
      for (let o = 0; o < f; o++) out[base + o] = acc[o]! > 0 ? acc[o]! : 0;
    }
  return out;
}

function maxPool(x: Float32Array, h: number, w: number, c: number): { out: Float32Array; argmax: Int32Array } {
  const [oh, ow] = [pooled(h), pooled(w)];
  const out = new Float32Array(oh * ow * c);
  const argmax = new Int32Array(oh * ow * c);
  for (let y = 0; y < oh; y++)
    for (let xx = 0; xx < ow; xx++)
      for (let ch = 0; ch < c; ch++) {
        let best = -Infinity;
        let at = 0;
        for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++) {
            const i = ((2 * y + dy) * w + 2 * xx + dx) * c + ch;
            if (x[i]! > best) [best, at] = [x[i]!, i];
          }
        const o = (y * ow + xx) * c + ch;
        out[o] = best;
        argmax[o] = at;
      }
  return { out, argmax };
}

function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  const p = Float32Array.from(logits, (v) => Math.exp(v - max));
  for (const v of p) sum += v;
  for (let i = 0; i < p.length; i++) p[i]! /= sum;
  return p;
}

export interface Gradients {
  stages: { weights: Float32Array; bias: Float32Array }[];
  dense: Float32Array;
  denseBias: Float32Array;
}

const zeroGradients = (net: Cnn): Gradients => ({
  stages: net.stages.map((s) => ({ weights: new Float32Array(s.weights.length), bias: new Float32Array(s.bias.length) })),
  dense: new Float32Array(net.dense.length),
  denseBias: new Float32Array(net.denseBias.length),
});

/**
 * Adds one sample's cross-entropy gradients to `g` (parameters; skipped when null) and, when
 * `dInput` is given, writes the gradient with respect to the input pixels there; returns the loss.
 */
function backward(net: Cnn, t: Trace, label: number, g: Gradients | null, dInput?: Float32Array): number {
  const k = t.features.length;
  const dLogits = Float32Array.from(t.probabilities);
  dLogits[label]! -= 1;
  let dCur: Float32Array = new Float32Array(k);
  for (let o = 0; o < net.classes; o++) {
    const d = dLogits[o]!;
    if (d === 0) continue;
    if (g) g.denseBias[o]! += d;
    for (let i = 0; i < k; i++) {
      if (g) g.dense[o * k + i]! += d * t.features[i]!;
      dCur[i]! += d * net.dense[o * k + i]!;
    }
  }
  for (let si = net.stages.length - 1; si >= 0; si--) {
    const s = net.stages[si]!;
    const [h, w] = s.input;
    const f = s.filters;
    // unpool to the argmax, through the ReLU
    const dRelu = new Float32Array(h * w * f);
    const am = t.argmax[si]!;
    for (let i = 0; i < am.length; i++) if (t.relu[si]![am[i]!]! > 0) dRelu[am[i]!]! += dCur[i]!;
    dCur = convBackward(s, net.kernel, t.inputs[si]!, dRelu, g ? g.stages[si]! : null, si > 0 || dInput !== undefined);
  }
  if (dInput) dInput.set(dCur);
  return -Math.log(Math.max(t.probabilities[label]!, 1e-12));
}

/** Weight and bias gradients of a SAME conv; the input gradient when `needInput`. */
function convBackward(s: ConvStage, k: number, x: Float32Array, dOut: Float32Array, g: { weights: Float32Array; bias: Float32Array } | null, needInput: boolean): Float32Array {
  const [h, w, c] = s.input;
  const f = s.filters;
  const pad = Math.floor((k - 1) / 2);
  const dIn = new Float32Array(needInput ? h * w * c : 0);
  for (let oy = 0; oy < h; oy++)
    for (let ox = 0; ox < w; ox++) {
      const base = (oy * w + ox) * f;
      for (let o = 0; o < f; o++) {
        const d = dOut[base + o]!;
        if (d === 0) continue;
        if (g) g.bias[o]! += d;
        for (let ky = 0; ky < k; ky++) {
          const iy = oy + ky - pad;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox + kx - pad;
            if (ix < 0 || ix >= w) continue;
            const xBase = (iy * w + ix) * c;
            const wBase = ((o * k + ky) * k + kx) * c;
            if (g) for (let ci = 0; ci < c; ci++) g.weights[wBase + ci]! += d * x[xBase + ci]!;
            if (needInput) for (let ci = 0; ci < c; ci++) dIn[xBase + ci]! += d * s.weights[wBase + ci]!;
          }
        }
      }
    }
  return dIn;
}

/** One sample's cross-entropy loss and its gradients (tests check them against finite differences). */
export function lossAndGradients(net: Cnn, x: Float32Array, label: number): { loss: number; gradients: Gradients } {
  const g = zeroGradients(net);
  const loss = backward(net, forward(net, x), label, g);
  return { loss, gradients: g };
}

/** Cross-entropy loss of one sample and its gradient with respect to the input pixels. */
export function inputGradient(net: Cnn, x: Float32Array, label: number): { loss: number; gradient: Float32Array } {
  const gradient = new Float32Array(x.length);
  const loss = backward(net, forward(net, x), label, null, gradient);
  return { loss, gradient };
}

/**
 * A PGD example for pixels x in [0, 1] (see AdversarialOptions), radius `eps` and step `step` in
 * the [0, 1] scale, `steps` steps from a uniform random start drawn from `rng`.
 */
export function pgdExample(net: Cnn, x: Float32Array, label: number, eps: number, step: number, steps: number, rng: Rng): Float32Array {
  const lo = Float32Array.from(x, (v) => Math.max(0, v - eps));
  const hi = Float32Array.from(x, (v) => Math.min(1, v + eps));
  const adv = Float32Array.from(x, (_, i) => lo[i]! + rng.next() * (hi[i]! - lo[i]!));
  for (let t = 0; t < steps; t++) {
    const { gradient } = inputGradient(net, adv, label);
    for (let i = 0; i < adv.length; i++) {
      const gi = gradient[i]!;
      const v = adv[i]! + (gi > 0 ? step : gi < 0 ? -step : 0);
      adv[i] = v < lo[i]! ? lo[i]! : v > hi[i]! ? hi[i]! : v;
    }
  }
  return adv;
}

export function trainCnnFloat(data: Dataset, shape: [number, number, number], opts: CnnOptions): Cnn {
  const filters = opts.filters ?? [8, 16];
  const net = initCnn(shape, filters, opts.kernel ?? 5, data.classes, opts.seed);
  const epochs = opts.epochs ?? 3;
  const batch = opts.batchSize ?? 32;
  const lr0 = opts.learningRate ?? 0.03;
  const l2 = opts.l2 ?? 5e-4;
  const params = [...net.stages.flatMap((s) => [s.weights, s.bias]), net.dense, net.denseBias];
  const velocity = params.map((p) => new Float32Array(p.length));
  const rng = new Rng(opts.seed ^ 0x2545f491);
  const order = Array.from({ length: data.count }, (_, i) => i);
  const steps = epochs * Math.ceil(data.count / batch);
  let step = 0;
  const adv = opts.adversarial && pgdSettings(opts.adversarial);
  const pgdStep = adv ? adv.stepSize * PIXEL_SCALE : 0;
  const ramp = Math.max(1, Math.round((adv ? adv.rampFraction : 0.2) * steps));
  const advRng = new Rng(opts.seed ^ 0x5eed0adf);
  for (let epoch = 0; epoch < epochs; epoch++) {
    rng.shuffle(order);
    for (let start = 0; start < data.count; start += batch) {
      const g = zeroGradients(net);
      const end = Math.min(data.count, start + batch);
      const radius = adv ? adv.eps * PIXEL_SCALE * Math.min(1, (step + 1) / ramp) : 0;
      for (let b = start; b < end; b++) {
        const i = order[b]!;
        let x = pixels(data.images[i]!);
        if (adv) x = pgdExample(net, x, data.labels[i]!, radius, pgdStep * (radius / (adv.eps * PIXEL_SCALE || 1)), adv.steps, advRng);
        backward(net, forward(net, x), data.labels[i]!, g);
      }
      const lr = 0.5 * lr0 * (1 + Math.cos((Math.PI * step++) / steps));
      const grads = [...g.stages.flatMap((s) => [s.weights, s.bias]), g.dense, g.denseBias];
      params.forEach((p, pi) => {
        const v = velocity[pi]!;
        const gr = grads[pi]!;
        const decay = pi % 2 === 0 ? l2 : 0; // weights, not biases
        for (let j = 0; j < p.length; j++) {
          v[j] = 0.9 * v[j]! - lr * (gr[j]! / (end - start) + decay * p[j]!);
          p[j]! += v[j]!;
        }
      });
      if ((start / batch) % 50 === 0) opts.onProgress?.({ stage: `train CNN, epoch ${epoch + 1}/${epochs}`, done: start, total: data.count });
    }
  }
  return net;
}

const pixels = (image: Int8Array): Float32Array => Float32Array.from(image, (q) => (q + 128) * PIXEL_SCALE);

/** The trained float CNN in the importer's middle form: NHWC layers with real weights. */
export function cnnGraph(net: Cnn, shape: [number, number, number]): LoweredGraph {
  const values = new Map<string, Value>();
  const value = (name: string, s: [number, number, number]): Value => {
    const v: Value = { name, shape: s, dims: [1, s[2], s[0], s[1]], layout: "nchw" };
    values.set(name, v);
    return v;
  };
  const input = value("input", shape);
  const ops: Op[] = [];
  let cur = input.name;
  const k = net.kernel;
  const pad = Math.floor((k - 1) / 2);
  net.stages.forEach((s, i) => {
    const [h, w] = s.input;
    const conv = value(`conv${i + 1}`, [h, w, s.filters]);
    ops.push({
      kind: "conv", id: `conv${i + 1}`, input: cur, output: conv.name, from: `conv stage ${i + 1}`, depthwise: false, depthMultiplier: 1, filters: s.filters,
      kernel: [k, k], stride: [1, 1], dilation: [1, 1], padding: [pad, pad, k - 1 - pad, k - 1 - pad],
      weights: { real: s.weights }, bias: { real: s.bias }, act: { min: 0, max: Infinity },
    });
    const pool = value(`pool${i + 1}`, [pooled(h), pooled(w), s.filters]);
    ops.push({ kind: "max_pool", id: `pool${i + 1}`, input: conv.name, output: pool.name, from: `pool stage ${i + 1}`, pool: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] });
    cur = pool.name;
  });
  const features = net.dense.length / net.classes;
  const flat: Value = { name: "flatten", shape: [1, 1, features], dims: [1, features], layout: "plain" };
  values.set(flat.name, flat);
  ops.push({ kind: "reshape", id: "flatten", input: cur, output: flat.name, from: "flatten" });
  const logits: Value = { name: "logits", shape: [1, 1, net.classes], dims: [1, net.classes], layout: "plain" };
  values.set(logits.name, logits);
  ops.push({ kind: "matmul", id: "logits", input: flat.name, output: logits.name, from: "dense", units: net.classes, weights: { real: net.dense }, bias: { real: net.denseBias } });
  return { file: "cnn", inputs: [input], output: logits.name, outputName: logits.name, droppedOutputs: [], ops, values, quantizedInFile: false, notes: [] };
}

export function trainCnn(splits: DatasetSplits, opts: CnnOptions): TrainResult {
  const { fit, validation } = splitValidation(splits.train);
  const shape = splits.train.shape;
  const net = trainCnnFloat(fit, shape, opts);
  const g = cnnGraph(net, shape);
  const calibration = spreadSubset(fit, opts.calibrationSamples ?? 500, "calibration");
  const inputQuant = { scale: PIXEL_SCALE, zeroPoint: -128 };
  const q = quantizeFloatGraph(g, calibration.images.map((im) => [pixels(im)]), inputQuant, { kind: "minmax" });
  const filters = net.stages.map((s) => s.filters);
  const adv = opts.adversarial && pgdSettings(opts.adversarial);
  const model: ModelFileInput = {
    format: "strongnet-model",
    version: 1,
    name: opts.name,
    description: `CNN baseline: ${filters.map((f) => `conv${net.kernel}x${net.kernel}x${f}-pool`).join("-")}-dense${net.classes} (ReLU), trained by strongnet train --arch cnn${adv ? ` --adversarial pgd (eps ${adv.eps}/255, ${adv.steps} steps)` : ""} on ${opts.datasetLabel}, int8 after training.`,
    input: { shape },
    tables: [],
    layers: [...q.layers, { id: "class", kind: "argmax", input: "logits" }],
    output: "class",
    metadata: { outputQuantization: q.outputQuantization },
  };
  const graph = graphOf(model);
  const floatTest = Uint8Array.from(splits.test.images, (im) => argmaxOf(runFloat(g, [pixels(im)]).get(g.output)!));
  // the reference runs a CNN ~100x slower than an MLP: train accuracy on a spread sample
  const accuracy = measureAccuracy(graph, { test: splits.test, validation, fit }, floatTest, opts.onProgress, TRAIN_ACCURACY_IMAGES);
  return {
    model,
    metrics: {
      arch: "cnn",
      dataset: opts.datasetLabel,
      seed: opts.seed,
      split: { fit: fit.count, validation: validation.count, test: splits.test.count, rule: VALIDATION_RULE },
      accuracy,
      plan: planFigures(graph),
      details: {
        filters, kernel: net.kernel, epochs: opts.epochs ?? 3, learningRate: opts.learningRate ?? 0.03, l2: opts.l2 ?? 5e-4, calibrationSamples: calibration.count,
        ...(adv ? { adversarial: { ...adv, unit: "int8 pixel units (E/255)" } } : {}),
      },
    },
  };
}

function argmaxOf(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
