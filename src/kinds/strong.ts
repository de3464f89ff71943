/**
 * strong: strong neurons over a flat input, y[n] = max over groups (min over literals of
 * T[x[input]]) — a fuzzy OR of fuzzy ANDs with O(1) literals and no multiplications.
 */
import { z } from "zod";
import { layerBase, nonNegative } from "../format/fields.js";
import { checkIndex, checkTable } from "../ir/checks.js";
import { shapeSize, type LayerCommon } from "../ir/types.js";
import { indexArray, literalCodes, lowerGroups, unsignedTypeFor } from "../plan/lowering.js";
import { strongPlanes, type StrongPlanes } from "../plan/strong-planes.js";
import { strongOps } from "../plan/ops.js";
import { endGroup, endNeuron, flatSource, minMaxLayer, newBuilder, pushLiteral } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { checkNeurons, literalTables, strongLoopVars, strongNeuronSchema, strongNeuronValue, type StrongNeuron } from "./shared/strong-neurons.js";

export type { StrongNeuron };

/** T[table][x[input]] */
export interface Literal {
  input: number;
  table: number;
}

export interface StrongLayer extends LayerCommon {
  kind: "strong";
  neurons: StrongNeuron<Literal>[];
}

const literalSchema = z.strictObject({ input: nonNegative(), table: nonNegative() });

export const strong = defineKind<StrongLayer>()({
  kind: "strong",
  summary: "strong neurons (max of mins of table lookups) over a flat input",
  schema: z.strictObject({ ...layerBase, kind: z.literal("strong"), neurons: z.array(strongNeuronSchema(literalSchema)).min(1) }),

  build(spec, ctx) {
    const inputSize = shapeSize(ctx.inputShape);
    const neurons = checkNeurons(spec.neurons, `${ctx.path}.neurons`, ctx, (lit, at) => {
      checkIndex(lit.input, inputSize, `${at}.input`, "input");
      checkTable(lit.table, `${at}.table`, ctx);
    });
    return { ...commonOf(spec, ctx), kind: "strong", neurons, outputShape: [1, 1, neurons.length] };
  },

  run(layer, x, tables, out) {
    layer.neurons.forEach((groups, n) => {
      out[n] = strongNeuronValue(groups, (lit) => tables[lit.table]![x[lit.input]! + 128]!);
    });
  },

  tables: (layer) => literalTables(layer.neurons),

  lower(layer, remapTable) {
    const planes = planesOf(layer, remapTable);
    if (planes) {
      return [
        indexArray("literal_code", planes.codes, "plane * inputs + input of each literal, groups padded to their class's size"),
        ...(planes.outputIndex ? [indexArray("output_index", planes.outputIndex, "output of each neuron in processing order")] : []),
      ];
    }
    const literals = layer.neurons.flat(2);
    const codes = literals.map((l) => l.input);
    return [...lowerGroups(layer.neurons), literalCodes("literal_code", codes, literals, remapTable, "input index", layer.path)];
  },

  ops: (layer) => strongOps(layer.neurons, 1),
  scratchBytes: (layer, ctx) => {
    const planes = planesOf(layer, ctx.remapTable);
    return planes ? planes.tables.length * planes.inputs : 0;
  },

  templateVars: (layer, ctx) => {
    const planes = planesOf(layer, ctx.remapTable);
    return planes
      ? { neurons: layer.neurons.length, planes: planeVars(planes, ctx.scratchOffset!, ctx.uniqueTables) }
      : { neurons: layer.neurons.length, planes: undefined, ...strongLoopVars(layer.neurons, ctx) };
  },

  robustness(layer, tables) {
    const b = newBuilder();
    for (const groups of layer.neurons) {
      for (const group of groups) {
        for (const lit of group) pushLiteral(b, lit.input, tables[lit.table]!);
        endGroup(b);
      }
      endNeuron(b);
    }
    return minMaxLayer(flatSource(layer), b);
  },
});

/** The plane form of the layer (src/plan/strong-planes.ts), or undefined for the general loop. */
const planesOf = (layer: StrongLayer, remapTable: (t: number) => number): StrongPlanes | undefined =>
  strongPlanes(layer.neurons, shapeSize(layer.inputShape), remapTable);

/** Inputs per iteration of the loop that fills the planes (written out: gcc -O2 would keep a loop). */
const PLANE_FILL_UNROLL = 4;

/**
 * "identity" when T[x] = x, "complement" when T[x] = -1 - x (= ~x in two's complement: the fuzzy
 * NOT of the paper's literals), else "table".
 */
function tableForm(table: Int8Array): "identity" | "complement" | "table" {
  if (table.every((v, i) => v === i - 128)) return "identity";
  if (table.every((v, i) => v === 127 - i)) return "complement";
  return "table";
}

/** Template variables of the plane form. */
function planeVars(planes: StrongPlanes, scratchOffset: number, uniqueTables: readonly Int8Array[]) {
  return {
    scratchOffset,
    inputs: planes.inputs,
    fillUnroll: PLANE_FILL_UNROLL,
    /** an identity table's plane is a copy of the input, a complement's its bitwise NOT: no lookups */
    tables: planes.tables.map((t) => ({ index: t, form: tableForm(uniqueTables[t]!) })),
    classes: planes.classes.map((c) => ({ groups: c.groups, literals: c.literals, count: c.neurons.length })),
    codeType: unsignedTypeFor(Math.max(0, ...planes.codes)),
    outputIndexType: planes.outputIndex ? unsignedTypeFor(Math.max(0, ...planes.outputIndex)) : undefined,
  };
}
