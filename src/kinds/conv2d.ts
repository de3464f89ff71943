/**
 * conv2d: an int8 convolution, weights [filter][ky][kx][channel]; reads outside the image see
 * the pad value; y = act(requantize(bias[f] + sum of weight * input over the window)).
 */
import { z } from "zod";
import { base64, int32, int8, layerBase, nonNegative, padding4, pair, positive, requantSchema } from "../format/fields.js";
import { checkAccumulator, decodeInt8, expectLength } from "../ir/checks.js";
import type { LayerCommon, Requant } from "../ir/types.js";
import { forEachWindow, pixelIndex, readPadded, windowOutput, type Window2d } from "../ir/window.js";
import { requantizedOps } from "../plan/ops.js";
import { addTerm, flatSource, linearLayer } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { activationTable, activationTables, checkActivation, requantizedOutput, requantVars } from "./shared/requantized.js";

export interface Conv2dLayer extends LayerCommon, Window2d {
  kind: "conv2d";
  filters: number;
  /** [filters][ky][kx][inChannels] */
  weights: Int8Array;
  bias: Int32Array;
  requant: Requant;
  activation?: number;
}

export const conv2d = defineKind<Conv2dLayer>()({
  kind: "conv2d",
  summary: "int8 2-D convolution",
  schema: z.strictObject({
    ...layerBase,
    kind: z.literal("conv2d"),
    filters: positive(),
    kernel: pair(positive),
    stride: pair(positive).default([1, 1]),
    padding: padding4(),
    padValue: int8().default(0),
    /** int8 [filters][ky][kx][inChannels], base64 */
    weights: base64,
    bias: z.array(int32()),
    requant: requantSchema,
    activation: nonNegative().optional(),
  }),

  build(spec, ctx) {
    checkActivation(spec.activation, ctx);
    const window: Window2d = { kernel: spec.kernel, stride: spec.stride, padding: spec.padding, padValue: spec.padValue };
    const [oh, ow] = windowOutput(ctx.inputShape, window, ctx.path);
    const perFilter = spec.kernel[0] * spec.kernel[1] * ctx.inputShape[2];
    const weights = decodeInt8(spec.weights);
    expectLength(weights.length, spec.filters * perFilter, `${ctx.path}.weights`, `filters (${spec.filters}) x kernel (${spec.kernel.join("x")}) x input channels (${ctx.inputShape[2]})`);
    expectLength(spec.bias.length, spec.filters, `${ctx.path}.bias`, "filters");
    for (let f = 0; f < spec.filters; f++) {
      checkAccumulator(spec.bias[f]!, weights.subarray(f * perFilter, (f + 1) * perFilter), `${ctx.path}.bias[${f}]`);
    }
    return {
      ...commonOf(spec, ctx),
      ...window,
      kind: "conv2d",
      filters: spec.filters,
      weights,
      bias: Int32Array.from(spec.bias),
      requant: spec.requant,
      activation: spec.activation,
      outputShape: [oh, ow, spec.filters],
    };
  },

  run(layer, x, tables, out) {
    forEachWindow(layer, layer.outputShape, (y0, x0, outBase) => {
      for (let f = 0; f < layer.filters; f++) {
        let acc = layer.bias[f]!;
        forEachTap(layer, f, (ky, kx, ch, weight) => {
          acc += weight * readPadded(x, layer.inputShape, y0 + ky, x0 + kx, ch, layer.padValue);
        });
        out[outBase + f] = requantizedOutput(acc, layer.requant, layer.activation, tables);
      }
    });
  },

  tables: activationTables,

  lower: (layer) => [
    { role: "weights", ctype: "int8_t", values: layer.weights, comment: "[filter][ky][kx][channel]" },
    { role: "bias", ctype: "int32_t", values: layer.bias, comment: "int32 accumulator start per output" },
  ],

  ops: (layer) => requantizedOps(layer.outputShape[0] * layer.outputShape[1] * layer.weights.length, layer.outputShape[0] * layer.outputShape[1] * layer.filters, layer.activation),

  templateVars: (layer, ctx) => ({
    filters: layer.filters,
    kernel: layer.kernel,
    stride: layer.stride,
    padding: layer.padding,
    padValue: layer.padValue,
    ...requantVars(layer, ctx),
  }),

  robustness(layer, tables) {
    const rows: { bias: number; terms: Map<number, number> }[] = [];
    forEachWindow(layer, layer.outputShape, (y0, x0) => {
      for (let f = 0; f < layer.filters; f++) {
        let bias = layer.bias[f]!;
        const terms = new Map<number, number>();
        forEachTap(layer, f, (ky, kx, ch, weight) => {
          const i = pixelIndex(layer.inputShape, y0 + ky, x0 + kx, ch);
          if (i < 0) bias += weight * layer.padValue;
          else addTerm(terms, i, weight);
        });
        rows.push({ bias, terms });
      }
    });
    return linearLayer(flatSource(layer), rows, layer.requant, activationTable(layer, tables));
  },
});

/** Every weight of filter f with its kernel position and input channel, in weight order. */
function forEachTap(layer: Conv2dLayer, f: number, visit: (ky: number, kx: number, channel: number, weight: number) => void): void {
  const [kh, kw] = layer.kernel;
  const c = layer.inputShape[2];
  let wi = f * kh * kw * c;
  for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let ch = 0; ch < c; ch++) visit(ky, kx, ch, layer.weights[wi++]!);
}
