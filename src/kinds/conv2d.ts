/**
 * conv2d: an int8 convolution, weights [filter][ky][kx][channel]; reads outside the image see
 * the pad value; y = act(requantize(bias[f] + sum of weight * input over the (dilated) window)).
 */
import { z } from "zod";
import { base64, layerBase, positive } from "../format/fields.js";
import { checkAccumulator, decodeInt8, expectLength } from "../ir/checks.js";
import type { LayerCommon, Requant } from "../ir/types.js";
import { forEachWindow, windowOutput, type Window2d } from "../ir/window.js";
import { requantizedOps } from "../plan/ops.js";
import { convolutionRows, runConvolution, windowFields, windowOfSpec, windowVars, type Taps } from "./shared/convolution.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { activationTables, checkRequantized, lowerPerChannel, requantizedFields, requantizedOutput, requantVars, type PerChannel } from "./shared/requantized.js";

export interface Conv2dLayer extends LayerCommon, Window2d {
  kind: "conv2d";
  filters: number;
  /** [filters][ky][kx][inChannels] */
  weights: Int8Array;
  bias: Int32Array;
  requant: Requant;
  perChannel?: PerChannel;
  activation?: number;
}

export const conv2d = defineKind<Conv2dLayer>()({
  kind: "conv2d",
  summary: "int8 2-D convolution",
  schema: z.strictObject({
    ...layerBase,
    kind: z.literal("conv2d"),
    filters: positive(),
    ...windowFields,
    /** int8 [filters][ky][kx][inChannels], base64 */
    weights: base64,
    ...requantizedFields,
  }),

  build(spec, ctx) {
    const window = windowOfSpec(spec);
    const [oh, ow] = windowOutput(ctx.inputShape, window, ctx.path);
    const perFilter = spec.kernel[0] * spec.kernel[1] * ctx.inputShape[2];
    const weights = decodeInt8(spec.weights);
    expectLength(weights.length, spec.filters * perFilter, `${ctx.path}.weights`, `filters (${spec.filters}) x kernel (${spec.kernel.join("x")}) x input channels (${ctx.inputShape[2]})`);
    expectLength(spec.bias.length, spec.filters, `${ctx.path}.bias`, "filters");
    const worst = Array.from({ length: spec.filters }, (_, f) =>
      checkAccumulator(spec.bias[f]!, weights.subarray(f * perFilter, (f + 1) * perFilter), `${ctx.path}.bias[${f}]`),
    );
    const perChannel = checkRequantized(spec, spec.filters, (f) => worst[f]!, ctx);
    return {
      ...commonOf(spec, ctx),
      ...window,
      kind: "conv2d",
      filters: spec.filters,
      weights,
      bias: Int32Array.from(spec.bias),
      requant: spec.requant,
      perChannel,
      activation: spec.activation,
      outputShape: [oh, ow, spec.filters],
    };
  },

  run: (layer, x, tables, out) => runConv2d(layer, x, tables, out),

  tables: activationTables,

  lower: (layer) => [
    {
      role: "weights",
      ctype: "int8_t",
      values: packedWeights(layer),
      mveValues: mvePackedWeights(layer),
      comment: PACKED_WEIGHTS_COMMENT,
    },
    { role: "bias", ctype: "int32_t", values: layer.bias, comment: "int32 accumulator start per output" },
    ...lowerPerChannel(layer),
  ],

  ops: (layer) => {
    const positions = layer.outputShape[0] * layer.outputShape[1];
    return requantizedOps(positions * layer.weights.length, positions * layer.filters, layer.activation);
  },

  /** a pointwise (1x1, stride 1, unpadded) convolution reads only its own pixel */
  inPlace: isPointwise,
  scratchBytes: (layer) => columnScratchBytes(layer, layer.filters),

  templateVars: (layer, ctx) => ({
    inPlace: ctx.inPlace === true,
    scratchOffset: ctx.scratchOffset,
    filters: layer.filters,
    ...windowVars(layer),
    ...requantVars(layer, ctx),
  }),

  robustness: (layer, tables) => convolutionRows(layer, taps(layer), tables),
});

/** 1x1, stride 1, unpadded: output pixel p reads input pixel p only. */
function isPointwise(layer: Conv2dLayer): boolean {
  return layer.kernel.every((k) => k === 1) && layer.stride.every((s) => s === 1) && layer.padding.every((p) => p === 0);
}

/** Weights per filter, (ky, kx, channel), rounded up to whole 32-bit words: a column's bytes. */
export function columnBytes(layer: { kernel: readonly [number, number]; inputShape: readonly number[] }): number {
  return Math.ceil((layer.kernel[0] * layer.kernel[1] * layer.inputShape[2]!) / 4) * 4;
}

