/**
 * Float -> int8 quantization for the model file: symmetric per-layer weights, int32 biases and
 * the fixed-point requantization from `requantFromScale`, plus int8 tables sampled from float
 * functions.
 *
 * Convention: a real value r is represented by int8 q with r = q * scale (symmetric, no zero
 * point). A linear unit with real inputs x = q_x * s_x and weights w = q_w * s_w has
 *   r = sum w x + b = s_x s_w (sum q_w q_x + b / (s_x s_w))
 * so the int32 accumulator is acc = sum q_w q_x + round(b / (s_x s_w)) and the int8 output at
 * scale s_y is requantize(acc) with real multiplier s_x s_w / s_y.
 */
import type { Requant } from "../format/schema.js";
import { requantFromScale } from "../reference/requant.js";

export interface QuantizedLinear {
  /** [units][inputs] int8 */
  weights: Int8Array;
  bias: Int32Array;
  requant: Requant;
  /** s_w: the real value of one weight step */
  weightScale: number;
}

/** Symmetric per-tensor int8 quantization: scale = max|v| / 127. */
export function quantizeSymmetric(values: ArrayLike<number>): { q: Int8Array; scale: number } {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]!));
  const scale = max > 0 ? max / 127 : 1;
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(values[i]! / scale)));
  return { q, scale };
}

/**
 * Quantizes a float linear layer (weights [units][inputs], bias [units]) whose inputs are int8 at
 * `inputScale` and whose int8 outputs should be at `outputScale`.
 */
export function quantizeLinear(
  weights: ArrayLike<number>,
  bias: ArrayLike<number>,
  inputScale: number,
  outputScale: number,
  outputOffset = 0,
): QuantizedLinear {
  const { q, scale } = quantizeSymmetric(weights);
  const accScale = inputScale * scale;
  const qb = Int32Array.from({ length: bias.length }, (_, u) => Math.round(bias[u]! / accScale));
  return { weights: q, bias: qb, requant: requantFromScale(accScale / outputScale, outputOffset), weightScale: scale };
}

/** An int8 -> int8 table (y = T[x + 128]) sampled from f, rounded and saturated. */
export function tableFromFunction(f: (x: number) => number): Int8Array {
  const t = new Int8Array(256);
  for (let i = 0; i < 256; i++) {
    const y = Math.round(f(i - 128));
    if (Number.isNaN(y)) throw new Error(`tableFromFunction: f(${i - 128}) is NaN`);
    t[i] = Math.max(-128, Math.min(127, y));
  }
  return t;
}

/** Largest slope |T[x+1] - T[x]| of a table: <= 1 keeps a strong neuron 1-Lipschitz (L-inf). */
export function tableSlope(t: Int8Array): number {
  let s = 0;
  for (let i = 1; i < t.length; i++) s = Math.max(s, Math.abs(t[i]! - t[i - 1]!));
  return s;
}

/** Sparse form of a quantized linear layer: the nonzero weights of each unit as summator terms. */
export function toSummatorNeurons(q: QuantizedLinear, inputs: number): { bias: number; terms: { input: number; weight: number }[] }[] {
  return Array.from(q.bias, (bias, u) => {
    const terms: { input: number; weight: number }[] = [];
    for (let j = 0; j < inputs; j++) {
      const w = q.weights[u * inputs + j]!;
      if (w !== 0) terms.push({ input: j, weight: w });
    }
    return { bias, terms };
  });
}
