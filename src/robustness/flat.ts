/**
 * The int8 graph lowered to three uniform kinds of layer, for the robustness tools:
 *
 * - `table`: elementwise table, y[i] = T[x[i]];
 * - `minmax`: y[n] = max over groups of (min over literals of T[x[input]]), where a literal may
 *   be a constant (a padded read of a strong_conv);
 * - `linear`: y[r] = act(requantize(bias[r] + sum w * x[col])), with sparse rows whose columns
 *   are sorted and distinct (duplicate inputs are merged, padded reads are folded into the bias).
 *
 * Each layer kind says which of these it lowers to (`robustness` in src/kinds/<kind>.ts; e.g.
 * strong, strong_conv and maxpool -> minmax; summator, dense and conv2d -> linear); a final
 * argmax is the classifier's decision, not a layer here (see FlatGraph.endsInArgmax).
 *
 * Every rule mirrors the reference interpreter exactly (integer sums are exact, so merging
 * terms or folding constants does not change a result); test/robustness-ibp.test.ts checks the
 * lowered graph against runTrace layer by layer on random models. The lowered form also carries
 * the reverse index (which outputs read input i) that the incremental evaluator needs.
 */
import { shapeSize, type Graph, type Requant, type Shape } from "../ir/index.js";
import { flatTables, minMaxValue, tableBase, type MinMaxCsr } from "../ir/minmax-csr.js";
import { firstMaxIndex } from "../kinds/argmax.js";
import { clampTo, requantize, roundedMean } from "../reference/requant.js";

export { RobustnessUsageError } from "./errors.js";

export const IDENTITY_TABLE: Int8Array = Int8Array.from({ length: 256 }, (_, i) => i - 128);

interface FlatCommon {
  /** id of the source layer in the model file */
  id: string;
  /** kind of the source layer */
  source: string;
  inputSize: number;
  size: number;
  /** reverse index: outputs reading input i are users[userStart[i] .. userStart[i+1]) */
  userStart: Int32Array;
  users: Int32Array;
}

export interface FlatTable extends FlatCommon {
  kind: "table";
  table: Int8Array;
}

/**
 * Strong neurons in the shared CSR form (src/ir/minmax-csr.ts): groupStart, litStart and
 * litInput (-1 for a constant literal), plus per-literal tables for the interval bounds.
 */
export interface FlatMinMax extends FlatCommon, MinMaxCsr {
  kind: "minmax";
  litTable: Int8Array[];
  /** the distinct literal tables (and an identity table for constants), one after another */
  tables: Int8Array;
  /** where literal k's table (or constant) is in `tables`, for minMaxValue */
  litBase: Int32Array;
  /** the literal's value (already through its table) when litInput is -1 */
  litConst: Int16Array;
}

export interface FlatLinear extends FlatCommon {
  kind: "linear";
  /** terms of row r: rowStart[r] .. rowStart[r+1], columns strictly increasing */
  rowStart: Int32Array;
  col: Int32Array;
  weight: Int32Array;
  /** bias plus the constant contribution of padded reads */
  bias: Float64Array;
  /** how each row's accumulator becomes its output (per output channel when scales differ) */
  requant: RowRule[];
  activation?: Int8Array;
  /** weight of user k (parallel to users) */
  userWeight: Int32Array;
}

export type FlatLayer = FlatTable | FlatMinMax | FlatLinear;

/** The fields a kind's robustness form fills in; the builders below add the reverse index. */
export type FlatSource = Omit<FlatCommon, "userStart" | "users">;

export interface FlatGraph {
  graph: Graph;
  inputShape: Shape;
  inputSize: number;
  layers: FlatLayer[];
  /**
   * Index of the layer whose output are the class scores: the last lowered layer (the input of
   * a final argmax, or the output layer itself when the model ends in a score vector); -1 when
   * the scores are the model input.
   */
  scoreLayer: number;
  classes: number;
  /** true when the model output is an argmax layer (the prediction is output[0]) */
  endsInArgmax: boolean;
}

