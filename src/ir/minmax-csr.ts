/**
 * Strong neurons as flat arrays (compressed sparse rows), the one fast form shared by the
 * trainer's candidate evaluation (src/train/fragments.ts) and the robustness tools
 * (src/robustness/flat.ts). The reference interpreter does not use it: it stays the oracle these
 * fast paths are tested against.
 *
 * Neuron n's groups are groupStart[n] .. groupStart[n + 1]; group g's literals are
 * litStart[g] .. litStart[g + 1]; literal k reads input litInput[k] through the table that starts
 * at litBase[k] - 128 in one flat table array (so its value is tables[litBase[k] + x]), or, when
 * litInput[k] is -1, is the constant tables[litBase[k]].
 */
export interface MinMaxCsr {
  groupStart: Int32Array;
  litStart: Int32Array;
  litInput: Int32Array;
}

/** The group and literal offsets of neurons given as nested arrays. */
export function minMaxCsr(neurons: readonly (readonly (readonly { input: number }[])[])[]): MinMaxCsr {
  const groupStart = new Int32Array(neurons.length + 1);
  const groups = neurons.flat(1);
  const litStart = new Int32Array(groups.length + 1);
  neurons.forEach((n, i) => (groupStart[i + 1] = groupStart[i]! + n.length));
  groups.forEach((g, i) => (litStart[i + 1] = litStart[i]! + g.length));
  return { groupStart, litStart, litInput: Int32Array.from(groups.flat(1), (l) => l.input) };
}

/** 256-entry tables one after another, and the base (t * 256 + 128) of each table index. */
export function flatTables(tables: readonly Int8Array[]): Int8Array {
  const out = new Int8Array(tables.length * 256);
  tables.forEach((t, i) => out.set(t, i * 256));
  return out;
}

export const tableBase = (table: number): number => table * 256 + 128;

/**
 * max over groups of (min over the group's literals) of neuron n, reading x[xOffset + input].
 * A group stops at the first literal not above the max so far, and the neuron at 127: min and
 * max are order-free, so neither exit changes the value (the generated C does the same).
 */
export function minMaxValue(
  csr: MinMaxCsr,
  n: number,
  tables: Int8Array,
  litBase: Int32Array,
  x: ArrayLike<number>,
  xOffset: number,
): number {
  const { groupStart, litStart, litInput } = csr;
  let orValue = -128;
  for (let g = groupStart[n]!, g1 = groupStart[n + 1]!; g < g1 && orValue < 127; g++) {
    let andValue = 127;
    for (let k = litStart[g]!, k1 = litStart[g + 1]!; k < k1; k++) {
      const i = litInput[k]!;
      const v = tables[i < 0 ? litBase[k]! : litBase[k]! + x[xOffset + i]!]!;
      if (v < andValue) {
        andValue = v;
        if (andValue <= orValue) break;
      }
    }
    if (andValue > orValue) orValue = andValue;
  }
  return orValue;
}
