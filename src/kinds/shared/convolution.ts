/**
 * What conv2d and depthwise_conv2d share: the window fields of their file form, and, given how
 * a kind enumerates the taps of one output channel, the reference semantics and the robustness
 * form (one linear row per output value, padded reads folded into the bias).
 */
import { int8, padding4, pair, positive } from "../../format/fields.js";
import type { Shape } from "../../ir/types.js";
import { forEachWindow, pixelIndex, readPadded, type Window2d } from "../../ir/window.js";
import { addTerm, flatSource, linearLayer, type FlatLinear } from "../../robustness/flat.js";
import { activationTable, outputRequants, requantizedOutput, type RequantizedOutput } from "./requantized.js";

/** kernel, stride, dilation, padding and pad value, as both convolutions write them */
export const windowFields = {
  kernel: pair(positive),
  stride: pair(positive).default([1, 1]),
  /** spacing of the kernel taps (TFLite dilation factors), default [1, 1] */
  dilation: pair(positive).optional(),
  padding: padding4(),
  /** the value a read outside the image sees (the input zero point for imported models) */
  padValue: int8().default(0),
};

export const windowOfSpec = (spec: {
  kernel: [number, number];
  stride: [number, number];
  dilation?: [number, number] | undefined;
  padding: [number, number, number, number];
  padValue: number;
}): Window2d => ({ kernel: spec.kernel, stride: spec.stride, padding: spec.padding, padValue: spec.padValue, ...(spec.dilation ? { dilation: spec.dilation } : {}) });

/** The window variables of both convolution templates. */
export const windowVars = (layer: Window2d) => ({
  kernel: layer.kernel,
  stride: layer.stride,
  dilation: layer.dilation ?? [1, 1],
  padding: layer.padding,
  padValue: layer.padValue,
});

/** Calls `visit` for every weight of output channel c: its offset from the window origin, its input channel, the weight. */
export type Taps = (c: number, visit: (dy: number, dx: number, inChannel: number, weight: number) => void) => void;

type Convolution = Window2d & RequantizedOutput & { id: string; kind: string; bias: Int32Array; inputShape: Shape; outputShape: Shape };

/** Reference semantics: acc = bias + sum of weight * (padded) input over the taps, then requantize. */
export function runConvolution(layer: Convolution, taps: Taps, x: Int8Array, tables: readonly Int8Array[], out: Int8Array): void {
  const channels = layer.outputShape[2];
  forEachWindow(layer, layer.outputShape, (y0, x0, outBase) => {
    for (let c = 0; c < channels; c++) {
      let acc = layer.bias[c]!;
      taps(c, (dy, dx, inChannel, weight) => {
        acc += weight * readPadded(x, layer.inputShape, y0 + dy, x0 + dx, inChannel, layer.padValue);
      });
      out[outBase + c] = requantizedOutput(acc, layer, c, tables);
    }
  });
}

/** The robustness form: one sparse row per output value; padded reads are constants in the bias. */
export function convolutionRows(layer: Convolution, taps: Taps, tables: readonly Int8Array[]): FlatLinear {
  const channels = layer.outputShape[2];
  const rows: { bias: number; terms: Map<number, number> }[] = [];
  forEachWindow(layer, layer.outputShape, (y0, x0) => {
    for (let c = 0; c < channels; c++) {
      let bias = layer.bias[c]!;
      const terms = new Map<number, number>();
      taps(c, (dy, dx, inChannel, weight) => {
        const i = pixelIndex(layer.inputShape, y0 + dy, x0 + dx, inChannel);
        if (i < 0) bias += weight * layer.padValue;
        else addTerm(terms, i, weight);
      });
      rows.push({ bias, terms });
    }
  });
  return linearLayer(flatSource(layer), rows, outputRequants(layer, rows.length, channels), activationTable(layer, tables));
}
