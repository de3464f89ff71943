/**
 * The block form of a summator layer (c-templates/layers/summator.c.ejs): when most weights are
 * non-zero, the sparse terms are stored as a dense int8 matrix (absent terms are zero weights,
 * which add nothing), because a dense walk reads the inputs in order, once for several neurons,
 * and on cores with the DSP extension multiplies four int8 pairs with two SMLADs.
 *
 * Layout: neurons in blocks of `block` (the last padded with zero rows), inputs in words of
 * WORD = 4 (the last padded with zero weights); weights[b][word][neuron in block][input in word],
 * so one pointer walks a block's weights in the order the loop uses them.
 */
import type { SummatorTerm } from "../kinds/summator.js";

/** Inputs per word: one 32-bit load of x, two SMLADs. */
export const WORD = 4;
/** The block form is used when at least this fraction of the dense weights are terms. */
export const MIN_DENSITY = 0.5;
/** Candidate block sizes (neurons that share each load of x), best first when padding ties. */
const BLOCK_SIZES = [5, 4, 3, 2, 1];

export interface SummatorBlocks {
  /** neurons per block */
  block: number;
  /** neurons rounded up to whole blocks */
  paddedNeurons: number;
  inputs: number;
  /** [block][word][neuron in block][input in word] int8 weights */
  weights: number[];
}

/** The block form of a summator, or undefined when it is too sparse (see MIN_DENSITY). */
export function summatorBlocks(neurons: readonly { terms: readonly SummatorTerm[] }[], inputs: number): SummatorBlocks | undefined {
  const terms = neurons.reduce((s, n) => s + n.terms.length, 0);
  if (terms < MIN_DENSITY * neurons.length * inputs) return undefined;
  // the fewest padding rows, then the largest block
  const block = BLOCK_SIZES.reduce((best, b) => (pad(neurons.length, b) < pad(neurons.length, best) ? b : best));
  const paddedNeurons = neurons.length + pad(neurons.length, block);
  const words = Math.ceil(inputs / WORD);
  const weights = new Array<number>(paddedNeurons * words * WORD).fill(0);
  neurons.forEach((neuron, n) => {
    const b = Math.floor(n / block);
    const k = n % block;
    for (const t of neuron.terms) {
      const i = ((b * words + Math.floor(t.input / WORD)) * block + k) * WORD + (t.input % WORD);
      weights[i] = weights[i]! + t.weight;
    }
  });
  // terms of one neuron that read the same input add up; the sum must still be an int8
  if (weights.some((w) => w < -128 || w > 127)) return undefined;
  return { block, paddedNeurons, inputs, weights };
}

const pad = (count: number, block: number) => (block - (count % block)) % block;
