/**
 * The int8 graph lowered to three uniform kinds of layer, for the robustness tools:
 *
 * - `lut`: elementwise table, y[i] = T[x[i]];
 * - `minmax`: y[n] = max over groups of (min over literals of T[x[input]]), where a literal may
 *   be a constant (a padded read of a strong_conv); `strong`, `strong_conv` and `maxpool` (one
 *   group per pooled element, identity table) all lower to it;
 * - `linear`: y[r] = act(requantize(bias[r] + sum w * x[col])), with sparse rows whose columns
 *   are sorted and distinct (duplicate summator inputs are merged, conv2d padded reads are
 *   folded into the bias); `summator`, `dense` and `conv2d` all lower to it;
 * - `argmax`: the index of the first largest score.
 *
 * Every rule mirrors src/reference/interpreter.ts exactly (integer sums are exact, so merging
 * terms or folding constants does not change a result); test/robustness-flat.test.ts checks the
 * lowered graph against runTrace layer by layer on random models. The lowered form also carries
 * the reverse index (which outputs read input i) that the incremental evaluator needs.
 */
import { INPUT_ID, shapeSize, type Graph, type Layer, type Requant, type Shape } from "../ir/types.js";
import { requantize } from "../reference/requant.js";

export const IDENTITY_TABLE: Int8Array = Int8Array.from({ length: 256 }, (_, i) => i - 128);

interface FlatCommon {
  /** id of the source layer in the model file */
  id: string;
  /** kind of the source layer */
  source: Layer["kind"];
  inputSize: number;
  size: number;
  /** reverse index: outputs reading input i are users[userStart[i] .. userStart[i+1]) */
  userStart: Int32Array;
  users: Int32Array;
}

export interface FlatLut extends FlatCommon {
  kind: "lut";
  table: Int8Array;
}

export interface FlatMinMax extends FlatCommon {
  kind: "minmax";
  /** groups of neuron n: groupStart[n] .. groupStart[n+1] */
  groupStart: Int32Array;
  /** literals of group g: litStart[g] .. litStart[g+1] */
  litStart: Int32Array;
  /** input index of a literal, or -1 for a constant literal */
  litInput: Int32Array;
  litTable: Int8Array[];
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
  requant: Requant;
  activation?: Int8Array;
  /** weight of user k (parallel to users) */
  userWeight: Int32Array;
}

export interface FlatArgmax extends FlatCommon {
  kind: "argmax";
}

export type FlatLayer = FlatLut | FlatMinMax | FlatLinear | FlatArgmax;

export interface FlatGraph {
  graph: Graph;
  inputShape: Shape;
  inputSize: number;
  layers: FlatLayer[];
  /**
   * Index of the layer whose output are the class scores: the input of a final argmax, or the
   * output layer itself when the model ends in a score vector.
   */
  scoreLayer: number;
  classes: number;
  /** true when the model output is an argmax layer (the prediction is output[0]) */
  endsInArgmax: boolean;
}

export class RobustnessUsageError extends Error {
  override name = "UsageError";
}

/** Lowers a graph; refuses models that are not classifiers. */
export function flattenGraph(graph: Graph): FlatGraph {
  // Layers form a chain (every layer reads one other and all contribute to the output).
  let prev = INPUT_ID;
  for (const layer of graph.layers) {
    if (layer.input !== prev) throw new Error(`robustness: layer "${layer.id}" does not read the previous layer`);
    prev = layer.id;
  }
  const layers = graph.layers.map((l) => flattenLayer(graph, l));
  const last = layers[layers.length - 1]!;
  const endsInArgmax = last.kind === "argmax";
  if (layers.slice(0, -1).some((l) => l.kind === "argmax")) {
    throw new RobustnessUsageError(`model "${graph.name}": an argmax layer must be the output layer`);
  }
  const scoreLayer = endsInArgmax ? layers.length - 2 : layers.length - 1;
  const classes = scoreLayer >= 0 ? layers[scoreLayer]!.size : shapeSize(graph.inputShape);
  if (classes < 2) {
    throw new RobustnessUsageError(
      `model "${graph.name}" is not a classifier: robustness needs an argmax output or a score vector of at least 2 classes (it has ${classes})`,
    );
  }
  return { graph, inputShape: graph.inputShape, inputSize: shapeSize(graph.inputShape), layers, scoreLayer, classes, endsInArgmax };
}