/**
 * The convolution kernel's scratch: two columns (the windows of two output pixels) as
 * c-templates/runtime/column_s8.c interleaves them (int16 pairs on cores with the DSP extension,
 * twice the windows' bytes), the two pixels' int32 sums of every filter, then the two int8
 * windows the kernel builds (im2col) or copies before interleaving them.
 */
export function columnScratchBytes(layer: { kernel: readonly [number, number]; inputShape: readonly number[] }, filters: number): number {
  return 4 * columnBytes(layer) + 2 * 4 * filters + 2 * columnBytes(layer);
}

/**
 * The weights in the order the C kernel streams them (c-templates/runtime/dot_s8_2x2.c): each
 * filter's taps zero-padded to whole words; filters in pairs, interleaved a word at a time, so one
 * pointer reads both; an odd last filter alone. Padding adds at most 3 bytes per filter.
 * `weight(f, k)` is tap k of filter f, k = (ky, kx, channel).
 */
/**
 * The weights in the order the Helium (MVE) kernel reads them (dot_s8_filters.c): each filter's
 * taps zero-padded to whole words, filter after filter (the same bytes as packedFilterWeights,
 * not interleaved: a 16-byte vector load then holds sixteen taps of one filter).
 */
export function mveFilterWeights(filters: number, taps: number, weight: (f: number, k: number) => number): Int8Array {
  const column = Math.ceil(taps / 4) * 4;
  const packed = new Int8Array(filters * column);
  for (let f = 0; f < filters; f++) for (let k = 0; k < taps; k++) packed[f * column + k] = weight(f, k);
  return packed;
}

export function packedFilterWeights(filters: number, taps: number, weight: (f: number, k: number) => number): Int8Array {
  const column = Math.ceil(taps / 4) * 4;
  const packed = new Int8Array(filters * column);
  const padded = (f: number, k: number) => (k < taps ? weight(f, k) : 0);
  let i = 0;
  for (let f = 0; f + 1 < filters; f += 2) {
    for (let word = 0; word < column; word += 4) {
      for (const filter of [f, f + 1]) for (let b = 0; b < 4; b++) packed[i++] = padded(filter, word + b);
    }
  }
  if (filters % 2 === 1) for (let k = 0; k < column; k++) packed[i++] = padded(filters - 1, k);
  return packed;
}

export const PACKED_WEIGHTS_COMMENT =
  "in the order the kernel streams them: [filter pair][k / 4][filter of the pair][k % 4], " +
  "k = (ky, kx, channel) zero-padded to whole words; an odd last filter alone, [k]; for the Helium " +
  "(MVE) kernel [filter][k]";

function mvePackedWeights(layer: Conv2dLayer): Int8Array {
  const taps = layer.kernel[0] * layer.kernel[1] * layer.inputShape[2];
  return mveFilterWeights(layer.filters, taps, (f, k) => layer.weights[f * taps + k]!);
}

function packedWeights(layer: Conv2dLayer): Int8Array {
  const taps = layer.kernel[0] * layer.kernel[1] * layer.inputShape[2];
  return packedFilterWeights(layer.filters, taps, (f, k) => layer.weights[f * taps + k]!);
}

/**
 * The reference semantics of runConvolution (shared/convolution.ts) with direct loops instead of
 * the taps walk: the same sum in the same order, about 10x faster, so tests and benches run CNNs
 * over whole test sets (test/kinds.test.ts checks the two agree).
 */
export function runConv2d(layer: Conv2dLayer, x: Int8Array, tables: readonly Int8Array[], out: Int8Array): void {
  const [inH, inW, inC] = layer.inputShape;
  const [kh, kw] = layer.kernel;
  const [dy, dx] = layer.dilation ?? [1, 1];
  const filters = layer.outputShape[2];
  const w = layer.weights;
  const pad = layer.padValue;
  forEachWindow(layer, layer.outputShape, (y0, x0, outBase) => {
    for (let f = 0; f < filters; f++) {
      let acc = layer.bias[f]!;
      let wi = f * kh * kw * inC;
      for (let ky = 0; ky < kh; ky++) {
        const iy = y0 + ky * dy;
        for (let kx = 0; kx < kw; kx++) {
          const ix = x0 + kx * dx;
          if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
            const base = (iy * inW + ix) * inC;
            for (let c = 0; c < inC; c++) acc += w[wi++]! * x[base + c]!;
          } else {
            for (let c = 0; c < inC; c++) acc += w[wi++]! * pad;
          }
        }
      }
      out[outBase + f] = requantizedOutput(acc, layer, f, tables);
    }
  });
}

/** Every weight of filter f with its offset from the window origin and input channel, in weight order. */
export function taps(layer: Conv2dLayer): Taps {
  const [kh, kw] = layer.kernel;
  const [sy, sx] = layer.dilation ?? [1, 1];
  const c = layer.inputShape[2];
  return (f, visit) => {
    let wi = f * kh * kw * c;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let ch = 0; ch < c; ch++) visit(ky * sy, kx * sx, ch, layer.weights[wi++]!);
  };
}
