/**
 * The one 2-D window geometry of the int8 graph, shared by every windowed kind (strong_conv,
 * conv2d, maxpool), the reference interpreter, the robustness lowering and the C lowering.
 *
 * A window at output position (oy, ox) reads input rows y0 + ky * dilation[0] for ky in
 * 0 .. kernel[0] - 1 and columns x0 + kx * dilation[1], with y0 = oy * stride[0] - padding[0] and
 * x0 = ox * stride[1] - padding[1]. Reads outside the image see the layer's pad value (or, for
 * pooling, are left out).
 */
import { ModelError } from "../format/errors.js";
import type { Shape } from "./types.js";

export interface Window2d {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  /** spacing of the kernel taps, default [1, 1] */
  dilation?: readonly [number, number];
  /** [top, left, bottom, right] */
  padding: readonly [number, number, number, number];
  /** the value a read outside the image sees */
  padValue: number;
}

/** Output rows and columns of a window over an input; refuses windows that do not fit. */
export function windowOutput(input: Shape, w: Window2d, path: string): [number, number] {
  const [top, left, bottom, right] = w.padding;
  const [kh, kw] = effectiveKernel(w);
  const spanH = input[0] + top + bottom - kh;
  const spanW = input[1] + left + right - kw;
  if (spanH < 0 || spanW < 0) {
    throw new ModelError(`${path}.kernel`, `window ${kh}x${kw} is larger than the padded input ${input[0] + top + bottom}x${input[1] + left + right}`);
  }
  if (top >= kh || bottom >= kh || left >= kw || right >= kw) {
    throw new ModelError(`${path}.padding`, `padding must be smaller than the kernel (${kh}x${kw}), got [${w.padding.join(", ")}]`);
  }
  return [Math.floor(spanH / w.stride[0]) + 1, Math.floor(spanW / w.stride[1]) + 1];
}

/** The rows and columns a (dilated) kernel spans: (k - 1) * dilation + 1. */
export function effectiveKernel(w: Window2d): [number, number] {
  const [dy, dx] = w.dilation ?? [1, 1];
  return [(w.kernel[0] - 1) * dy + 1, (w.kernel[1] - 1) * dx + 1];
}

/** Top-left input coordinate (may be negative in the padding) of the window at (oy, ox). */
export function windowOrigin(w: Window2d, oy: number, ox: number): [number, number] {
  return [oy * w.stride[0] - w.padding[0], ox * w.stride[1] - w.padding[1]];
}

/**
 * Calls `visit` for every output position in row-major order with the window's origin and the
 * index of the position's first output value (position * channels of the output).
 */
export function forEachWindow(
  w: Window2d,
  outputShape: Shape,
  visit: (y0: number, x0: number, outBase: number, oy: number, ox: number) => void,
): void {
  const [oh, ow, oc] = outputShape;
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const [y0, x0] = windowOrigin(w, oy, ox);
      visit(y0, x0, (oy * ow + ox) * oc, oy, ox);
    }
}

/** Flat index of (iy, ix, channel) in an HWC tensor, or -1 outside the image (a padded read). */
export function pixelIndex(shape: Shape, iy: number, ix: number, channel: number): number {
  const [h, w, c] = shape;
  if (iy < 0 || iy >= h || ix < 0 || ix >= w) return -1;
  return (iy * w + ix) * c + channel;
}

/** Input value at (iy, ix, channel) of an HWC tensor, or padValue outside the image. */
export function readPadded(x: ArrayLike<number>, shape: Shape, iy: number, ix: number, channel: number, padValue: number): number {
  const i = pixelIndex(shape, iy, ix, channel);
  return i < 0 ? padValue : x[i]!;
}
