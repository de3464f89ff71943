/**
 * Per-neuron Lipschitz facts in the L-infinity norm: where a perturbation can grow.
 *
 * - A table's constant is max |T[x+1] - T[x]| (for integer maps the largest step between
 *   neighbours bounds |T[a] - T[b]| / |a - b| for all a != b, by the triangle inequality).
 *   Tables steeper than 1 amplify; the report lists where (the x ranges of the steep steps).
 * - A min/max neuron (strong, strong_conv, maxpool) is as steep as its steepest literal's table:
 *   min and max are 1-Lipschitz and never amplify.
 * - A linear row (summator, dense, conv2d) has gain  (multiplier / 2^shift) * ||w||_1, times the
 *   activation table's constant: |dy| <= gain * max |dx| + 1 (the 1 is rounding).
 * - A layer's gain is its largest neuron's; the product over the layers up to the scores bounds
 *   how much any score can move per int8 step of every pixel (rounding aside). For a linear score
 *   layer the pairwise margin gain scale * ||w_c - w_j||_1 bounds how fast a decision can flip.
 */
import { rowScale, type FlatGraph, type FlatLayer, type FlatLinear } from "./flat.js";

export interface TableFact {
  /** index in the model's `tables` */
  table: number;
  /** max |T[x+1] - T[x]| */
  slope: number;
  /** int8 ranges [from, to] of x where |T[x+1] - T[x]| > 1 */
  steep: [number, number][];
  /** ids of the layers using the table (literals or activations) */
  usedBy: string[];
  /** literal uses (per output position for strong_conv) plus activation/lut uses */
  uses: number;
}

export interface NeuronGain {
  /** output index in the layer */
  index: number;
  gain: number;
  /** for linear rows: ||w||_1 and multiplier / 2^shift */
  l1?: number;
  scale?: number;
}

export interface LayerGain {
  id: string;
  kind: string;
  neurons: number;
  /** largest neuron gain */
  gain: number;
  /** neurons with gain > 1 */
  amplifying: number;
  /** median neuron gain */
  median: number;
  /** the largest gains, at most 5 */
  top: NeuronGain[];
}

export interface LipschitzReport {
  tables: TableFact[];
  /** tables in use with slope > 1 */
  steepTables: number;
  layers: LayerGain[];
  /** product of layer gains up to the score layer: bound on |d score| per unit of |d pixel| */
  networkGain: number;
  /** linear score layer: max over class pairs of scale * ||w_c - w_j||_1 */
  marginGain?: { gain: number; classes: [number, number] };
}

export function tableSlope(t: Int8Array): number {
  let s = 0;
  for (let i = 0; i < 255; i++) s = Math.max(s, Math.abs(t[i + 1]! - t[i]!));
  return s;
}

function steepRanges(t: Int8Array): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < 255; i++) {
    if (Math.abs(t[i + 1]! - t[i]!) <= 1) continue;
    const x = i - 128;
    const last = out[out.length - 1];
    if (last && last[1] === x - 1) last[1] = x;
    else out.push([x, x]);
  }
  return out;
}

const scaleOf = (l: FlatLinear, r: number) => rowScale(l.requant[r]!).scale;

function neuronGains(l: FlatLayer, slope: (t: Int8Array) => number): NeuronGain[] {
  switch (l.kind) {
    case "table":
      return Array.from({ length: l.size }, (_, index) => ({ index, gain: slope(l.table) }));
    case "minmax":
      return Array.from({ length: l.size }, (_, n) => {
        let gain = 0;
        for (let k = l.litStart[l.groupStart[n]!]!; k < l.litStart[l.groupStart[n + 1]!]!; k++) {
          if (l.litInput[k]! >= 0) gain = Math.max(gain, slope(l.litTable[k]!));
        }
        return { index: n, gain };
      });
    case "linear": {
      const act = l.activation ? slope(l.activation) : 1;
      return Array.from({ length: l.size }, (_, r) => {
        const scale = scaleOf(l, r);
        let l1 = 0;
        for (let k = l.rowStart[r]!; k < l.rowStart[r + 1]!; k++) l1 += Math.abs(l.weight[k]!);
        return { index: r, gain: scale * l1 * act, l1, scale };
      });
    }
  }
}

