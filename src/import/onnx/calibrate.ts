/**
 * Calibration of a float model: runs it in float on sample inputs and picks each activation's
 * int8 quantization from the range it takes — asymmetric, the range widened to hold 0 so that 0
 * is exact (padding, ReLU) — either the whole range ("minmax") or the range between two
 * percentiles ("percentile:P" clips the (100 - P)% most extreme values at each end).
 */
import { ModelError } from "../../format/errors.js";
import { runFloat } from "./float-run.js";
import type { LoweredGraph, Quant } from "./ops.js";

export type CalibrationMethod = { kind: "minmax" } | { kind: "percentile"; percentile: number };

export interface Range {
  min: number;
  max: number;
}

/** "minmax" or "percentile[:P]" (P in (50, 100], default 99.99). */
export function parseCalibrationMethod(text: string): CalibrationMethod {
  if (text === "minmax") return { kind: "minmax" };
  const m = /^percentile(?::([0-9.]+))?$/.exec(text);
  const p = m ? Number(m[1] ?? 99.99) : NaN;
  if (!m || !(p > 50 && p <= 100)) throw new ModelError("--calibration", `"${text}" is not minmax or percentile[:P] with P in (50, 100]`);
  return { kind: "percentile", percentile: p };
}

/** The values kept per tensor for percentiles: enough for 99.99% to mean something. */
const KEPT_VALUES = 1 << 20;

/** The range of every tensor `needs` names over the samples (each sample: one array per input). */
export function calibrationRanges(g: LoweredGraph, samples: Float32Array[][], needs: Set<string>, method: CalibrationMethod, onSample?: (i: number) => void): Map<string, Range> {
  const ranges = new Map<string, Range>();
  const kept = new Map<string, number[]>();
  samples.forEach((inputs, i) => {
    const values = runFloat(g, inputs);
    for (const name of needs) {
      const v = values.get(name)!;
      const r = ranges.get(name) ?? { min: Infinity, max: -Infinity };
      for (const x of v) {
        if (x < r.min) r.min = x;
        if (x > r.max) r.max = x;
      }
      ranges.set(name, r);
      if (method.kind === "percentile") keep(kept, name, v, samples.length);
    }
    onSample?.(i);
  });
  if (method.kind === "percentile") {
    for (const [name, values] of kept) {
      values.sort((a, b) => a - b);
      const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round((q / 100) * (values.length - 1))))]!;
      ranges.set(name, { min: at(100 - method.percentile), max: at(method.percentile) });
    }
  }
  return ranges;
}

/** An even share of each sample's values, so the kept set stays under KEPT_VALUES. */
function keep(kept: Map<string, number[]>, name: string, v: Float32Array, samples: number): void {
  const list = kept.get(name) ?? [];
  const step = Math.max(1, Math.ceil((v.length * samples) / KEPT_VALUES));
  for (let i = 0; i < v.length; i += step) list.push(v[i]!);
  kept.set(name, list);
}

/** int8 asymmetric quantization of a range (widened to hold 0): real = s * (q - zp). */
export function quantOfRange(r: Range): Quant {
  const min = Math.min(0, r.min);
  const max = Math.max(0, r.max);
  const scale = max - min > 0 ? (max - min) / 255 : 1 / 255;
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - min / scale)));
  return { scale, zeroPoint };
}
