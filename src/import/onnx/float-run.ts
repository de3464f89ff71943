/**
 * Runs a LoweredGraph in float (NHWC memory, the real weights): the ranges of calibration come
 * from it, and tests compare it with onnxruntime to prove the lowering (layouts, permuted weight
 * rows, padding) computes what the ONNX file computes.
 */
import type { Activation, LoweredGraph, Op } from "./ops.js";
import { shapeSize } from "./ops.js";

/** Every value the graph computes for one sample, by tensor name (memory order). */
export type FloatValues = Map<string, Float32Array>;

/** `inputs`: one array per model input, in memory order (HWC). */
export function runFloat(g: LoweredGraph, inputs: Float32Array[]): FloatValues {
  const values: FloatValues = new Map();
  g.inputs.forEach((v, i) => values.set(v.name, inputs[i]!));
  for (const op of g.ops) values.set(op.output, runOp(g, op, values));
  return values;
}

function runOp(g: LoweredGraph, op: Op, values: FloatValues): Float32Array {
  const x = values.get(op.input)!;
  const inV = g.values.get(op.input)!;
  const outV = g.values.get(op.output)!;
  const out = new Float32Array(shapeSize(outV.shape));
  switch (op.kind) {
    case "conv": {
      const [inH, inW, cin] = inV.shape;
      const [outH, outW, f] = outV.shape;
      const [kh, kw] = op.kernel;
      const mult = f / cin;
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++)
          for (let o = 0; o < f; o++) {
            let acc = op.bias.real[o]!;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * op.stride[0] - op.padding[0] + ky * op.dilation[0];
              if (iy < 0 || iy >= inH) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * op.stride[1] - op.padding[1] + kx * op.dilation[1];
                if (ix < 0 || ix >= inW) continue;
                const base = (iy * inW + ix) * cin;
                if (op.depthwise) acc += x[base + Math.floor(o / mult)]! * op.weights.real[(ky * kw + kx) * f + o]!;
                else {
                  const w = ((o * kh + ky) * kw + kx) * cin;
                  for (let c = 0; c < cin; c++) acc += x[base + c]! * op.weights.real[w + c]!;
                }
              }
            }
            out[(oy * outW + ox) * f + o] = activate(acc, op.act);
          }
      return out;
    }
    case "matmul": {
      const k = x.length;
      for (let u = 0; u < op.units; u++) {
        let acc = op.bias.real[u]!;
        for (let i = 0; i < k; i++) acc += op.weights.real[u * k + i]! * x[i]!;
        out[u] = activate(acc, op.act);
      }
      return out;
    }
    case "add": {
      const y = values.get(op.other)!;
      for (let i = 0; i < out.length; i++) out[i] = activate(x[i]! + y[i]!, op.act);
      return out;
    }
    case "max_pool":
    case "average_pool":
      return pool(op.kind, x, inV.shape, outV.shape, op.pool, op.stride, op.padding, out);
    case "reshape":
      out.set(x);
      return out;
    case "clamp":
      for (let i = 0; i < out.length; i++) out[i] = activate(x[i]!, op.act);
      return out;
    case "softmax": {
      let max = -Infinity;
      for (const v of x) max = Math.max(max, v);
      let sum = 0;
      for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(op.beta * (x[i]! - max));
      for (let i = 0; i < out.length; i++) out[i]! /= sum;
      return out;
    }
  }
}

const activate = (v: number, act?: Activation): number => (act ? Math.min(act.max, Math.max(act.min, v)) : v);

function pool(
  kind: "max_pool" | "average_pool",
  x: Float32Array,
  [inH, inW, c]: [number, number, number],
  [outH, outW]: [number, number, number],
  [ph, pw]: [number, number],
  [sh, sw]: [number, number],
  padding: [number, number, number, number],
  out: Float32Array,
): Float32Array {
  for (let oy = 0; oy < outH; oy++)
    for (let ox = 0; ox < outW; ox++)
      for (let ch = 0; ch < c; ch++) {
        let acc = kind === "max_pool" ? -Infinity : 0;
        let count = 0;
        for (let ky = 0; ky < ph; ky++) {
          const iy = oy * sh - padding[0] + ky;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < pw; kx++) {
            const ix = ox * sw - padding[1] + kx;
            if (ix < 0 || ix >= inW) continue;
            const v = x[(iy * inW + ix) * c + ch]!;
            acc = kind === "max_pool" ? Math.max(acc, v) : acc + v;
            count++;
          }
        }
        out[(oy * outW + ox) * c + ch] = kind === "max_pool" ? acc : acc / count;
      }
  return out;
}
