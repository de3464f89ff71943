/**
 * What every importer needs to write int8 layers the TFLite way: multipliers from real scales
 * (QuantizeMultiplier), activation ranges, the input zero point folded into the bias, and ADD's
 * parameters. The TFLite converter reproduces the TFLite interpreter with them bit for bit; the
 * ONNX importer uses the same rules, so one requantization machinery serves both.
 */
import { ModelError } from "../format/errors.js";
import type { Requant } from "../format/fields.js";
import type { ModelFileInput } from "../format/schema.js";
import { tfliteMultiplier } from "../reference/requant.js";

export type LayerSpec = ModelFileInput["layers"][number];

/** The quantization of one int8 tensor: real = scale * (q - zeroPoint). */
export interface TensorQuantization {
  scale: number;
  zeroPoint: number;
}

export type Rounding = "double" | "single";

/** bias - zp_in * sum(w) per output channel: the input zero point folded into the bias. */
export function foldZeroPoint(bias: Int32Array, zeroPoint: number, channels: number, weightsOf: (c: number, visit: (w: number) => void) => void): Int32Array {
  return Int32Array.from({ length: channels }, (_, c) => {
    let sum = 0;
    weightsOf(c, (w) => (sum += w));
    const folded = bias[c]! - zeroPoint * sum;
    if (folded < -(2 ** 31) || folded > 2 ** 31 - 1) throw new ModelError("import", `folding the input zero point into bias ${c} leaves int32`);
    return folded;
  });
}

/** The int8 bounds of a real activation range [lo, hi] (CalculateActivationRangeQuantized). */
export function activationRange(out: TensorQuantization, lo: number, hi: number): { min?: number; max?: number } {
  const q = (f: number) => out.zeroPoint + roundHalfAway(Math.fround(f / Math.fround(out.scale)));
  const min = Number.isFinite(lo) ? Math.max(-128, q(lo)) : -128;
  const max = Number.isFinite(hi) ? Math.min(127, q(hi)) : 127;
  return pruneRange({ min, max: Math.max(min, max) });
}

/** One requantization per output channel from real scales; scalar when they all agree. */
export function requantOf(
  scales: number[],
  out: TensorQuantization,
  range: { min?: number; max?: number },
  rounding: Rounding,
  field: string,
): { requant: Requant; perChannel?: { multiplier: number[]; shift: number[] } } {
  const fixed = scales.map((s, c) => {
    if (!(s > 0) || !Number.isFinite(s)) throw new ModelError(field, `output channel ${c}: the effective scale ${s} is not positive and finite (check the weight scales)`);
    const m = tfliteMultiplier(s);
    if (!m) throw new ModelError(field, `output channel ${c}: the effective scale ${s} is below 2^-31 (TFLite flushes it to zero); not supported`);
    return m;
  });
  const base = { offset: out.zeroPoint, ...(rounding === "double" ? { rounding: "double" as const } : {}), ...range };
  const uniform = fixed.every((m) => m.multiplier === fixed[0]!.multiplier && m.shift === fixed[0]!.shift);
  if (uniform) return { requant: { ...fixed[0]!, ...base } };
  return {
    requant: { ...fixed[0]!, ...base },
    perChannel: { multiplier: fixed.map((m) => m.multiplier), shift: fixed.map((m) => m.shift) },
  };
}

/**
 * ADD as TFLite's int8 kernel prepares it (add_common.cc): left shift 20; each input rescaled
 * by its scale / (2 * the larger input scale), the sum by that / (2^20 * output scale), all
 * through QuantizeMultiplierSmallerThanOneExp.
 */
export function addLayer(
  ids: { id: string; input: string; other: string },
  a: TensorQuantization,
  b: TensorQuantization,
  out: TensorQuantization,
  range: { min?: number; max?: number },
  field: string,
): LayerSpec {
  const leftShift = 20;
  const twiceMax = 2 * Math.max(Math.fround(a.scale), Math.fround(b.scale));
  const smaller = (real: number, what: string) => {
    const m = real > 0 && real < 1 ? tfliteMultiplier(real) : null;
    if (!m || m.shift < 31) throw new ModelError(field, `${what} multiplier ${real} is not in (0, 1)`);
    return m;
  };
  return {
    ...ids, kind: "add", leftShift,
    first: { zeroPoint: a.zeroPoint, ...smaller(Math.fround(a.scale) / twiceMax, "the first input's") },
    second: { zeroPoint: b.zeroPoint, ...smaller(Math.fround(b.scale) / twiceMax, "the second input's") },
    output: { ...smaller(twiceMax / (2 ** leftShift * Math.fround(out.scale)), "the output's"), zeroPoint: out.zeroPoint, ...range },
  };
}

/** std::round: halves away from zero. */
export const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

export const pruneRange = (r: { min: number; max: number }) => ({ ...(r.min > -128 ? { min: r.min } : {}), ...(r.max < 127 ? { max: r.max } : {}) });

/** A C identifier from a file name. */
export function cName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(?=[0-9])/, "m_").slice(0, 63);
  return name || "model";
}