export function lipschitzReport(fg: FlatGraph): LipschitzReport {
  const tables = fg.graph.tables;
  const slopes = new Map<Int8Array, number>();
  const slope = (t: Int8Array) => {
    let s = slopes.get(t);
    if (s === undefined) slopes.set(t, (s = tableSlope(t)));
    return s;
  };
  // table usage
  const usage = new Map<number, { usedBy: Set<string>; uses: number }>();
  const indexOf = new Map<Int8Array, number>();
  tables.forEach((t, i) => {
    if (!indexOf.has(t)) indexOf.set(t, i);
  });
  const use = (t: Int8Array, id: string, n = 1) => {
    // tables made by the lowering (maxpool's identity, a clamp's) are not tables of the model
    const i = indexOf.get(t);
    if (i === undefined) return;
    const u = usage.get(i) ?? { usedBy: new Set<string>(), uses: 0 };
    u.usedBy.add(id);
    u.uses += n;
    usage.set(i, u);
  };
  for (const l of fg.layers) {
    if (l.kind === "table") use(l.table, l.id, l.size);
    if (l.kind === "minmax") for (const t of l.litTable) use(t, l.id);
    if (l.kind === "linear" && l.activation) use(l.activation, l.id, l.size);
  }
  const tableFacts: TableFact[] = [...usage]
    .sort(([a], [b]) => a - b)
    .map(([table, u]) => ({ table, slope: slope(tables[table]!), steep: steepRanges(tables[table]!), usedBy: [...u.usedBy], uses: u.uses }));

  const layers: LayerGain[] = fg.layers
    .map((l) => {
      const gains = neuronGains(l, slope);
      const sorted = [...gains].sort((a, b) => b.gain - a.gain);
      const values = gains.map((g) => g.gain).sort((a, b) => a - b);
      return {
        id: l.id,
        kind: l.source,
        neurons: l.size,
        gain: sorted[0]?.gain ?? 0,
        amplifying: gains.filter((g) => g.gain > 1).length,
        median: values.length ? values[Math.floor(values.length / 2)]! : 0,
        top: sorted.slice(0, 5),
      };
    });
  let networkGain = 1;
  for (let k = 0; k <= fg.scoreLayer && k < layers.length; k++) networkGain *= layers[k]!.gain;

  let marginGain: LipschitzReport["marginGain"];
  const score = fg.scoreLayer >= 0 ? fg.layers[fg.scoreLayer] : undefined;
  if (score && score.kind === "linear") {
    const dense = (r: number) => {
      const m = new Map<number, number>();
      for (let k = score.rowStart[r]!; k < score.rowStart[r + 1]!; k++) m.set(score.col[k]!, score.weight[k]!);
      return m;
    };
    const rows = Array.from({ length: score.size }, (_, r) => dense(r));
    for (let c = 0; c < score.size; c++)
      for (let j = c + 1; j < score.size; j++) {
        const [sc, sj] = [scaleOf(score, c), scaleOf(score, j)];
        let l1 = 0;
        if (sc === sj) {
          for (const [i, w] of rows[c]!) l1 += Math.abs(w - (rows[j]!.get(i) ?? 0));
          for (const [i, w] of rows[j]!) if (!rows[c]!.has(i)) l1 += Math.abs(w);
          l1 *= sc;
        } else {
          // rows with their own scales: bound the two rows separately
          for (const [, w] of rows[c]!) l1 += sc * Math.abs(w);
          for (const [, w] of rows[j]!) l1 += sj * Math.abs(w);
        }
        const gain = l1 * (score.activation ? slope(score.activation) : 1);
        if (!marginGain || gain > marginGain.gain) marginGain = { gain, classes: [c, j] };
      }
  }
  return { tables: tableFacts, steepTables: tableFacts.filter((t) => t.slope > 1).length, layers, networkGain, marginGain };
}
