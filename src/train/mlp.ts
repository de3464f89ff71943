/**
 * A float multi-layer perceptron trainer (ReLU hidden layers, softmax cross-entropy output):
 * minibatch SGD with momentum, L2 weight decay and a cosine learning-rate schedule, seeded.
 *
 * Used twice: for the dense int8 baseline (784-128-10 on pixels) and for the small supervised
 * sparse part of the strong network (strong features -> sparse hidden summators -> classes),
 * where `masks` pin pruned weights at zero. Weights are [out][in] row-major Float32Arrays.
 * Deterministic: the only randomness is the seeded initialisation and shuffling.
 */
import { Rng } from "../util/random.js";

export interface Mlp {
  /** layer widths, input first: [784, 128, 10] */
  dims: number[];
  /** weights[l]: [dims[l+1]][dims[l]] */
  weights: Float32Array[];
  biases: Float32Array[];
}

export interface MlpOptions {
  epochs: number;
  learningRate: number;
  batchSize?: number;
  momentum?: number;
  l2?: number;
  seed: number;
  /** per layer: 1 = trainable, 0 = pinned at zero (undefined: dense) */
  masks?: (Uint8Array | undefined)[];
  /** start from these parameters (copied) instead of a random initialisation */
  init?: Mlp;
  /**
   * per hidden layer: the activation saturates at this value (the int8 range of the quantized
   * hidden layer), so training sees the same clipping as the device
   */
  caps?: (number | undefined)[];
  /**
   * label smoothing: the target puts 1 - s on the label and s / classes on every class
   * (default 0, plain one-hot)
   */
  labelSmoothing?: number;
  /**
   * dropout on the hidden layers while training: each hidden unit is zeroed with this
   * probability and the others scaled by 1 / (1 - p) (default 0, none; inference never drops)
   */
  dropout?: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

export function initMlp(dims: number[], seed: number): Mlp {
  const rng = new Rng(seed);
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const fanIn = dims[l]!;
    const std = Math.sqrt(2 / fanIn);
    weights.push(Float32Array.from({ length: dims[l + 1]! * fanIn }, () => rng.normal() * std));
    biases.push(new Float32Array(dims[l + 1]!));
  }
  return { dims: [...dims], weights, biases };
}

export const cloneMlp = (m: Mlp): Mlp => ({ dims: [...m.dims], weights: m.weights.map((w) => w.slice()), biases: m.biases.map((b) => b.slice()) });

