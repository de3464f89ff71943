/**
 * The data-parallel kernels of the trainer. Each reads shared inputs and writes the slice
 * [from, to) of a shared output, so the result does not depend on how the range is split.
 */
import { evaluateCandidates, type CandidateSet } from "./fragments.js";

export type KernelTask =
  | {
      kind: "evaluate";
      set: CandidateSet;
      tables: Int8Array[];
      pixels: Int8Array;
      imageSize: number;
      n: number;
      /** candidate-major int8 features, count * n */
      out: Int8Array;
      from: number;
      to: number;
    }
  | {
      kind: "score";
      /** candidate-major int8 features, count * n */
      features: Int8Array;
      n: number;
      /** residuals (softmax probability - one-hot label), n * k */
      residual: Float32Array;
      k: number;
      /** per candidate: the squared norm of the loss gradient w.r.t. a new standardized weight */
      out: Float64Array;
      from: number;
      to: number;
    };

export function runKernel(task: KernelTask): void {
  switch (task.kind) {
    case "evaluate":
      evaluateCandidates(task.set, task.tables, task.pixels, task.imageSize, task.n, task.from, task.to, task.out);
      return;
    case "score":
      scoreCandidates(task.features, task.n, task.residual, task.k, task.from, task.to, task.out);
      return;
  }
}

/**
 * Grafting score of each candidate feature j: with the feature standardized to zero mean and
 * unit variance, the gradient of the summed cross-entropy w.r.t. a new weight w_jk is
 * g_jk = sum_i r_ik (x_ij - mean_j) / std_j; the score is sum_k g_jk^2. Constant features score 0.
 */
export function scoreCandidates(
  features: Int8Array,
  n: number,
  residual: Float32Array,
  k: number,
  from: number,
  to: number,
  out: Float64Array,
): void {
  const colSum = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) colSum[c]! += residual[i * k + c]!;
  const g = new Float64Array(k);
  for (let j = from; j < to; j++) {
    const row = j * n;
    let s = 0;
    let s2 = 0;
    g.fill(0);
    for (let i = 0; i < n; i++) {
      const x = features[row + i]!;
      s += x;
      s2 += x * x;
      if (x === -128) continue; // handled below through the column sums (most features are off)
      const v = x + 128;
      const r = i * k;
      for (let c = 0; c < k; c++) g[c]! += residual[r + c]! * v;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    if (variance < 1e-9) {
      out[j] = 0;
      continue;
    }
    // sum_i r_ik (x_ij - mean) = sum_i r_ik (x_ij + 128) - (mean + 128) colSum_k
    let score = 0;
    for (let c = 0; c < k; c++) {
      const gc = g[c]! - (mean + 128) * colSum[c]!;
      score += gc * gc;
    }
    out[j] = score / variance;
  }
}
