/**
 * depthwise_conv2d: each input channel convolved with its own `depthMultiplier` filters; output
 * channel o = c * depthMultiplier + m reads only input channel c. Weights [ky][kx][outChannel]
 * (TFLite's [1, kh, kw, out] layout); reads outside the image see the pad value (the input zero
 * point, so that with the zero point folded into the bias they add nothing, as in TFLite).
 */
import { z } from "zod";
import { base64, layerBase, positive } from "../format/fields.js";
import { checkAccumulator, decodeInt8, expectLength } from "../ir/checks.js";
import type { LayerCommon, Requant } from "../ir/types.js";
import { windowOutput, type Window2d } from "../ir/window.js";
import { requantizedOps } from "../plan/ops.js";
import { convolutionRows, runConvolution, windowFields, windowOfSpec, windowVars, type Taps } from "./shared/convolution.js";
import { columnScratchBytes, mveFilterWeights, PACKED_WEIGHTS_COMMENT, packedFilterWeights } from "./conv2d.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { activationTables, checkRequantized, lowerPerChannel, requantizedFields, requantVars, type PerChannel } from "./shared/requantized.js";

export interface DepthwiseConv2dLayer extends LayerCommon, Window2d {
  kind: "depthwise_conv2d";
  depthMultiplier: number;
  /** [ky][kx][outChannels] */
  weights: Int8Array;
  bias: Int32Array;
  requant: Requant;
  perChannel?: PerChannel;
  activation?: number;
}

export const depthwiseConv2d = defineKind<DepthwiseConv2dLayer>()({
  kind: "depthwise_conv2d",
  summary: "int8 depthwise 2-D convolution (one filter set per input channel)",
  schema: z.strictObject({
    ...layerBase,
    kind: z.literal("depthwise_conv2d"),
    depthMultiplier: positive().default(1),
    ...windowFields,
    /** int8 [ky][kx][outChannels], base64 */
    weights: base64,
    ...requantizedFields,
  }),

  build(spec, ctx) {
    const window = windowOfSpec(spec);
    const [oh, ow] = windowOutput(ctx.inputShape, window, ctx.path);
    const outChannels = ctx.inputShape[2] * spec.depthMultiplier;
    const taps = spec.kernel[0] * spec.kernel[1];
    const weights = decodeInt8(spec.weights);
    expectLength(weights.length, taps * outChannels, `${ctx.path}.weights`, `kernel (${spec.kernel.join("x")}) x output channels (${outChannels})`);
    expectLength(spec.bias.length, outChannels, `${ctx.path}.bias`, "output channels");
    const worst = Array.from({ length: outChannels }, (_, o) =>
      checkAccumulator(spec.bias[o]!, Int8Array.from({ length: taps }, (_, t) => weights[t * outChannels + o]!), `${ctx.path}.bias[${o}]`),
    );
    const perChannel = checkRequantized(spec, outChannels, (o) => worst[o]!, ctx);
    return {
      ...commonOf(spec, ctx),
      ...window,
      kind: "depthwise_conv2d",
      depthMultiplier: spec.depthMultiplier,
      weights,
      bias: Int32Array.from(spec.bias),
      requant: spec.requant,
      perChannel,
      activation: spec.activation,
      outputShape: [oh, ow, outChannels],
    };
  },

  run: (layer, x, tables, out) => runConvolution(layer, taps(layer), x, tables, out),

  tables: activationTables,

  lower: (layer) => [
    asConvolution(layer)
      ? {
          role: "weights",
          ctype: "int8_t",
          values: packedFilterWeights(layer.depthMultiplier, taps1(layer), (o, k) => layer.weights[k * layer.depthMultiplier + o]!),
          mveValues: mveFilterWeights(layer.depthMultiplier, taps1(layer), (o, k) => layer.weights[k * layer.depthMultiplier + o]!),
          comment: PACKED_WEIGHTS_COMMENT,
        }
      : {
          role: "weights",
          ctype: "int8_t",
          values: layer.weights,
          ...(layer.depthMultiplier === 1 ? { mveValues: depthwiseMveWeights(layer) } : {}),
          comment: "[ky][kx][out channel]; for the Helium (MVE) kernel [group of 4 channels][ky][kx][channel of the group]",
        },
    { role: "bias", ctype: "int32_t", values: layer.bias, comment: "int32 accumulator start per output channel" },
    ...lowerPerChannel(layer),
  ],

  ops: (layer) => {
    const outputs = layer.outputShape[0] * layer.outputShape[1] * layer.outputShape[2];
    return requantizedOps(outputs * layer.kernel[0] * layer.kernel[1], outputs, layer.activation);
  },

  /**
   * A depthwise layer can write over its input when the output is no larger (the plan then puts
   * it where the input starts) and, row by row, the output never reaches input bytes the scratch
   * ring has not copied yet: every input row is copied before the first output row whose window
   * needs it, and output row oy is written only after that (stride 1 with the same shape, and a
   * stride-2 layer that halves the image, both qualify).
   */
  inPlace: (layer) => !asConvolution(layer) && outputStaysBehindRing(layer),
  scratchBytes: (layer) => (asConvolution(layer) ? columnScratchBytes(layer, layer.outputShape[2]) : (rowRing(layer).rows + 1) * rowRing(layer).rowBytes + sumsBytes(layer)),

  templateVars: (layer, ctx) => ({
    inPlace: ctx.inPlace === true,
    /** one input channel: computed as a convolution with depthMultiplier filters (conv2d.c.ejs) */
    asConvolution: asConvolution(layer),
    ring: rowRing(layer),
    filters: layer.outputShape[2],
    scratchOffset: ctx.scratchOffset,
    depthMultiplier: layer.depthMultiplier,
    ...windowVars(layer),
    ...requantVars(layer, ctx),
  }),

  robustness: (layer, tables) => convolutionRows(layer, taps(layer), tables),
});