export function reverseIndex(inputSize: number, rows: number, rowInputs: (r: number, visit: (i: number, w: number) => void) => void) {
  const count = new Int32Array(inputSize + 1);
  for (let r = 0; r < rows; r++) rowInputs(r, (i) => count[i + 1]!++);
  for (let i = 0; i < inputSize; i++) count[i + 1]! += count[i]!;
  const userStart = count.slice();
  const fill = count.slice(0, inputSize);
  const users = new Int32Array(userStart[inputSize]!);
  const userWeight = new Int32Array(userStart[inputSize]!);
  for (let r = 0; r < rows; r++)
    rowInputs(r, (i, w) => {
      const k = fill[i]!++;
      users[k] = r;
      userWeight[k] = w;
    });
  return { userStart, users, userWeight };
}

export interface MinMaxBuilder {
  groupStart: number[];
  litStart: number[];
  litInput: number[];
  litTable: Int8Array[];
  litConst: number[];
}

export function minMaxLayer(common: FlatSource, b: MinMaxBuilder): FlatMinMax {
  const groupStart = Int32Array.from(b.groupStart);
  const litStart = Int32Array.from(b.litStart);
  const litInput = Int32Array.from(b.litInput);
  const { userStart, users } = reverseIndex(common.inputSize, common.size, (n, visit) => {
    const seen = new Set<number>();
    for (let g = groupStart[n]!; g < groupStart[n + 1]!; g++)
      for (let k = litStart[g]!; k < litStart[g + 1]!; k++) {
        const i = litInput[k]!;
        if (i >= 0 && !seen.has(i)) {
          seen.add(i);
          visit(i, 0);
        }
      }
  });
  const { tables, litBase } = literalTables(b);
  return { ...common, kind: "minmax", groupStart, litStart, litInput, litTable: b.litTable, litConst: Int16Array.from(b.litConst), tables, litBase, userStart, users };
}

/** The distinct tables of a min/max layer in one array, and each literal's place in it. */
function literalTables(b: MinMaxBuilder): { tables: Int8Array; litBase: Int32Array } {
  const index = new Map<Int8Array, number>([[IDENTITY_TABLE, 0]]);
  for (const t of b.litTable) if (!index.has(t)) index.set(t, index.size);
  const litBase = Int32Array.from(b.litInput, (input, k) =>
    // a constant c is the identity table at c
    input < 0 ? tableBase(0) + b.litConst[k]! : tableBase(index.get(b.litTable[k]!)!),
  );
  return { tables: flatTables([...index.keys()]), litBase };
}

export function newBuilder(): MinMaxBuilder {
  return { groupStart: [0], litStart: [0], litInput: [], litTable: [], litConst: [] };
}

/** Appends a literal to the open group: T[x[input]], or the constant `value` when input is -1. */
export function pushLiteral(b: MinMaxBuilder, input: number, table: Int8Array, value = 0): void {
  b.litInput.push(input);
  b.litTable.push(table);
  b.litConst.push(value);
}

/** Closes the open group (min over its literals). */
export function endGroup(b: MinMaxBuilder): void {
  b.litStart.push(b.litInput.length);
}

/** Closes the open neuron (max over its groups). */
export function endNeuron(b: MinMaxBuilder): void {
  b.groupStart.push(b.litStart.length - 1);
}

export function linearLayer(
  common: FlatSource,
  rows: { bias: number; terms: Map<number, number> }[],
  requant: RowRule[],
  activation: Int8Array | undefined,
): FlatLinear {
  const rowStart = new Int32Array(rows.length + 1);
  const cols: number[] = [];
  const weights: number[] = [];
  rows.forEach((row, r) => {
    for (const i of [...row.terms.keys()].sort((a, b) => a - b)) {
      const w = row.terms.get(i)!;
      if (w === 0) continue;
      cols.push(i);
      weights.push(w);
    }
    rowStart[r + 1] = cols.length;
  });
  const col = Int32Array.from(cols);
  const weight = Int32Array.from(weights);
  const { userStart, users, userWeight } = reverseIndex(common.inputSize, rows.length, (r, visit) => {
    for (let k = rowStart[r]!; k < rowStart[r + 1]!; k++) visit(col[k]!, weight[k]!);
  });
  return {
    ...common,
    kind: "linear",
    rowStart,
    col,
    weight,
    bias: Float64Array.from(rows, (r) => r.bias),
    requant,
    activation,
    userStart,
    users,
    userWeight,
  };
}

