/**
 * conv2d: an int8 convolution, weights [filter][ky][kx][channel]; reads outside the image see
 * the pad value; y = act(requantize(bias[f] + sum of weight * input over the (dilated) window)).
 */
import { z } from "zod";
import { base64, layerBase, positive } from "../format/fields.js";
import { checkAccumulator, decodeInt8, expectLength } from "../ir/checks.js";
import type { LayerCommon, Requant } from "../ir/types.js";
import { windowOutput, type Window2d } from "../ir/window.js";
import { requantizedOps } from "../plan/ops.js";
import { convolutionRows, runConvolution, windowFields, windowOfSpec, windowVars, type Taps } from "./shared/convolution.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { activationTables, checkRequantized, lowerPerChannel, requantizedFields, requantVars, type PerChannel } from "./shared/requantized.js";

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

  run: (layer, x, tables, out) => runConvolution(layer, taps(layer), x, tables, out),

  tables: activationTables,

  lower: (layer) => [
    { role: "weights", ctype: "int8_t", values: layer.weights, comment: "[filter][ky][kx][channel]" },
    { role: "bias", ctype: "int32_t", values: layer.bias, comment: "int32 accumulator start per output" },
    ...lowerPerChannel(layer),
  ],

  ops: (layer) => {
    const positions = layer.outputShape[0] * layer.outputShape[1];
    return requantizedOps(positions * layer.weights.length, positions * layer.filters, layer.activation);
  },

  /** a pointwise (1x1, stride 1, unpadded) convolution reads only its own pixel */
  inPlace: (layer) => layer.kernel.every((k) => k === 1) && layer.stride.every((s) => s === 1) && layer.padding.every((p) => p === 0),

  templateVars: (layer, ctx) => ({
    inPlace: ctx.inPlace,
    filters: layer.filters,
    ...windowVars(layer),
    ...requantVars(layer, ctx),
  }),

  robustness: (layer, tables) => convolutionRows(layer, taps(layer), tables),
});

/** Every weight of filter f with its offset from the window origin and input channel, in weight order. */
function taps(layer: Conv2dLayer): Taps {
  const [kh, kw] = layer.kernel;
  const [sy, sx] = layer.dilation ?? [1, 1];
  const c = layer.inputShape[2];
  return (f, visit) => {
    let wi = f * kh * kw * c;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let ch = 0; ch < c; ch++) visit(ky * sy, kx * sx, ch, layer.weights[wi++]!);
  };
}