/**
 * A depthwise layer over one input channel is a convolution with depthMultiplier filters (the
 * first layer of micro_speech and person_detect): it runs conv2d's kernel, several outputs per
 * pass, with its weights in that kernel's packed order.
 */
function asConvolution(layer: DepthwiseConv2dLayer): boolean {
  return layer.inputShape[2] === 1;
}

/**
 * The scratch rows of the depthwise kernel: input rows copied once each into a ring of `rows`
 * slots (the window's height, dilated), each with `left` and `right` columns of the pad value on
 * either side so that no tap needs a bounds check, plus one row of pad values for the rows above
 * and below the image. Copying also lets the layer run in place (the copy is read, the input
 * bytes overwritten).
 */
function rowRing(layer: DepthwiseConv2dLayer) {
  const [kh, kw] = layer.kernel;
  const [dy, dx] = layer.dilation ?? [1, 1];
  const [, inW, channels] = layer.inputShape;
  const left = layer.padding[1];
  const lastColumn = (layer.outputShape[1] - 1) * layer.stride[1] - left + (kw - 1) * dx;
  const right = Math.max(0, lastColumn - (inW - 1));
  return { rows: (kh - 1) * dy + 1, left, right, rowBytes: (left + inW + right) * channels };
}

/**
 * The int32 sums of one output pixel's channels, after the ring: the DSP kernel (four channels a
 * word, depth multiplier 1) finishes every sum before it requantizes any.
 */
/**
 * The weights in the order the Helium (MVE) kernel reads them (depthwise_conv2d.c.ejs, depth
 * multiplier 1): channels in groups of eight while eight remain, then one group of four if four
 * remain, then the last channels % 4; each group's taps (ky, kx) one after the other with the
 * group's weights per tap, so a group's loads are one pointer plus small constant offsets.
 */
export function depthwiseMveWeights(layer: DepthwiseConv2dLayer): Int8Array {
  const channels = layer.outputShape[2];
  const taps = layer.kernel[0] * layer.kernel[1];
  const packed = new Int8Array(layer.weights.length);
  let i = 0;
  for (let first = 0; first < channels; ) {
    const lanes = channels - first >= 8 ? 8 : Math.min(4, channels - first);
    for (let k = 0; k < taps; k++) for (let c = first; c < first + lanes; c++) packed[i++] = layer.weights[k * channels + c]!;
    first += lanes;
  }
  return packed;
}

function sumsBytes(layer: DepthwiseConv2dLayer): number {
  const channels = layer.inputShape[2];
  return layer.depthMultiplier === 1 && channels % 4 === 0 ? 4 * channels : 0;
}

/** taps of one output channel: kernel height x width */
const taps1 = (layer: DepthwiseConv2dLayer) => layer.kernel[0] * layer.kernel[1];

/** Every weight of output channel o with its offset from the window origin and its input channel. */
function taps(layer: DepthwiseConv2dLayer): Taps {
  const [kh, kw] = layer.kernel;
  const [sy, sx] = layer.dilation ?? [1, 1];
  const outChannels = layer.outputShape[2];
  return (o, visit) => {
    const channel = Math.floor(o / layer.depthMultiplier);
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) visit(ky * sy, kx * sx, channel, layer.weights[(ky * kw + kx) * outChannels + o]!);
  };
}

/** True when output row oy, written over the input from its start, only covers copied input rows. */
function outputStaysBehindRing(layer: DepthwiseConv2dLayer): boolean {
  const [inH, inW, inC] = layer.inputShape;
  const [outH, outW, outC] = layer.outputShape;
  const dilationY = (layer.dilation ?? [1, 1])[0];
  if (outH * outW * outC > inH * inW * inC) return false;
  const inputRow = inW * inC;
  for (let oy = 0; oy < outH; oy++) {
    const lastCopied = Math.min(oy * layer.stride[0] - layer.padding[0] + (layer.kernel[0] - 1) * dilationY, inH - 1);
    const lastCovered = Math.floor(((oy + 1) * outW * outC - 1) / inputRow);
    if (lastCovered > lastCopied) return false;
  }
  return true;
}
