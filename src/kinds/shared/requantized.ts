/**
 * What the accumulating kinds (summator, dense, conv2d) share: requantization of the int32
 * accumulator to int8, an optional fused activation table, and their template variables.
 */
import type { Requant } from "../../format/fields.js";
import { checkOptionalTable } from "../../ir/checks.js";
import { requantize } from "../../reference/requant.js";
import type { BuildContext, TemplateContext } from "./kind-module.js";

/** y = act(requantize(acc)): the output rule of every accumulating layer. */
export function requantizedOutput(acc: number, requant: Requant, activation: number | undefined, tables: readonly Int8Array[]): number {
  const q = requantize(acc, requant);
  return activation === undefined ? q : tables[activation]![q + 128]!;
}

export function checkActivation(activation: number | undefined, ctx: BuildContext): void {
  checkOptionalTable(activation, `${ctx.path}.activation`, ctx);
}

/** Variables of c-templates/layers/requant-params.ejs and activate.ejs. */
export interface RequantVars {
  requant: Requant;
  /** de-duplicated index of the fused activation table, if any */
  activation: number | undefined;
}

export function requantVars(layer: { requant: Requant; activation?: number }, ctx: TemplateContext): RequantVars {
  return { requant: layer.requant, activation: layer.activation === undefined ? undefined : ctx.remapTable(layer.activation) };
}

export const activationTables = (layer: { activation?: number }): number[] => (layer.activation === undefined ? [] : [layer.activation]);

/** The fused activation's decoded table, for the robustness form. */
export const activationTable = (layer: { activation?: number }, tables: readonly Int8Array[]): Int8Array | undefined =>
  layer.activation === undefined ? undefined : tables[layer.activation];
