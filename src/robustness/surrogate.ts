/**
 * A surrogate gradient of the int8 graph (BPDA: backward pass differentiable approximation,
 * Athalye et al., ICML 2018): the forward pass is the exact int8 model, the backward pass treats
 * each piece as its natural continuous twin —
 *   table T       -> local slope (T[x+k] - T[x-k]) / 2k (a smoothed finite difference),
 *   min / max     -> the active literal (the one that attains the value) takes the gradient,
 *   linear row    -> weight * multiplier / 2^shift (requantization as a real scale), times the
 *                    activation table's local slope; 0 where the requantization saturates
 *                    (except in the score layer, whose accumulators are the attack's target).
 * It only steers the search; every candidate is scored on the int8 model.
 */
import { rowScale, type FlatGraph, type FlatLayer } from "./flat.js";

const K = 2;

function slopeAt(t: Int8Array, x: number): number {
  const a = Math.max(-128, x - K);
  const b = Math.min(127, x + K);
  return (t[b + 128]! - t[a + 128]!) / (b - a);
}

/**
 * Gradient with respect to the input of sum_c weights[c] * score_c (the scores of fg.scoreLayer,
 * before rounding), at the point whose layer values are `values` (values[0] = input).
 */
export function surrogateGradient(fg: FlatGraph, values: Int8Array[], accs: (Float64Array | undefined)[], weights: Float64Array): Float64Array {
  let g: Float64Array = Float64Array.from(weights);
  for (let li = fg.scoreLayer; li >= 0; li--) {
    const l = fg.layers[li]!;
    g = backLayer(l, values[li]!, accs[li], g, li === fg.scoreLayer);
  }
  return g;
}

function backLayer(l: FlatLayer, x: Int8Array, acc: Float64Array | undefined, gOut: Float64Array, isScore: boolean): Float64Array {
  const gIn = new Float64Array(l.inputSize);
  switch (l.kind) {
    case "table":
      for (let i = 0; i < l.size; i++) if (gOut[i] !== 0) gIn[i] = gOut[i]! * slopeAt(l.table, x[i]!);
      break;
    case "minmax":
      for (let n = 0; n < l.size; n++) {
        const go = gOut[n]!;
        if (go === 0) continue;
        let bestVal = -129;
        let bestLit = -1;
        for (let gi = l.groupStart[n]!; gi < l.groupStart[n + 1]!; gi++) {
          let minVal = 128;
          let minLit = -1;
          for (let k = l.litStart[gi]!; k < l.litStart[gi + 1]!; k++) {
            const i = l.litInput[k]!;
            const v = i < 0 ? l.litConst[k]! : l.litTable[k]![x[i]! + 128]!;
            if (v < minVal) {
              minVal = v;
              minLit = k;
            }
          }
          if (minVal > bestVal) {
            bestVal = minVal;
            bestLit = minLit;
          }
        }
        const i = l.litInput[bestLit]!;
        if (i >= 0) gIn[i]! += go * slopeAt(l.litTable[bestLit]!, x[i]!);
      }
      break;
    case "linear": {
      for (let r = 0; r < l.size; r++) {
        const rq = rowScale(l.requant[r]!);
        const scale = rq.scale;
        let go = gOut[r]! * scale;
        if (go === 0) continue;
        if (acc && !isScore) {
          // saturation is a flat region (a ReLU made of offset -128 and the clamp): no gradient
          const real = acc[r]! * scale + rq.offset;
          if (real < rq.min - 0.5 || real > rq.max + 0.5) continue;
          if (l.activation) go *= slopeAt(l.activation, Math.max(-128, Math.min(127, Math.round(real))));
        }
        for (let k = l.rowStart[r]!; k < l.rowStart[r + 1]!; k++) gIn[l.col[k]!]! += go * l.weight[k]!;
      }
      break;
    }
  }
  return gIn;
}
