/**
 * depthwise_conv2d: each input channel convolved with its own `depthMultiplier` filters; output
 * channel o = c * depthMultiplier + m reads only input channel c. Weights [ky][kx][outChannel]
 * (TFLite's [1, kh, kw, out] layout); reads outside the image see the pad value (the input zero
 * point, so that with the zero point folded into the bias they add nothing, as in TFLite).
 */
import { z } from "zod";
import { base64, int32, int8, layerBase, nonNegative, padding4, pair, positive, requantSchema } from "../format/fields.js";
import { checkAccumulator, decodeInt8, expectLength } from "../ir/checks.js";
import type { LayerCommon, Requant } from "../ir/types.js";
import { forEachWindow, pixelIndex, readPadded, windowOutput, type Window2d } from "../ir/window.js";
import { requantizedOps } from "../plan/ops.js";
import { addTerm, flatSource, linearLayer } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import {
  activationTable,
  activationTables,
  checkRequantized,
  lowerPerChannel,
  outputRequants,
  perChannelSchema,
  requantizedOutput,
  requantVars,
  type PerChannel,
} from "./shared/requantized.js";

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
    kernel: pair(positive),
    stride: pair(positive).default([1, 1]),
    dilation: pair(positive).optional(),
    padding: padding4(),
    padValue: int8().default(0),
    /** int8 [ky][kx][outChannels], base64 */
    weights: base64,
    bias: z.array(int32()),
    requant: requantSchema,
    perChannel: perChannelSchema,
    activation: nonNegative().optional(),
  }),

  build(spec, ctx) {
    const window: Window2d = { kernel: spec.kernel, stride: spec.stride, padding: spec.padding, padValue: spec.padValue, ...(spec.dilation ? { dilation: spec.dilation } : {}) };
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

  run(layer, x, tables, out) {
    const outChannels = layer.outputShape[2];
    forEachWindow(layer, layer.outputShape, (y0, x0, outBase) => {
      for (let o = 0; o < outChannels; o++) {
        let acc = layer.bias[o]!;
        forEachTap(layer, o, (dy, dx, channel, weight) => {
          acc += weight * readPadded(x, layer.inputShape, y0 + dy, x0 + dx, channel, layer.padValue);
        });
        out[outBase + o] = requantizedOutput(acc, layer, o, tables);
      }
    });
  },

  tables: activationTables,

  lower: (layer) => [
    { role: "weights", ctype: "int8_t", values: layer.weights, comment: "[ky][kx][out channel]" },
    { role: "bias", ctype: "int32_t", values: layer.bias, comment: "int32 accumulator start per output channel" },
    ...lowerPerChannel(layer),
  ],

  ops: (layer) => {
    const outputs = layer.outputShape[0] * layer.outputShape[1] * layer.outputShape[2];
    return requantizedOps(outputs * layer.kernel[0] * layer.kernel[1], outputs, layer.activation);
  },

  templateVars: (layer, ctx) => ({
    depthMultiplier: layer.depthMultiplier,
    kernel: layer.kernel,
    stride: layer.stride,
    dilation: layer.dilation ?? [1, 1],
    padding: layer.padding,
    padValue: layer.padValue,
    ...requantVars(layer, ctx),
  }),

  robustness(layer, tables) {
    const outChannels = layer.outputShape[2];
    const rows: { bias: number; terms: Map<number, number> }[] = [];
    forEachWindow(layer, layer.outputShape, (y0, x0) => {
      for (let o = 0; o < outChannels; o++) {
        let bias = layer.bias[o]!;
        const terms = new Map<number, number>();
        forEachTap(layer, o, (dy, dx, channel, weight) => {
          const i = pixelIndex(layer.inputShape, y0 + dy, x0 + dx, channel);
          if (i < 0) bias += weight * layer.padValue;
          else addTerm(terms, i, weight);
        });
        rows.push({ bias, terms });
      }
    });
    return linearLayer(flatSource(layer), rows, outputRequants(layer, rows.length, outChannels), activationTable(layer, tables));
  },
});

/** Every weight of output channel o with its offset from the window origin and its input channel. */
function forEachTap(layer: DepthwiseConv2dLayer, o: number, visit: (dy: number, dx: number, channel: number, weight: number) => void): void {
  const [kh, kw] = layer.kernel;
  const [sy, sx] = layer.dilation ?? [1, 1];
  const outChannels = layer.outputShape[2];
  const channel = Math.floor(o / layer.depthMultiplier);
  for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) visit(ky * sy, kx * sx, channel, layer.weights[(ky * kw + kx) * outChannels + o]!);
}
