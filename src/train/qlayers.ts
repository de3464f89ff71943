/**
 * Quantization of the trainer's float layers into the model format, with the conventions both
 * trained architectures share (docs/training.md):
 *
 *  - Non-negative activations use the whole int8 range: real = (q + 128) * scale. Pixels are
 *    (q + 128) / 255; strong-neuron outputs (q + 128) / 256; a ReLU hidden layer is produced by
 *    requantizing with offset -128, so the int8 clamp at -128 *is* the ReLU and no table is
 *    needed. The constant 128 * scale * sum(w) is folded into the int32 bias exactly (with the
 *    quantized weights), so no zero point exists at run time.
 *  - Weights: symmetric per-layer int8 (src/quantize); logits are requantized so the 99.9th
 *    percentile of |logit| on training data maps to 127.
 */
import type { QuantizedLinear } from "../quantize/index.js";
import { quantizeLinear } from "../quantize/index.js";

/**
 * Quantizes y = W x + b, W [rows][cols], for inputs real = (q + 128) * inputScale and int8
 * outputs real = (q - outputOffset) * outputScale.
 */
export function quantizeAffine(
  weights: ArrayLike<number>,
  bias: ArrayLike<number>,
  rows: number,
  cols: number,
  inputScale: number,
  outputScale: number,
  outputOffset: number,
): QuantizedLinear {
  const q = quantizeLinear(weights, bias, inputScale, outputScale, outputOffset);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += q.weights[r * cols + j]!;
    q.bias[r] = q.bias[r]! + 128 * sum;
  }
  return q;
}

/** The p-quantile (0..1) of the values (nearest rank on a sorted copy). */
export function quantile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Absolute values of a float array. */
export const absolute = (values: ArrayLike<number>): Float64Array => Float64Array.from(values as ArrayLike<number>, Math.abs);
