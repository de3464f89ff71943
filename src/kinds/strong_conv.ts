/**
 * strong_conv: spatially shared strong neurons. Every template (a strong neuron whose literals
 * are offsets dy, dx, channel in a kernel window) is applied at every output position, like a
 * convolution; reads outside the image see the pad value.
 */
import { z } from "zod";
import { int8, layerBase, nonNegative, padding4, pair, positive } from "../format/fields.js";
import { checkIndex, checkTable } from "../ir/checks.js";
import type { LayerCommon, Shape } from "../ir/types.js";
import { forEachWindow, pixelIndex, readPadded, windowOutput, type Window2d } from "../ir/window.js";
import { literalCodes, lowerGroups, sameType } from "../plan/lowering.js";
import { strongOps } from "../plan/ops.js";
import { endGroup, endNeuron, flatSource, minMaxLayer, newBuilder, pushLiteral } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { checkNeurons, literalTables, strongLoopVars, strongNeuronSchema, strongNeuronValue, type StrongNeuron } from "./shared/strong-neurons.js";

/** A literal of a spatially shared template, relative to the window origin. */
export interface SpatialLiteral {
  dy: number;
  dx: number;
  c: number;
  table: number;
}

export interface StrongConvLayer extends LayerCommon, Window2d {
  kind: "strong_conv";
  templates: StrongNeuron<SpatialLiteral>[];
}

/** reads (oy*sy - padTop + dy, ox*sx - padLeft + dx, c) */
const spatialLiteralSchema = z.strictObject({ dy: nonNegative(), dx: nonNegative(), c: nonNegative(), table: nonNegative() });

export const strongConv = defineKind<StrongConvLayer>()({
  kind: "strong_conv",
  summary: "strong neuron templates applied at every position of an image (spatial sharing)",
  schema: z.strictObject({
    ...layerBase,
    kind: z.literal("strong_conv"),
    kernel: pair(positive),
    stride: pair(positive).default([1, 1]),
    padding: padding4(),
    /** value read outside the image */
    padValue: int8().default(-128),
    templates: z.array(strongNeuronSchema(spatialLiteralSchema)).min(1),
  }),

  build(spec, ctx) {
    const window: Window2d = { kernel: spec.kernel, stride: spec.stride, padding: spec.padding, padValue: spec.padValue };
    const [oh, ow] = windowOutput(ctx.inputShape, window, ctx.path);
    const templates = checkNeurons(spec.templates, `${ctx.path}.templates`, ctx, (lit, at) => {
      checkIndex(lit.dy, window.kernel[0], `${at}.dy`, "kernel height");
      checkIndex(lit.dx, window.kernel[1], `${at}.dx`, "kernel width");
      checkIndex(lit.c, ctx.inputShape[2], `${at}.c`, "input channels");
      checkTable(lit.table, `${at}.table`, ctx);
    });
    return { ...commonOf(spec, ctx), ...window, kind: "strong_conv", templates, outputShape: [oh, ow, templates.length] };
  },

  run(layer, x, tables, out) {
    forEachWindow(layer, layer.outputShape, (y0, x0, outBase) => {
      layer.templates.forEach((groups, t) => {
        out[outBase + t] = strongNeuronValue(groups, (lit) => {
          const v = readPadded(x, layer.inputShape, y0 + lit.dy, x0 + lit.dx, lit.c, layer.padValue);
          return tables[lit.table]![v + 128]!;
        });
      });
    });
  },

  tables: (layer) => literalTables(layer.templates),

  lower(layer, remapTable) {
    const literals = layer.templates.flat(2);
    const codes = (role: string, offset: (l: SpatialLiteral) => number, what: string) =>
      literalCodes(role, literals.map(offset), literals, remapTable, what, layer.path);
    // both code arrays share one C type: the loop walks either through one pointer
    return [
      ...lowerGroups(layer.templates),
      ...sameType([
        codes("literal_code", (l) => windowOffset(layer.inputShape, l), "offset from the window origin (interior windows)"),
        codes("literal_patch_code", (l) => patchOffset(layer, l), "offset in the padded patch (border windows)"),
      ]),
    ];
  },

  ops: (layer) => strongOps(layer.templates, layer.outputShape[0] * layer.outputShape[1]),

  templateVars: (layer, ctx) => ({
    templates: layer.templates.length,
    ...strongLoopVars(layer.templates, ctx),
    kernel: layer.kernel,
    stride: layer.stride,
    padding: layer.padding,
    padValue: layer.padValue,
  }),

  robustness(layer, tables) {
    const b = newBuilder();
    forEachWindow(layer, layer.outputShape, (y0, x0) => {
      for (const groups of layer.templates) {
        for (const group of groups) {
          for (const lit of group) {
            const table = tables[lit.table]!;
            const i = pixelIndex(layer.inputShape, y0 + lit.dy, x0 + lit.dx, lit.c);
            pushLiteral(b, i, table, i < 0 ? table[layer.padValue + 128]! : 0);
          }
          endGroup(b);
        }
        endNeuron(b);
      }
    });
    return minMaxLayer(flatSource(layer), b);
  },
});

/** Offset of a literal from the top-left corner of its window in an HWC input. */
export function windowOffset(input: Shape, l: SpatialLiteral): number {
  const [, w, c] = input;
  return (l.dy * w + l.dx) * c + l.c;
}

/** Offset of a literal in a [kh][kw][c] patch (the border windows' padded copy). */
export function patchOffset(layer: StrongConvLayer, l: SpatialLiteral): number {
  return (l.dy * layer.kernel[1] + l.dx) * layer.inputShape[2] + l.c;
}
