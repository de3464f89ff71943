/**
 * What maxpool and avgpool share: the pool window (stride defaults to the pool size; optional
 * padding, whose positions are left out of the window rather than read as a value, as TFLite's
 * SAME pooling does), the fused activation range, and the window walk.
 */
import { z } from "zod";
import { ModelError } from "../../format/errors.js";
import { int8, nonNegative, pair, positive } from "../../format/fields.js";
import type { Shape } from "../../ir/types.js";
import { forEachWindow, pixelIndex, windowOutput, type Window2d } from "../../ir/window.js";
import type { BuildContext } from "./kind-module.js";

export const poolFields = {
  pool: pair(positive),
  /** default: the pool size */
  stride: pair(positive).optional(),
  /** [top, left, bottom, right]; padded positions are not part of a window */
  padding: z.tuple([nonNegative(), nonNegative(), nonNegative(), nonNegative()]).optional(),
  /** the fused activation's output range, default -128..127 */
  min: int8().optional(),
  max: int8().optional(),
};

export interface PoolGeometry {
  pool: readonly [number, number];
  stride: readonly [number, number];
  padding: readonly [number, number, number, number];
  min: number;
  max: number;
  inputShape: Shape;
  outputShape: Shape;
}

type PoolSpec = { pool: [number, number]; stride?: [number, number] | undefined; padding?: [number, number, number, number] | undefined; min?: number | undefined; max?: number | undefined };

/** Checks a pool's window and range; returns its geometry without the shapes' kind fields. */
export function buildPool(spec: PoolSpec, ctx: BuildContext): Omit<PoolGeometry, "inputShape"> {
  const stride = spec.stride ?? spec.pool;
  const padding = spec.padding ?? [0, 0, 0, 0];
  const [min, max] = [spec.min ?? -128, spec.max ?? 127];
  if (min > max) throw new ModelError(`${ctx.path}.min`, `min (${min}) is above max (${max})`);
  const [oh, ow] = windowOutput(ctx.inputShape, windowOf({ pool: spec.pool, stride, padding }), ctx.path);
  return { pool: spec.pool, stride, padding, min, max, outputShape: [oh, ow, ctx.inputShape[2]] };
}

export const windowOf = (p: { pool: readonly [number, number]; stride: readonly [number, number]; padding: readonly [number, number, number, number] }): Window2d => ({
  kernel: p.pool,
  stride: p.stride,
  padding: p.padding,
  padValue: -128,
});

/** Calls `visit` for every output value with the input indices of its window inside the image. */
export function forEachPool(layer: PoolGeometry, visit: (out: number, inputs: number[]) => void): void {
  forEachWindow(windowOf(layer), layer.outputShape, (y0, x0, outBase) => {
    for (let ch = 0; ch < layer.inputShape[2]; ch++) {
      const inputs: number[] = [];
      for (let py = 0; py < layer.pool[0]; py++)
        for (let px = 0; px < layer.pool[1]; px++) {
          const i = pixelIndex(layer.inputShape, y0 + py, x0 + px, ch);
          if (i >= 0) inputs.push(i);
        }
      visit(outBase + ch, inputs);
    }
  });
}

export { clampTo } from "../../reference/requant.js";

export const hasPadding = (layer: PoolGeometry): boolean => layer.padding.some((p) => p > 0);
