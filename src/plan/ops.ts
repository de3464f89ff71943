/** Operation counts per inference, by kind of operation (the plan's cost model, not instructions). */
export interface OpCounts {
  /** table lookups (LUT layers, strong-neuron literals, fused activations) */
  lookups: number;
  /** min and max operations of strong neurons */
  minmax: number;
  /** multiply-accumulates of summators, dense and conv layers */
  macs: number;
  /** requantizations (one per summator/dense/conv output) */
  requants: number;
  /** comparisons of max pooling, clamping and argmax */
  compares: number;
}

export const zeroOps = (): OpCounts => ({ lookups: 0, minmax: 0, macs: 0, requants: 0, compares: 0 });

export function addOps(a: OpCounts, b: OpCounts): OpCounts {
  return {
    lookups: a.lookups + b.lookups,
    minmax: a.minmax + b.minmax,
    macs: a.macs + b.macs,
    requants: a.requants + b.requants,
    compares: a.compares + b.compares,
  };
}

export const totalOps = (o: OpCounts): number => o.lookups + o.minmax + o.macs + o.requants + o.compares;

/** Ops of strong neurons (max of mins over table lookups) applied at `positions` positions. */
export function strongOps(neurons: readonly (readonly (readonly unknown[])[])[], positions: number): OpCounts {
  const ops = zeroOps();
  for (const groups of neurons) {
    const literals = groups.reduce((s, g) => s + g.length, 0);
    ops.lookups += literals * positions;
    ops.minmax += (literals - 1) * positions; // (literals - groups) mins + (groups - 1) maxes
  }
  return ops;
}

/** Ops of `macs` multiply-accumulates into `outputs` requantized values, with an optional table. */
export function requantizedOps(macs: number, outputs: number, activation: number | undefined): OpCounts {
  return { ...zeroOps(), macs, requants: outputs, lookups: activation === undefined ? 0 : outputs };
}