function reverseIndex(inputSize: number, rows: number, rowInputs: (r: number, visit: (i: number, w: number) => void) => void) {
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

interface MinMaxBuilder {
  groupStart: number[];
  litStart: number[];
  litInput: number[];
  litTable: Int8Array[];
  litConst: number[];
}

function minMaxLayer(common: Omit<FlatCommon, "userStart" | "users">, b: MinMaxBuilder): FlatMinMax {
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
  return { ...common, kind: "minmax", groupStart, litStart, litInput, litTable: b.litTable, litConst: Int16Array.from(b.litConst), userStart, users };
}

function newBuilder(): MinMaxBuilder {
  return { groupStart: [0], litStart: [0], litInput: [], litTable: [], litConst: [] };
}

function linearLayer(
  common: Omit<FlatCommon, "userStart" | "users">,
  rows: { bias: number; terms: Map<number, number> }[],
  requant: Requant,
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

function addTerm(terms: Map<number, number>, i: number, w: number): void {
  terms.set(i, (terms.get(i) ?? 0) + w);
}

function flattenLayer(graph: Graph, layer: Layer): FlatLayer {
  const inputSize = shapeSize(layer.inputShape);
  const size = shapeSize(layer.outputShape);
  const common = { id: layer.id, source: layer.kind, inputSize, size };
  const tables = graph.tables;
  switch (layer.kind) {
    case "lut": {
      const { userStart, users } = reverseIndex(inputSize, size, (n, visit) => visit(n, 0));
      return { ...common, kind: "lut", table: tables[layer.table]!, userStart, users };
    }
    case "strong": {
      const b = newBuilder();
      for (const groups of layer.neurons) {
        for (const group of groups) {
          for (const lit of group) {
            b.litInput.push(lit.input);
            b.litTable.push(tables[lit.table]!);
            b.litConst.push(0);
          }
          b.litStart.push(b.litInput.length);
        }
        b.groupStart.push(b.litStart.length - 1);
      }
      return minMaxLayer(common, b);
    }
    case "strong_conv": {
      const [h, w, c] = layer.inputShape;
      const [oh, ow] = layer.outputShape;
      const b = newBuilder();
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const y0 = oy * layer.stride[0] - layer.padding[0];
          const x0 = ox * layer.stride[1] - layer.padding[1];
          for (const groups of layer.templates) {
            for (const group of groups) {
              for (const lit of group) {
                const iy = y0 + lit.dy;
                const ix = x0 + lit.dx;
                const table = tables[lit.table]!;
                const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                b.litInput.push(inside ? (iy * w + ix) * c + lit.c : -1);
                b.litTable.push(table);
                b.litConst.push(inside ? 0 : table[layer.padValue + 128]!);
              }
              b.litStart.push(b.litInput.length);
            }
            b.groupStart.push(b.litStart.length - 1);
          }
        }
      return minMaxLayer(common, b);
    }
    case "maxpool": {
      const [, w, c] = layer.inputShape;
      const [oh, ow] = layer.outputShape;
      const b = newBuilder();
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let ch = 0; ch < c; ch++) {
            for (let py = 0; py < layer.pool[0]; py++)
              for (let px = 0; px < layer.pool[1]; px++) {
                const iy = oy * layer.stride[0] + py;
                const ix = ox * layer.stride[1] + px;
                b.litInput.push((iy * w + ix) * c + ch);
                b.litTable.push(IDENTITY_TABLE);
                b.litConst.push(0);
                b.litStart.push(b.litInput.length);
              }
            b.groupStart.push(b.litStart.length - 1);
          }
      return minMaxLayer(common, b);
    }
    case "summator": {
      const rows = layer.neurons.map((n) => {
        const terms = new Map<number, number>();
        for (const t of n.terms) addTerm(terms, t.input, t.weight);
        return { bias: n.bias, terms };
      });
      return linearLayer(common, rows, layer.requant, activationTable(graph, layer.activation));
    }
    case "dense": {
      const rows = Array.from({ length: layer.units }, (_, u) => {
        const terms = new Map<number, number>();
        for (let i = 0; i < inputSize; i++) addTerm(terms, i, layer.weights[u * inputSize + i]!);
        return { bias: layer.bias[u]!, terms };
      });
      return linearLayer(common, rows, layer.requant, activationTable(graph, layer.activation));
    }
    case "conv2d": {
      const [h, w, c] = layer.inputShape;
      const [oh, ow] = layer.outputShape;
      const [kh, kw] = layer.kernel;
      const rows: { bias: number; terms: Map<number, number> }[] = [];
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const y0 = oy * layer.stride[0] - layer.padding[0];
          const x0 = ox * layer.stride[1] - layer.padding[1];
          for (let f = 0; f < layer.filters; f++) {
            let bias = layer.bias[f]!;
            const terms = new Map<number, number>();
            let wi = f * kh * kw * c;
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++)
                for (let ch = 0; ch < c; ch++) {
                  const wt = layer.weights[wi++]!;
                  const iy = y0 + ky;
                  const ix = x0 + kx;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) bias += wt * layer.padValue;
                  else addTerm(terms, (iy * w + ix) * c + ch, wt);
                }
            rows.push({ bias, terms });
          }
        }
      return linearLayer(common, rows, layer.requant, activationTable(graph, layer.activation));
    }
    case "argmax": {
      const { userStart, users } = reverseIndex(inputSize, 1, (_, visit) => {
        for (let i = 0; i < inputSize; i++) visit(i, 0);
      });
      return { ...common, kind: "argmax", userStart, users };
    }
  }
}