export function addTerm(terms: Map<number, number>, i: number, w: number): void {
  terms.set(i, (terms.get(i) ?? 0) + w);
}

// ---------------------------------------------------------------------------------------------
// Full evaluation

/** Value of neuron n of a minmax layer. */
export function evalMinMaxNeuron(l: FlatMinMax, x: ArrayLike<number>, n: number): number {
  return minMaxValue(l, n, l.tables, l.litBase, x, 0);
}

export function linearAcc(l: FlatLinear, x: ArrayLike<number>, r: number): number {
  let acc = l.bias[r]!;
  for (let k = l.rowStart[r]!; k < l.rowStart[r + 1]!; k++) acc += l.weight[k]! * x[l.col[k]!]!;
  return acc;
}

export function linearOut(l: FlatLinear, acc: number, r: number): number {
  const q = rowValue(l.requant[r]!, acc);
  return l.activation ? l.activation[q + 128]! : q;
}

/** Runs one lowered layer on its whole input; `acc` receives the accumulators of a linear layer. */
export function evalLayer(l: FlatLayer, x: ArrayLike<number>, out: Int8Array, acc?: Float64Array): void {
  switch (l.kind) {
    case "table":
      for (let i = 0; i < l.size; i++) out[i] = l.table[x[i]! + 128]!;
      break;
    case "minmax":
      for (let n = 0; n < l.size; n++) out[n] = evalMinMaxNeuron(l, x, n);
      break;
    case "linear":
      for (let r = 0; r < l.size; r++) {
        const a = linearAcc(l, x, r);
        if (acc) acc[r] = a;
        out[r] = linearOut(l, a, r);
      }
      break;
  }
}

/** Every layer's output (index 0 is the input itself, layer k is at k + 1). */
export function runFlat(fg: FlatGraph, input: Int8Array): Int8Array[] {
  const values = [input];
  for (const l of fg.layers) {
    const out = new Int8Array(l.size);
    evalLayer(l, values[values.length - 1]!, out);
    values.push(out);
  }
  return values;
}

/** The class scores of an input (the values argmax reads). */
export function scoresOf(fg: FlatGraph, values: Int8Array[]): Int8Array {
  return values[fg.scoreLayer + 1]!;
}

export function predictFlat(fg: FlatGraph, input: Int8Array): number {
  return firstMaxIndex(scoresOf(fg, runFlat(fg, input)));
}

/**
 * How a linear row's accumulator becomes its int8 output: a requantization, or the rounded mean
 * of an average pool (sum / divisor, halves away from zero, clamped). Both are monotone
 * non-decreasing in the accumulator, which the interval bounds rely on.
 */
export type RowRule = Requant | MeanRule;

export interface MeanRule {
  divisor: number;
  min: number;
  max: number;
}

const isMean = (rule: RowRule): rule is MeanRule => "divisor" in rule;

export function rowValue(rule: RowRule, acc: number): number {
  return isMean(rule) ? clampTo(roundedMean(acc, rule.divisor), rule.min, rule.max) : requantize(acc, rule);
}

/** The real factor a row's accumulator is scaled by, and the offset and range after it. */
export function rowScale(rule: RowRule): { scale: number; offset: number; min: number; max: number } {
  return isMean(rule)
    ? { scale: 1 / rule.divisor, offset: 0, min: rule.min, max: rule.max }
    : { scale: rule.multiplier / 2 ** rule.shift, offset: rule.offset, min: rule.min ?? -128, max: rule.max ?? 127 };
}

/** The source fields of a layer's lowered form. */
export function flatSource(layer: { id: string; kind: string; inputShape: Shape; outputShape: Shape }): FlatSource {
  return { id: layer.id, source: layer.kind, inputSize: shapeSize(layer.inputShape), size: shapeSize(layer.outputShape) };
}

/** An elementwise table layer (lut, clamp). */
export function tableLayer(common: FlatSource, table: Int8Array): FlatTable {
  const { userStart, users } = reverseIndex(common.inputSize, common.size, (n, visit) => visit(n, 0));
  return { ...common, kind: "table", table, userStart, users };
}
