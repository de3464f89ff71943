/**
 * What the accumulating kinds (summator, dense, conv2d, depthwise_conv2d) share: requantization
 * of the int32 accumulator to int8 (one rule per rounding mode, optionally one multiplier and
 * shift per output channel), an optional fused activation table, and their template variables.
 */
import { z } from "zod";
import { ModelError } from "../../format/errors.js";
import { int, int32, INT32_MAX, nonNegative, requantSchema, type Requant } from "../../format/fields.js";
import { checkOptionalTable, expectLength } from "../../ir/checks.js";
import type { ConstArray } from "../../plan/lowering.js";
import { requantize } from "../../reference/requant.js";
import type { BuildContext, TemplateContext } from "./kind-module.js";

/** One multiplier and shift per output channel (TFLite's per-axis quantization), file form. */
export const perChannelSchema = z
  .strictObject({ multiplier: z.array(int().min(1).max(INT32_MAX)), shift: z.array(int().min(0).max(62)) })
  .optional();

/** bias, requantization, per-channel scales and fused activation table, as dense and the convolutions write them */
export const requantizedFields = {
  bias: z.array(int32()),
  requant: requantSchema,
  perChannel: perChannelSchema,
  /** optional table applied after requantization (a fused activation) */
  activation: nonNegative().optional(),
};

export interface PerChannel {
  multiplier: Int32Array;
  shift: Int32Array;
}

/** The fields of an accumulating layer's IR that say how an output is made from its accumulator. */
export interface RequantizedOutput {
  requant: Requant;
  /** when present, channel c uses multiplier[c] and shift[c] instead of requant's */
  perChannel?: PerChannel;
  activation?: number;
}

/** The requantization of output channel c. */
export function requantOf(layer: RequantizedOutput, channel: number): Requant {
  const pc = layer.perChannel;
  return pc ? { ...layer.requant, multiplier: pc.multiplier[channel]!, shift: pc.shift[channel]! } : layer.requant;
}

/** y = act(requantize(acc)): the output rule of every accumulating layer. */
export function requantizedOutput(acc: number, layer: RequantizedOutput, channel: number, tables: readonly Int8Array[]): number {
  const q = requantize(acc, requantOf(layer, channel));
  return layer.activation === undefined ? q : tables[layer.activation]![q + 128]!;
}

/**
 * Checks the requantization of a layer with `channels` output channels, given the worst-case
 * |accumulator| of each channel: the activation table, the per-channel lengths, min <= max, and
 * that TFLite's double rounding never shifts an accumulator out of int32 (its left shift is an
 * int32 multiply in C, which must not overflow).
 */
export function checkRequantized(
  spec: { requant: Requant; activation?: number; perChannel?: { multiplier: number[]; shift: number[] } },
  channels: number,
  worstAcc: (channel: number) => number,
  ctx: BuildContext,
): PerChannel | undefined {
  checkOptionalTable(spec.activation, `${ctx.path}.activation`, ctx);
  const rq = spec.requant;
  if ((rq.min ?? -128) > (rq.max ?? 127)) throw new ModelError(`${ctx.path}.requant.min`, `min (${rq.min}) is above max (${rq.max})`);
  const pc = spec.perChannel;
  if (pc) {
    expectLength(pc.multiplier.length, channels, `${ctx.path}.perChannel.multiplier`, "output channels");
    expectLength(pc.shift.length, channels, `${ctx.path}.perChannel.shift`, "output channels");
  }
  if (rq.rounding === "double") {
    for (let c = 0; c < channels; c++) {
      const shift = pc ? pc.shift[c]! : rq.shift;
      const left = Math.max(0, 31 - shift);
      if (left > 0 && worstAcc(c) * 2 ** left > INT32_MAX) {
        const field = pc ? `${ctx.path}.perChannel.shift[${c}]` : `${ctx.path}.requant.shift`;
        throw new ModelError(field, `shift ${shift} scales the accumulator up by 2^${left}, and the worst-case accumulator ${worstAcc(c)} would overflow int32`);
      }
    }
  }
  return pc ? { multiplier: Int32Array.from(pc.multiplier), shift: Int32Array.from(pc.shift) } : undefined;
}

/** The per-channel multiplier and shift arrays in flash, when the layer has them. */
export function lowerPerChannel(layer: RequantizedOutput): ConstArray[] {
  const pc = layer.perChannel;
  if (!pc) return [];
  return [
    { role: "multiplier", ctype: "int32_t", values: pc.multiplier, comment: "requantization multiplier per output channel" },
    { role: "shift", ctype: "uint8_t", values: pc.shift, comment: "requantization shift per output channel (scale = multiplier / 2^shift)" },
  ];
}

/** Variables of c-templates/layers/requant-params.ejs and activate.ejs. */
export interface RequantVars {
  requant: Requant;
  /** true when multiplier and shift come from the `<id>_multiplier` / `<id>_shift` arrays */
  perChannel: boolean;
  /** de-duplicated index of the fused activation table, if any */
  activation: number | undefined;
  /**
   * true when every shift (every channel's) is 33 or more (scales below 1/4): double rounding
   * then always shifts right, and the C calls the branch-free sn_requantize_double_right
   */
  shiftsRight: boolean;
  /**
   * The four-lane Helium (MVE) requantization the layer can use, proved equal to the scalar rule
   * (c-templates/runtime/requantize_*_x4.c): "double" always, "single" when every shift is 32 or
   * more; undefined when the output goes through an activation table (scalar rule then).
   */
  mveRequant: "double" | "single" | undefined;
}

export function requantVars(layer: RequantizedOutput, ctx: TemplateContext): RequantVars {
  return {
    requant: layer.requant,
    perChannel: layer.perChannel !== undefined,
    activation: layer.activation === undefined ? undefined : ctx.remapTable(layer.activation),
    shiftsRight: layer.perChannel ? layer.perChannel.shift.every((s) => s >= 33) : layer.requant.shift >= 33,
    mveRequant: mveRequant(layer),
  };
}

function mveRequant(layer: RequantizedOutput): RequantVars["mveRequant"] {
  if (layer.activation !== undefined) return undefined;
  if (layer.requant.rounding === "double") return "double";
  const shifts = layer.perChannel ? Array.from(layer.perChannel.shift) : [layer.requant.shift];
  return shifts.every((s) => s >= 32) ? "single" : undefined;
}

export const activationTables = (layer: { activation?: number }): number[] => (layer.activation === undefined ? [] : [layer.activation]);

/** The fused activation's decoded table, for the robustness form. */
export const activationTable = (layer: { activation?: number }, tables: readonly Int8Array[]): Int8Array | undefined =>
  layer.activation === undefined ? undefined : tables[layer.activation];

/** The requantization of every output of a layer whose channel is `output % channels`. */
export function outputRequants(layer: RequantizedOutput, outputs: number, channels: number): Requant[] {
  const perChannel = Array.from({ length: channels }, (_, c) => requantOf(layer, c));
  return Array.from({ length: outputs }, (_, i) => perChannel[i % channels]!);
}
