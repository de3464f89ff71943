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
  /** runs on the active-inputs kernel (see takesActiveInputs) */
  activeInputs: boolean;
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
      activeInputs: takesActiveInputs(ctx.inputKind, inputSize),
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
    ...(layer.activeInputs ? activeInputsArrays(layer) : [denseWeights(layer), { role: "bias", ctype: "int32_t", values: layer.bias, comment: "int32 accumulator start per output" } as const]),
    ...lowerPerChannel(layer),
  ],

  scratchBytes: (layer) => (layer.activeInputs ? 4 * shapeSize(layer.inputShape) : 0),

  ops: (layer) => requantizedOps(layer.weights.length, layer.units, layer.activation),
  templateVars: (layer, ctx) => ({
    units: layer.units,
    inputs: shapeSize(layer.inputShape),
    blocked: packsIntoBlocks(layer),
    blockUnits: BLOCK_UNITS,
    activeInputs: layer.activeInputs,
    activeBlockUnits: ACTIVE_BLOCK_UNITS,
    scratchOffset: ctx.scratchOffset,
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

/** Kinds whose outputs are mostly -128 ("off"): a strong neuron is off as soon as one literal misses. */
const MOSTLY_OFF_KINDS: ReadonlySet<string> = new Set(["strong", "strong_conv"]);

/** Units per pass of the active-inputs kernel (c-templates/runtime/dense_active.c). */
export const ACTIVE_BLOCK_UNITS = 8;

/**
 * The most inputs the active-inputs kernel takes: a list entry holds the offset of an input's
 * weights in a block, 8 per input, in its top 16 bits. Wider layers take the blocked kernel.
 */
export const ACTIVE_MAX_INPUTS = 8192;

/**
 * Whether a dense layer runs on the active-inputs kernel, which lists the inputs that are not -128
 * and multiplies only those: when it reads a layer whose outputs are mostly -128, and has at most
 * ACTIVE_MAX_INPUTS inputs. Its cost grows with the inputs that are on: on the test images of
 * the deep strong networks (30-50% on) the whole model takes 0.4-0.8x the instructions it takes
 * with the blocked kernel on M0-M7, and on synthetic inputs with most features on it can take
 * more (bench/results/dense-active.md).
 */
export function takesActiveInputs(inputKind: string | undefined, inputs: number): boolean {
  return inputKind !== undefined && MOSTLY_OFF_KINDS.has(inputKind) && inputs <= ACTIVE_MAX_INPUTS;
}

/** The weights as the active-inputs kernel reads them: per block of eight units (zero-padded), per input, W[k][i] + 128. */
export function packActiveWeights(weights: Int8Array, units: number, inputs: number): Uint8Array {
  const blocks = Math.ceil(units / ACTIVE_BLOCK_UNITS);
  const packed = new Uint8Array(blocks * ACTIVE_BLOCK_UNITS * inputs);
  let p = 0;
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < inputs; i++) {
      for (let k = 0; k < ACTIVE_BLOCK_UNITS; k++) {
        const u = b * ACTIVE_BLOCK_UNITS + k;
        packed[p++] = (u < units ? weights[u * inputs + i]! : 0) + 128;
      }
    }
  }
  return packed;
}

/**
 * The active-inputs kernel's weights, and its biases with every input's -128 folded in:
 * bias[u] - 128 * sum_i W[u][i], the accumulator when every input is off. On Helium cores the
 * blocked kernel's vector loop beats the list (bench/results/dense-active.md), so a layer that
 * packs into blocks also gets the blocked kernel's MVE weights and its plain bias there.
 */
function activeInputsArrays(layer: DenseLayer): ConstArray[] {
  const inputs = shapeSize(layer.inputShape);
  const folded = Int32Array.from(layer.bias, (b, u) => {
    let sum = 0;
    for (let i = 0; i < inputs; i++) sum += layer.weights[u * inputs + i]!;
    return b - 128 * sum;
  });
  const mve = packsIntoBlocks(layer) ? packDenseWeights(layer.weights, layer.units, inputs).mve : undefined;
  return [
    {
      role: "weights",
      ctype: "uint8_t",
      values: packActiveWeights(layer.weights, layer.units, inputs),
      wordAligned: true,
      ...(mve ? { mveValues: mve } : {}),
      comment: `blocks of ${ACTIVE_BLOCK_UNITS} units (zero-padded), per input W + 128 (see sn_dense_active8)${mve ? `; the MVE kernel's blocks of ${BLOCK_UNITS} units, [unit][input] (see sn_dense_block4)` : ""}`,
    },
    {
      role: "bias",
      ctype: "int32_t",
      values: folded,
      ...(mve ? { mveValues: layer.bias } : {}),
      comment: `int32 accumulator start per output when every input is -128: bias - 128 * sum of the unit's weights${mve ? " (the MVE kernel: bias)" : ""}`,
    },
  ];
}