function activationTable(graph: Graph, activation: number | undefined): Int8Array | undefined {
  return activation === undefined ? undefined : graph.tables[activation]!;
}

/** The first largest value's index: the reference argmax (ties go to the lower index). */
export function argmaxOf(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Full evaluation

/** Value of neuron n of a minmax layer. */
export function evalMinMaxNeuron(l: FlatMinMax, x: ArrayLike<number>, n: number): number {
  let orValue = -128;
  for (let g = l.groupStart[n]!; g < l.groupStart[n + 1]!; g++) {
    let andValue = 127;
    for (let k = l.litStart[g]!; k < l.litStart[g + 1]!; k++) {
      const i = l.litInput[k]!;
      const v = i < 0 ? l.litConst[k]! : l.litTable[k]![x[i]! + 128]!;
      if (v < andValue) andValue = v;
    }
    if (andValue > orValue) orValue = andValue;
  }
  return orValue;
}

export function linearAcc(l: FlatLinear, x: ArrayLike<number>, r: number): number {
  let acc = l.bias[r]!;
  for (let k = l.rowStart[r]!; k < l.rowStart[r + 1]!; k++) acc += l.weight[k]! * x[l.col[k]!]!;
  return acc;
}

export function linearOut(l: FlatLinear, acc: number): number {
  const q = requantize(acc, l.requant);
  return l.activation ? l.activation[q + 128]! : q;
}

/** Runs one lowered layer on its whole input; `acc` receives the accumulators of a linear layer. */
export function evalLayer(l: FlatLayer, x: ArrayLike<number>, out: Int8Array, acc?: Float64Array): void {
  switch (l.kind) {
    case "lut":
      for (let i = 0; i < l.size; i++) out[i] = l.table[x[i]! + 128]!;
      break;
    case "minmax":
      for (let n = 0; n < l.size; n++) out[n] = evalMinMaxNeuron(l, x, n);
      break;
    case "linear":
      for (let r = 0; r < l.size; r++) {
        const a = linearAcc(l, x, r);
        if (acc) acc[r] = a;
        out[r] = linearOut(l, a);
      }
      break;
    case "argmax":
      out[0] = argmaxOf(x);
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
  return argmaxOf(scoresOf(fg, runFlat(fg, input)));
}