export function trainMlp(x: Float32Array, labels: Uint8Array, dims: number[], opts: MlpOptions): Mlp {
  const n = labels.length;
  if (x.length !== n * dims[0]!) throw new Error(`trainMlp: ${x.length} input values for ${n} samples of ${dims[0]}`);
  const L = dims.length - 1;
  const model = opts.init ? cloneMlp(opts.init) : initMlp(dims, opts.seed);
  const masks = opts.masks ?? [];
  masks.forEach((m, l) => {
    if (m) for (let i = 0; i < m.length; i++) if (!m[i]) model.weights[l]![i] = 0;
  });
  const batch = opts.batchSize ?? 32;
  const momentum = opts.momentum ?? 0.9;
  const l2 = opts.l2 ?? 0;
  const smoothing = opts.labelSmoothing ?? 0;
  const dropout = opts.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`trainMlp: dropout ${dropout} is not in [0, 1)`);
  // its own generator, so that the shuffling (and so a model without dropout) does not change
  const drop = dropout > 0 ? { rate: dropout, keptScale: 1 / (1 - dropout), rng: new Rng(opts.seed ^ 0x2545f491) } : undefined;
  // Training keeps every matrix input-major ([in][out]): an on input's weights to all outputs are
  // contiguous, for the forward sums and the gradient alike. Every float operation is the same,
  // in the same order, as on the [out][in] model: the layout changes the speed, not the bits.
  const weights = model.weights.map((w, l) => transposed(w, dims[l + 1]!, dims[l]!));
  const trainable = model.weights.map((_, l) => masks[l] && transposed(masks[l], dims[l + 1]!, dims[l]!));
  const vW = weights.map((w) => new Float32Array(w.length));
  const vB = model.biases.map((b) => new Float32Array(b.length));
  const gW = weights.map((w) => new Float32Array(w.length));
  const gB = model.biases.map((b) => new Float32Array(b.length));
  const buffers = forwardBuffers(dims);
  const { acts, active, activeCounts } = buffers;
  const sums = dims.map((d) => new Float64Array(d));
  const deltas = dims.map((d) => new Float32Array(d));
  const nonZeroDeltas = new Int32Array(Math.max(...dims));
  const rng = new Rng(opts.seed ^ 0x5bd1e995);
  const order = Array.from({ length: n }, (_, i) => i);
  const steps = opts.epochs * Math.ceil(n / batch);
  let step = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    rng.shuffle(order);
    let loss = 0;
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      for (const g of gW) g.fill(0);
      for (const g of gB) g.fill(0);
      for (let s = start; s < end; s++) {
        const i = order[s]!;
        acts[0]!.set(x.subarray(i * dims[0]!, (i + 1) * dims[0]!));
        forward(dims, weights, model.biases, buffers, sums, opts.caps, drop);
        const out = acts[L]!;
        // softmax + cross-entropy gradient
        let max = -Infinity;
        for (let c = 0; c < out.length; c++) max = Math.max(max, out[c]!);
        let sum = 0;
        for (let c = 0; c < out.length; c++) sum += Math.exp(out[c]! - max);
        const dOut = deltas[L]!;
        for (let c = 0; c < out.length; c++) dOut[c] = Math.exp(out[c]! - max) / sum;
        loss -= Math.log(Math.max(dOut[labels[i]!]!, 1e-12));
        if (smoothing > 0) for (let c = 0; c < out.length; c++) dOut[c]! -= smoothing / out.length;
        dOut[labels[i]!]! -= 1 - smoothing;
        for (let l = L - 1; l >= 0; l--) {
          const din = dims[l]!;
          const dout = dims[l + 1]!;
          const W = weights[l]!;
          const G = gW[l]!;
          const a = acts[l]!;
          const d = deltas[l + 1]!;
          const gb = gB[l]!;
          const on = active[l]!;
          const onCount = activeCounts[l]!;
          // outputs without gradient (ReLU off, or dropped) add nothing
          let nz = 0;
          for (let o = 0; o < dout; o++) if (d[o] !== 0) nonZeroDeltas[nz++] = o;
          for (let t = 0; t < nz; t++) gb[nonZeroDeltas[t]!]! += d[nonZeroDeltas[t]!]!;
          for (let k = 0; k < onCount; k++) {
            const j = on[k]!;
            const aj = a[j]!;
            const row = j * dout;
            for (let t = 0; t < nz; t++) {
              const o = nonZeroDeltas[t]!;
              G[row + o]! += d[o]! * aj;
            }
          }
          if (l > 0) {
            const dprev = deltas[l]!;
            dprev.fill(0);
            for (let t = 0; t < nz; t++) {
              const o = nonZeroDeltas[t]!;
              const dv = d[o]!;
              for (let j = 0; j < din; j++) dprev[j]! += dv * W[j * dout + o]!;
            }
            // ReLU (and the cap): no gradient where the unit is off (or dropped) or saturated. A
            // kept unit was scaled by dropout: so is its gradient, and its cap as forward stored
            // it (without dropout the scale is 1 and the cap compared as it is: exact)
            const cap = opts.caps?.[l - 1];
            const scale = drop?.keptScale ?? 1;
            const saturated = cap === undefined ? Infinity : drop ? Math.fround(cap * scale) : cap;
            for (let j = 0; j < din; j++) dprev[j] = a[j]! <= 0 || a[j]! >= saturated ? 0 : dprev[j]! * scale;
          }
        }
      }
      const lr = (opts.learningRate * 0.5 * (1 + Math.cos((Math.PI * step) / steps))) / (end - start);
      step++;
      for (let l = 0; l < L; l++) {
        const W = weights[l]!;
        const G = gW[l]!;
        const V = vW[l]!;
        const m = trainable[l];
        const decay = l2 * (end - start);
        for (let j = 0; j < W.length; j++) {
          if (m && !m[j]) continue;
          V[j] = momentum * V[j]! - lr * (G[j]! + decay * W[j]!);
          W[j]! += V[j]!;
        }
        const b = model.biases[l]!;
        for (let o = 0; o < b.length; o++) {
          vB[l]![o] = momentum * vB[l]![o]! - lr * gB[l]![o]!;
          b[o]! += vB[l]![o]!;
        }
      }
    }
    opts.onEpoch?.(epoch, loss / n);
  }
  weights.forEach((w, l) => (model.weights[l] = transposed(w, dims[l]!, dims[l + 1]!)));
  return model;
}

