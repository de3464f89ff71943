/**
 * A small float softmax-regression (multinomial logistic regression) trainer: minibatch SGD with
 * momentum, L2 weight decay and a cosine learning-rate schedule. Deterministic: the only source
 * of randomness is the seeded PRNG that shuffles the minibatches.
 *
 * Features are a packed Float32Array, sample i at [i * dim, (i + 1) * dim). Weights are
 * [classes][dim] row-major. An optional `mask` (same layout as the weights, 1 = trainable,
 * 0 = pinned at zero) trains a sparse model, e.g. after magnitude pruning.
 */
import { Rng } from "../util/random.js";

export interface LinearModel {
  classes: number;
  dim: number;
  /** [classes][dim] */
  weights: Float64Array;
  bias: Float64Array;
}

export interface SoftmaxOptions {
  epochs: number;
  /** initial learning rate */
  learningRate: number;
  batchSize?: number;
  momentum?: number;
  /** L2 penalty on the weights (not the bias) */
  l2?: number;
  seed: number;
  mask?: Uint8Array;
  /** start from these weights instead of zeros (copied) */
  init?: LinearModel;
  /** called after each epoch with the mean training loss */
  onEpoch?: (epoch: number, loss: number) => void;
}

export function trainSoftmax(features: Float32Array, labels: Uint8Array, classes: number, opts: SoftmaxOptions): LinearModel {
  const n = labels.length;
  const dim = features.length / n;
  if (!Number.isInteger(dim)) throw new Error(`trainSoftmax: ${features.length} feature values for ${n} labels`);
  const batch = opts.batchSize ?? 32;
  const momentum = opts.momentum ?? 0.9;
  const l2 = opts.l2 ?? 0;
  const model: LinearModel = opts.init
    ? { classes, dim, weights: opts.init.weights.slice(), bias: opts.init.bias.slice() }
    : { classes, dim, weights: new Float64Array(classes * dim), bias: new Float64Array(classes) };
  const { weights: W, bias: b } = model;
  const mask = opts.mask;
  if (mask) for (let i = 0; i < W.length; i++) if (!mask[i]) W[i] = 0;
  const vW = new Float64Array(W.length);
  const vb = new Float64Array(classes);
  const gW = new Float64Array(W.length);
  const gb = new Float64Array(classes);
  const p = new Float64Array(classes);
  const rng = new Rng(opts.seed);
  const order = Array.from({ length: n }, (_, i) => i);
  const steps = opts.epochs * Math.ceil(n / batch);
  let step = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    rng.shuffle(order);
    let loss = 0;
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      gW.fill(0);
      gb.fill(0);
      for (let k = start; k < end; k++) {
        const i = order[k]!;
        const x = features.subarray(i * dim, (i + 1) * dim);
        softmaxInto(model, x, p);
        loss -= Math.log(Math.max(p[labels[i]!]!, 1e-12));
        p[labels[i]!]! -= 1;
        for (let c = 0; c < classes; c++) {
          const g = p[c]!;
          if (g === 0) continue;
          gb[c]! += g;
          const row = c * dim;
          for (let j = 0; j < dim; j++) gW[row + j]! += g * x[j]!;
        }
      }
      const lr = (opts.learningRate * 0.5 * (1 + Math.cos((Math.PI * step) / steps))) / (end - start);
      step++;
      for (let j = 0; j < W.length; j++) {
        if (mask && !mask[j]) continue;
        vW[j] = momentum * vW[j]! - lr * (gW[j]! + l2 * (end - start) * W[j]!);
        W[j]! += vW[j]!;
      }
      for (let c = 0; c < classes; c++) {
        vb[c] = momentum * vb[c]! - lr * gb[c]!;
        b[c]! += vb[c]!;
      }
    }
    opts.onEpoch?.(epoch, loss / n);
  }
  return model;
}

/** logits = W x + b */
export function logitsInto(model: LinearModel, x: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let c = 0; c < model.classes; c++) {
    let s = model.bias[c]!;
    const row = c * model.dim;
    for (let j = 0; j < model.dim; j++) s += model.weights[row + j]! * x[j]!;
    out[c] = s;
  }
  return out;
}

function softmaxInto(model: LinearModel, x: ArrayLike<number>, out: Float64Array): void {
  logitsInto(model, x, out);
  let max = -Infinity;
  for (let c = 0; c < model.classes; c++) max = Math.max(max, out[c]!);
  let sum = 0;
  for (let c = 0; c < model.classes; c++) sum += out[c] = Math.exp(out[c]! - max);
  for (let c = 0; c < model.classes; c++) out[c]! /= sum;
}

/** Fraction of samples whose highest logit (first on ties) is the label. */
export function linearAccuracy(model: LinearModel, features: Float32Array, labels: Uint8Array): number {
  const out = new Float64Array(model.classes);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    logitsInto(model, features.subarray(i * model.dim, (i + 1) * model.dim), out);
    let best = 0;
    for (let c = 1; c < model.classes; c++) if (out[c]! > out[best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}

/** Mask keeping the `k` largest-|w| weights of every class row (ties broken by lower index). */
export function topKMask(model: LinearModel, k: number): Uint8Array {
  const mask = new Uint8Array(model.weights.length);
  for (let c = 0; c < model.classes; c++) {
    const row = c * model.dim;
    const idx = Array.from({ length: model.dim }, (_, j) => j);
    idx.sort((a, b) => Math.abs(model.weights[row + b]!) - Math.abs(model.weights[row + a]!) || a - b);
    for (const j of idx.slice(0, k)) mask[row + j] = 1;
  }
  return mask;
}
