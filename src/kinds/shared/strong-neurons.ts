/**
 * What strong and strong_conv share: the neuron schema (max over groups of min over literals),
 * the literal bound, the reference OR-of-ANDs, and the template variables of the strong loop.
 */
import { z } from "zod";
import { checkLiteralCount } from "../../ir/checks.js";
import type { ConstArray } from "../../plan/lowering.js";
import { singleTable } from "../../plan/lowering.js";
import type { BuildContext, TemplateContext } from "./kind-module.js";

/** max over groups of min over literals */
export type StrongNeuron<L> = readonly (readonly L[])[];

/** max over groups of (min over the group's literals): the file form of one neuron. */
export const strongNeuronSchema = <L extends z.ZodTypeAny>(literal: L) =>
  z.strictObject({ groups: z.array(z.array(literal).min(1)).min(1) });

/** Checks the literal bound and each literal of every neuron; returns the neurons as groups. */
export function checkNeurons<L>(
  neurons: readonly { groups: L[][] }[],
  path: string,
  ctx: BuildContext,
  checkLiteral: (lit: L, path: string) => void,
): StrongNeuron<L>[] {
  neurons.forEach((neuron, n) => {
    const at = `${path}[${n}]`;
    checkLiteralCount(neuron.groups, at, ctx);
    neuron.groups.forEach((group, g) => group.forEach((lit, j) => checkLiteral(lit, `${at}.groups[${g}][${j}]`)));
  });
  return neurons.map((n) => n.groups);
}

/** The fuzzy OR of fuzzy ANDs of one neuron, given the value of each literal. */
export function strongNeuronValue<L>(groups: StrongNeuron<L>, literalValue: (lit: L) => number): number {
  let orValue = -128;
  for (const group of groups) {
    let andValue = 127;
    for (const lit of group) andValue = Math.min(andValue, literalValue(lit));
    orValue = Math.max(orValue, andValue);
  }
  return orValue;
}

/** The table indices of every literal, in order. */
export const literalTables = (neurons: readonly StrongNeuron<{ table: number }>[]): number[] =>
  neurons.flatMap((n) => n.flatMap((g) => g.map((l) => l.table)));

/** Variables of the strong loop (c-templates/layers/strong-groups.ejs). */
export interface StrongLoopVars {
  /** the de-duplicated table every literal uses, or undefined when codes carry the table */
  singleTable: number | undefined;
  /** C types of the group count, literal count and literal code arrays */
  neuronCountType: string;
  countType: string;
  codeType: string;
}

export function strongLoopVars(neurons: readonly StrongNeuron<{ table: number }>[], ctx: TemplateContext): StrongLoopVars {
  const type = (role: string) => ctx.arrays.find((a: ConstArray) => a.role === role)!.ctype;
  return {
    singleTable: singleTable(neurons.flat(2), ctx.remapTable),
    neuronCountType: type("group_count"),
    countType: type("literal_count"),
    codeType: type("literal_code"),
  };
}