/** A [rows][cols] row-major matrix as [cols][rows]. */
function transposed<T extends Float32Array | Uint8Array>(m: T, rows: number, cols: number): T {
  const out = new (m.constructor as new (length: number) => T)(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!;
  return out;
}

/** What forward fills, per layer: the activations, and the indices of the non-zero ones and their number. */
interface ForwardBuffers {
  acts: Float32Array[];
  active: Int32Array[];
  activeCounts: Int32Array;
}

const forwardBuffers = (dims: number[]): ForwardBuffers => ({
  acts: dims.map((d) => new Float32Array(d)),
  active: dims.map((d) => new Int32Array(d)),
  activeCounts: new Int32Array(dims.length),
});

interface Dropout {
  rate: number;
  keptScale: number;
  rng: Rng;
}

/** A hidden unit's output: ReLU, clipped at the cap, then dropped or scaled by dropout. */
function activate(s: number, cap: number | undefined, drop: Dropout | undefined): number {
  s = s > 0 ? s : 0;
  if (cap !== undefined && s > cap) s = cap;
  if (drop) s = drop.rng.next() < drop.rate ? 0 : s * drop.keptScale;
  return s;
}

/**
 * acts[0] holds the input; fills acts[1..] (ReLU on hidden layers, clipped at caps) from
 * input-major ([in][out]) weights: each on input adds its contiguous row to the outputs' sums.
 *
 * Only the non-zero activations are multiplied: strong features are 0 when off (half of them on
 * a garment, 70% on a digit) and ReLU zeroes hidden units. Skipping a zero term leaves every
 * float sum bit-identical (s + w * 0 === s), so results do not depend on it. Each sum is one
 * double-precision chain, the bias then the on inputs in order, whatever the loop nesting.
 * `active[l]` gets the indices of layer l's non-zero activations and `activeCounts[l]` their
 * number, for the gradient. With `drop` (training only), each hidden unit is zeroed with
 * probability `drop.rate` and the others are scaled by `drop.keptScale` = 1 / (1 - rate).
 */
function forward(
  dims: number[],
  weights: Float32Array[],
  biases: Float32Array[],
  { acts, active, activeCounts }: ForwardBuffers,
  sums: Float64Array[],
  caps?: (number | undefined)[],
  drop?: Dropout,
): void {
  const L = dims.length - 1;
  for (let l = 0; l < L; l++) {
    const din = dims[l]!;
    const dout = dims[l + 1]!;
    const W = weights[l]!;
    const a = acts[l]!;
    const z = acts[l + 1]!;
    const on = active[l]!;
    const sum = sums[l + 1]!;
    let onCount = 0;
    for (let j = 0; j < din; j++) if (a[j] !== 0) on[onCount++] = j;
    activeCounts[l] = onCount;
    sum.set(biases[l]!);
    // four inputs per pass over the outputs (the adds stay in input order): fewer loads and
    // stores of the sums
    let k = 0;
    for (; k + 4 <= onCount; k += 4) {
      const [j0, j1, j2, j3] = [on[k]!, on[k + 1]!, on[k + 2]!, on[k + 3]!];
      const [a0, a1, a2, a3] = [a[j0]!, a[j1]!, a[j2]!, a[j3]!];
      const [r0, r1, r2, r3] = [j0 * dout, j1 * dout, j2 * dout, j3 * dout];
      for (let o = 0; o < dout; o++) {
        let t = sum[o]!;
        t += W[r0 + o]! * a0;
        t += W[r1 + o]! * a1;
        t += W[r2 + o]! * a2;
        t += W[r3 + o]! * a3;
        sum[o] = t;
      }
    }
    for (; k < onCount; k++) {
      const j = on[k]!;
      const aj = a[j]!;
      const row = j * dout;
      for (let o = 0; o < dout; o++) sum[o]! += W[row + o]! * aj;
    }
    for (let o = 0; o < dout; o++) z[o] = l < L - 1 ? activate(sum[o]!, caps?.[l], drop) : sum[o]!;
  }
}

/** Runs forward on every sample of `x` (row-major, dims[0] values each) and hands visit its activations. */
function forEachSample(model: Mlp, x: Float32Array, caps: (number | undefined)[] | undefined, visit: (i: number, acts: Float32Array[]) => void): void {
  const { dims } = model;
  const weights = model.weights.map((w, l) => transposed(w, dims[l + 1]!, dims[l]!));
  const buffers = forwardBuffers(dims);
  const sums = dims.map((d) => new Float64Array(d));
  for (let i = 0; i < x.length / dims[0]!; i++) {
    buffers.acts[0]!.set(x.subarray(i * dims[0]!, (i + 1) * dims[0]!));
    forward(dims, weights, model.biases, buffers, sums, caps);
    visit(i, buffers.acts);
  }
}

/** Predicted class (first maximum) of every sample. */
export function mlpPredict(model: Mlp, x: Float32Array, caps?: (number | undefined)[]): Uint8Array {
  const out = new Uint8Array(x.length / model.dims[0]!);
  forEachSample(model, x, caps, (i, acts) => {
    const z = acts.at(-1)!;
    let best = 0;
    for (let c = 1; c < z.length; c++) if (z[c]! > z[best]!) best = c;
    out[i] = best;
  });
  return out;
}

/** Hidden-layer activations (after ReLU, and the cap when `caps` gives one) of layer `l` (1-based) for every sample. */
export function hiddenActivations(model: Mlp, x: Float32Array, l: number, caps?: (number | undefined)[]): Float32Array {
  const width = model.dims[l]!;
  const out = new Float32Array((x.length / model.dims[0]!) * width);
  forEachSample(model, x, caps, (i, acts) => out.set(acts[l]!, i * width));
  return out;
}

/** Mask keeping the `k` largest-|w| inputs of every output row of a [out][in] matrix. */
export function rowTopK(weights: Float32Array, rows: number, k: number): Uint8Array {
  const cols = weights.length / rows;
  const mask = new Uint8Array(weights.length);
  const idx = new Int32Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let j = 0; j < cols; j++) idx[j] = j;
    const sorted = Array.from(idx).sort((a, b) => Math.abs(weights[row + b]!) - Math.abs(weights[row + a]!) || a - b);
    for (const j of sorted.slice(0, k)) mask[row + j] = 1;
  }
  return mask;
}
