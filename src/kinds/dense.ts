/** dense: a fully connected int8 layer, y[u] = act(requantize(bias[u] + sum_i weights[u][i] * x[i])). */
import { z } from "zod";
import { base64, layerBase, positive } from "../format/fields.js";
import { checkAccumulator, decodeInt8, expectLength } from "../ir/checks.js";
import { shapeSize, type LayerCommon, type Requant } from "../ir/types.js";
import type { ConstArray } from "../plan/lowering.js";
import { requantizedOps } from "../plan/ops.js";
import { addTerm, flatSource, linearLayer } from "../robustness/flat.js";
import { commonOf, defineKind } from "./shared/kind-module.js";
import { activationTable, activationTables, checkRequantized, lowerPerChannel, outputRequants, requantizedFields, requantizedOutput, requantVars, type PerChannel } from "./shared/requantized.js";

export interface DenseLayer extends LayerCommon {
  kind: "dense";
  units: number;
  /** [units][inputs] */
  weights: Int8Array;
  bias: Int32Array;
  requant: Requant;
  perChannel?: PerChannel;
  activation?: number;
}

export const dense = defineKind<DenseLayer>()({
  kind: "dense",
  summary: "fully connected int8 layer",
  schema: z.strictObject({
    ...layerBase,
    kind: z.literal("dense"),
    units: positive(),
    /** int8 [units][inputs], base64 */
    weights: base64,
    ...requantizedFields,
  }),

  build(spec, ctx) {
    const inputSize = shapeSize(ctx.inputShape);
    const weights = decodeInt8(spec.weights);
    expectLength(weights.length, spec.units * inputSize, `${ctx.path}.weights`, `units (${spec.units}) x inputs (${inputSize})`);
    expectLength(spec.bias.length, spec.units, `${ctx.path}.bias`, "units");
    const worst = Array.from({ length: spec.units }, (_, u) =>
      checkAccumulator(spec.bias[u]!, weights.subarray(u * inputSize, (u + 1) * inputSize), `${ctx.path}.bias[${u}]`),
    );
    const perChannel = checkRequantized(spec, spec.units, (u) => worst[u]!, ctx);
    return {
      ...commonOf(spec, ctx),
      kind: "dense",
      units: spec.units,
      weights,
      bias: Int32Array.from(spec.bias),
      requant: spec.requant,
      perChannel,
      activation: spec.activation,
      outputShape: [1, 1, spec.units],
    };
  },

  run(layer, x, tables, out) {
    const inputs = x.length;
    for (let u = 0; u < layer.units; u++) {
      let acc = layer.bias[u]!;
      for (let i = 0; i < inputs; i++) acc += layer.weights[u * inputs + i]! * x[i]!;
      out[u] = requantizedOutput(acc, layer, u, tables);
    }
  },

  tables: activationTables,

  lower: (layer) => [
    denseWeights(layer),
    { role: "bias", ctype: "int32_t", values: layer.bias, comment: "int32 accumulator start per output" },
    ...lowerPerChannel(layer),
  ],

  ops: (layer) => requantizedOps(layer.weights.length, layer.units, layer.activation),
  templateVars: (layer, ctx) => ({
    units: layer.units,
    inputs: shapeSize(layer.inputShape),
    blocked: packsIntoBlocks(layer),
    blockUnits: BLOCK_UNITS,
    ...requantVars(layer, ctx),
  }),

  robustness(layer, tables) {
    const inputs = shapeSize(layer.inputShape);
    const rows = Array.from({ length: layer.units }, (_, u) => {
      const terms = new Map<number, number>();
      for (let i = 0; i < inputs; i++) addTerm(terms, i, layer.weights[u * inputs + i]!);
      return { bias: layer.bias[u]!, terms };
    });
    return linearLayer(flatSource(layer), rows, outputRequants(layer, layer.units, layer.units), activationTable(layer, tables));
  },
});

/** Units per pass of the blocked kernel (c-templates/runtime/dense_block.c: two pairs). */
export const BLOCK_UNITS = 4;

/**
 * Whether the layer runs on the blocked kernel: its inputs come in whole words, and for every
 * second unit of a pair (B) the DSP layout's 256 * sum B x stays inside 32 bits for any input:
 * 128 * sum |B| < 2^23. Other layers keep the one-unit-at-a-time loop.
 */
export function packsIntoBlocks(layer: DenseLayer): boolean {
  const inputs = shapeSize(layer.inputShape);
  if (inputs % 4 !== 0) return false;
  for (let u = 1; u < layer.units; u += 2) {
    let sumAbs = 0;
    for (let i = 0; i < inputs; i++) sumAbs += Math.abs(layer.weights[u * inputs + i]!);
    if (128 * sumAbs >= 2 ** 23) return false;
  }
  return true;
}

/**
 * The weights in the two layouts of the blocked kernel, units padded with zero weights to whole
 * blocks of BLOCK_UNITS. Stored as unsigned bytes w + 128 except the DSP layout's B units and the
 * MVE layout (raw two's complement); the layouts are described in c-templates/runtime/dense_block.c.
 */
export function packDenseWeights(weights: Int8Array, units: number, inputs: number): { portable: Uint8Array; dsp: Uint8Array; mve: Uint8Array } {
  const blocks = Math.ceil(units / BLOCK_UNITS);
  const w = (u: number, i: number) => (u < units ? weights[u * inputs + i]! : 0);
  const portable = new Uint8Array(blocks * BLOCK_UNITS * inputs);
  const dsp = new Uint8Array(portable.length);
  const mve = new Uint8Array(portable.length);
  let p = 0;
  let m = 0;
  let d = 0;
  for (let b = 0; b < blocks; b++) {
    const first = b * BLOCK_UNITS;
    for (let i = 0; i < inputs; i++) for (let k = 0; k < BLOCK_UNITS; k++) portable[p++] = w(first + k, i) + 128;
    for (let k = 0; k < BLOCK_UNITS; k++) for (let i = 0; i < inputs; i++) mve[m++] = w(first + k, i) & 0xff;
    for (let i = 0; i < inputs; i += 4) {
      for (let pair = 0; pair < BLOCK_UNITS / 2; pair++) {
        const a = first + 2 * pair;
        for (const j of [i, i + 1]) {
          dsp[d++] = w(a, j) + 128;
          dsp[d++] = w(a + 1, j) & 0xff;
          dsp[d++] = w(a, j + 2) + 128;
          dsp[d++] = w(a + 1, j + 2) & 0xff;
        }
      }
    }
  }
  return { portable, dsp, mve };
}

function denseWeights(layer: DenseLayer): ConstArray {
  if (!packsIntoBlocks(layer)) return { role: "weights", ctype: "int8_t", values: layer.weights, comment: "[unit][input]" };
  const inputs = shapeSize(layer.inputShape);
  const { portable, dsp, mve } = packDenseWeights(layer.weights, layer.units, inputs);
  return {
    role: "weights",
    ctype: "uint8_t",
    values: portable,
    dspValues: dsp,
    mveValues: mve,
    comment: `blocks of ${BLOCK_UNITS} units (zero-padded), w + 128 per input for the portable kernel; paired words for the DSP kernel; [unit][input] for the MVE kernel (see sn_dense_block4)`,
  };
}
