/**
 * Complete verification of the int8 model by mixed-integer linear programming (MILP), solved by
 * HiGHS (npm `highs`, WebAssembly): for one input x0 and radius eps, is the reference's prediction
 * the same for EVERY int8 input in the box { x : |x_i - x0_i| <= eps, -128 <= x_i <= 127 }?
 *
 * Encoding of the lowered graph (src/robustness/flat.ts), every value as an affine expression over
 * MILP variables, with the IBP intervals (src/robustness/ibp.ts) as bounds and big-M constants:
 *
 * - input pixels: integer variables in their box (a pixel whose box is one value is a constant);
 * - table T applied to an integer-valued x in [lo, hi]: EXACT on the integers of [lo, hi] by the
 *   incremental piecewise-linear formulation: [lo, hi] is cut where T's slope changes into k
 *   segments, x = lo + sum d_s with 0 <= d_s <= len_s, binaries z_s ordering the segments
 *   (d_s >= len_s z_s, d_(s+1) <= len_(s+1) z_s), T(x) = T(lo) + sum slope_s d_s. An affine table
 *   (the strong models' ink(x) = x and noInk(x) = -1 - x) costs no binary. Tables with more than
 *   `segmentCap` segments over the interval get a sound relaxation instead: a free value in
 *   [min T[lo..hi], max T[lo..hi]];
 * - min / max (strong neurons' groups and OR, max pooling, clamps): the standard exact big-M
 *   encoding z <= a_k, z >= a_k - M_k (1 - b_k), sum b_k = 1 (and mirrored for max), after
 *   dropping arguments that can never be the minimum (maximum) by their bounds;
 * - linear row + requantization: acc = bias + sum w x is exact; the unclamped requantized value
 *   u is a variable with |u - (scale * acc + offset)| <= delta (integer in the score layer, or
 *   everywhere with `integerRounding`; continuous in hidden layers by default), where delta bounds the
 *   rounding error of the rule (single rounding and avgpool's rounded mean: 1/2; TFLite double
 *   rounding: 1/2 + 1/2^(right shift + 1), at most 1). Every true output satisfies it (a sound
 *   relaxation; with delta = 1/2 it is exact except at exact halves, where both neighbours are
 *   allowed); then the clamp to [min, max] and the activation table as above.
 *
 * Decision (the reference's argmax returns the first largest score): the predicted class c
 * changes iff some j has y_j - y_c >= 1 (j > c) or >= 0 (j < c). One feasibility MILP per
 * competitor j not already excluded by the bounds, most threatening first, all within one time
 * limit per sample:
 * - every MILP infeasible: VERIFIED. Because every encoding contains every true behaviour, this
 *   is a proof (up to the solver's floating-point tolerances) that no int8 input of the box
 *   changes the class;
 * - a feasible point: its input pixels are rounded and run through the reference interpreter; if
 *   the class changes it is a genuine counterexample: FALSIFIED. Otherwise (a relaxation artefact)
 *   the competitor stays open;
 * - anything open when time runs out: UNDECIDED (reported, never counted as robust).
 */
import type { Graph } from "../ir/index.js";
import { firstMaxIndex, predictedClass } from "../kinds/argmax.js";
import { predict } from "../reference/interpreter.js";
import { rowScale, rowValue, runFlat, scoresOf, type FlatGraph, type FlatLinear, type FlatMinMax, type RowRule } from "./flat.js";
import { certifiedClass, inputBox, propagate, tableMax, tableMin, type Propagation } from "./ibp.js";

// The solver's types, kept structural so this module loads without the package.
interface HighsModel {
  options: { set(values: Record<string, unknown>): unknown };
  run(callbacks?: Record<number, (event: { message?: string }) => void>): unknown;
  getModelStatus(): number;
  getSolution(): { colValue: Float64Array };
  changeColBounds(col: number, lower: number, upper: number): unknown;
  changeColCost(col: number, cost: number): unknown;
  dispose(): void;
}
export interface HighsSolver {
  infinity: number;
  createModel(data: unknown): HighsModel;
}

let solverPromise: Promise<HighsSolver> | undefined;

/** Loads the HiGHS WebAssembly solver once per process. */
export function loadMilpSolver(): Promise<HighsSolver> {
  solverPromise ??= import("highs").then((m) => (m.default as unknown as () => Promise<HighsSolver>)());
  return solverPromise;
}

export type MilpStatus = "verified" | "falsified" | "undecided";

export interface MilpOptions {
  /** wall-clock seconds for all of one sample's MILPs (default 10) */
  timeLimit?: number;
  /** tables with more segments than this over an interval are relaxed (default 64) */
  segmentCap?: number;
  /**
   * Integer requantized values in hidden layers too (default false: only the score layer's are
   * integer; hidden ones are continuous within the rounding slack, a sound relaxation with far
   * fewer integer variables — the LP relaxation is the same, branching is cheaper).
   */
  integerRounding?: boolean;
}

export interface MilpResult {
  status: MilpStatus;
  /** the reference's class on the clean input */
  predicted: number;
  /** FALSIFIED: an int8 input in the box the reference classifies differently */
  counterexample?: Int8Array;
  /** UNDECIDED: why ("time limit", "relaxation" when only spurious points were found, ...) */
  reason?: string;
  /** true when IBP alone proved it (no MILP was built) */
  byIbp: boolean;
  /** competitor classes whose MILP was solved to infeasibility */
  excluded: number;
  /** competitor classes the bounds alone excluded */
  excludedByBounds: number;
  /** size of the encoding */
  variables: number;
  binaries: number;
  constraints: number;
  /** at least one table was relaxed (verified still means proven) */
  relaxedTables: boolean;
  seconds: number;
}

/** An affine expression: constant + sum coef[k] * x[idx[k]]. */
interface Expr {
  c: number;
  idx: number[];
  coef: number[];
}
interface Bounded {
  e: Expr;
  lo: number;
  hi: number;
}

const constant = (v: number): Bounded => ({ e: { c: v, idx: [], coef: [] }, lo: v, hi: v });

/** -b: the expression negated, its bounds swapped. */
const negated = (b: Bounded): Bounded => ({ e: { c: -b.e.c, idx: b.e.idx, coef: b.e.coef.map((v) => -v) }, lo: -b.hi, hi: -b.lo });

/** The MILP under construction: columns with bounds and integrality, rows in CSR form. */
class Builder {
  colLower: number[] = [];
  colUpper: number[] = [];
  integrality: number[] = [];
  rowLower: number[] = [];
  rowUpper: number[] = [];
  starts: number[] = [0];
  indices: number[] = [];
  values: number[] = [];
  binaries = 0;
  relaxedTables = false;

  constructor(readonly infinity: number) {}

  addVar(lo: number, hi: number, integer: boolean): number {
    this.colLower.push(lo);
    this.colUpper.push(hi);
    this.integrality.push(integer ? 1 : 0);
    if (integer && lo === 0 && hi === 1) this.binaries++;
    return this.colLower.length - 1;
  }

  /** lower <= sum terms + e.c ... <= upper, with e's constant moved into the bounds. */
  addRow(terms: Map<number, number>, lower: number, upper: number): number {
    for (const [i, v] of terms) {
      if (v === 0) continue;
      this.indices.push(i);
      this.values.push(v);
    }
    this.starts.push(this.indices.length);
    this.rowLower.push(lower);
    this.rowUpper.push(upper);
    return this.rowLower.length - 1;
  }

  /** lower <= sum_k f_k * e_k <= upper */
  addLinear(parts: [number, Expr][], lower: number, upper: number): number {
    const terms = new Map<number, number>();
    let c = 0;
    for (const [f, e] of parts) {
      c += f * e.c;
      for (let k = 0; k < e.idx.length; k++) terms.set(e.idx[k]!, (terms.get(e.idx[k]!) ?? 0) + f * e.coef[k]!);
    }
    return this.addRow(terms, lower === -Infinity ? -this.infinity : lower - c, upper === Infinity ? this.infinity : upper - c);
  }

  varExpr(v: number): Expr {
    return { c: 0, idx: [v], coef: [1] };
  }

  /** min of the arguments (exact big-M encoding). */
  minOf(items: Bounded[]): Bounded {
    const H = Math.min(...items.map((b) => b.hi));
    let kept = items.filter((b) => b.lo < H);
    const atH = items.find((b) => b.hi === H)!;
    if (!kept.includes(atH)) kept = [...kept, atH];
    if (kept.length === 1) return { ...kept[0]!, hi: Math.min(kept[0]!.hi, H) };
    const lo = Math.min(...kept.map((b) => b.lo));
    const z = this.addVar(lo, H, false);
    const ze = this.varExpr(z);
    const sum = new Map<number, number>();
    for (const b of kept) {
      this.addLinear([[1, ze], [-1, b.e]], -Infinity, 0); // z <= a_k
      const d = this.addVar(0, 1, true);
      sum.set(d, 1);
      const M = b.hi - lo;
      // z >= a_k - M (1 - d)  <=>  z - a_k - M d >= -M
      this.addLinear([[1, ze], [-1, b.e], [-M, this.varExpr(d)]], -M, Infinity);
    }
    this.addRow(sum, 1, 1);
    return { e: ze, lo, hi: H };
  }

  /** max of the arguments: -min(-a_k), the same exact encoding. */
  maxOf(items: Bounded[]): Bounded {
    return negated(this.minOf(items.map(negated)));
  }

  /** T(x) for an integer-valued x in [x.lo, x.hi]: exact incremental piecewise-linear encoding. */
  table(t: Int8Array, x: Bounded, segmentCap: number): Bounded {
    const { lo, hi } = x;
    const tlo = tableMin(t, lo, hi);
    const thi = tableMax(t, lo, hi);
    if (tlo === thi) return constant(tlo);
    // breakpoints where the slope changes
    const points = [lo];
    for (let v = lo + 1; v < hi; v++) if (t[v + 129]! - t[v + 128]! !== t[v + 128]! - t[v + 127]!) points.push(v);
    points.push(hi);
    const segments = points.length - 1;
    if (segments === 1) {
      const slope = t[hi + 128]! - t[hi + 127]!;
      const base = t[lo + 128]! - slope * lo;
      return { e: { c: base + slope * x.e.c, idx: x.e.idx.slice(), coef: x.e.coef.map((c) => c * slope) }, lo: tlo, hi: thi };
    }
    if (segments > segmentCap) {
      this.relaxedTables = true;
      return { e: this.varExpr(this.addVar(tlo, thi, false)), lo: tlo, hi: thi };
    }
    const d: number[] = [];
    const len: number[] = [];
    for (let s = 0; s < segments; s++) {
      len.push(points[s + 1]! - points[s]!);
      d.push(this.addVar(0, len[s]!, false));
    }
    // x = lo + sum d_s
    this.addLinear([[1, x.e], ...d.map((v): [number, Expr] => [-1, this.varExpr(v)])], lo, lo);
    for (let s = 0; s + 1 < segments; s++) {
      const z = this.addVar(0, 1, true);
      this.addLinear([[1, this.varExpr(d[s]!)], [-len[s]!, this.varExpr(z)]], 0, Infinity); // d_s >= len_s z_s
      this.addLinear([[1, this.varExpr(d[s + 1]!)], [-len[s + 1]!, this.varExpr(z)]], -Infinity, 0); // d_(s+1) <= len_(s+1) z_s
    }
    const e: Expr = { c: t[lo + 128]!, idx: [], coef: [] };
    for (let s = 0; s < segments; s++) {
      const slope = (t[points[s + 1]! + 128]! - t[points[s]! + 128]!) / len[s]!;
      if (slope !== 0) {
        e.idx.push(d[s]!);
        e.coef.push(slope);
      }
    }
    return { e, lo: tlo, hi: thi };
  }
}

/** Largest |rounded - real| of a row rule: the relaxation's half-width. */
export function roundingSlack(rule: RowRule): number {
  if ("divisor" in rule) return 0.5;
  if (rule.rounding === "double") return 0.5 + 0.5 / 2 ** Math.max(rule.shift - 31, 0);
  return 0.5;
}

function linearRow(b: Builder, l: FlatLinear, r: number, inputs: Bounded[], segmentCap: number, integerRounding: boolean): Bounded {
  // acc = bias + sum w x (exact), with its interval from the inputs' bounds
  let accLo = l.bias[r]!;
  let accHi = accLo;
  const parts: [number, Expr][] = [];
  for (let k = l.rowStart[r]!; k < l.rowStart[r + 1]!; k++) {
    const w = l.weight[k]!;
    const x = inputs[l.col[k]!]!;
    accLo += w > 0 ? w * x.lo : w * x.hi;
    accHi += w > 0 ? w * x.hi : w * x.lo;
    parts.push([w, x.e]);
  }
  const rule = l.requant[r]!;
  const out = (q: Bounded): Bounded => (l.activation ? b.table(l.activation, q, segmentCap) : q);
  const qLo = rowValueOf(l, r, accLo);
  const qHi = rowValueOf(l, r, accHi);
  if (qLo === qHi) return out(constant(qLo));
  const { scale, offset, min, max } = rowScale(rule);
  const delta = roundingSlack(rule) + 1e-9;
  const uLo = Math.ceil(scale * accLo + offset - delta);
  const uHi = Math.floor(scale * accHi + offset + delta);
  const u = b.addVar(uLo, uHi, integerRounding);
  // offset - delta <= u - scale * (bias + sum w x) <= offset + delta
  const bias = l.bias[r]!;
  b.addLinear([[1, b.varExpr(u)], ...parts.map(([w, e]): [number, Expr] => [-scale * w, e])], offset - delta + scale * bias, offset + delta + scale * bias);
  let q: Bounded = { e: b.varExpr(u), lo: uLo, hi: uHi };
  if (q.hi > max) q = b.minOf([q, constant(max)]);
  if (q.lo < min) q = b.maxOf([q, constant(min)]);
  return out({ e: q.e, lo: Math.max(qLo, q.lo), hi: Math.min(qHi, q.hi) });
}

/** The requantized (clamped) value of row r at accumulator acc, before the activation table. */
const rowValueOf = (l: FlatLinear, r: number, acc: number): number => rowValue(l.requant[r]!, acc);

function minMaxNeuron(b: Builder, l: FlatMinMax, n: number, inputs: Bounded[], segmentCap: number, lit: Map<string, Bounded>, layer: number): Bounded {
  const groups: Bounded[] = [];
  for (let g = l.groupStart[n]!; g < l.groupStart[n + 1]!; g++) {
    const lits: Bounded[] = [];
    for (let k = l.litStart[g]!; k < l.litStart[g + 1]!; k++) {
      const i = l.litInput[k]!;
      if (i < 0) {
        lits.push(constant(l.litConst[k]!));
        continue;
      }
      const key = `${layer}:${i}:${l.litBase[k]}`;
      let v = lit.get(key);
      if (!v) {
        v = b.table(l.litTable[k]!, inputs[i]!, segmentCap);
        lit.set(key, v);
      }
      lits.push(v);
    }
    groups.push(b.minOf(lits));
  }
  return b.maxOf(groups);
}

export interface Encoding {
  builder: Builder;
  /** the input pixels: a variable index, or -1 for a pixel fixed by the box */
  inputVar: Int32Array;
  scores: Bounded[];
}

/** Encodes the whole graph over the eps box around x0 (bounds from an IBP propagation). */
export function encode(fg: FlatGraph, prop: Propagation, infinity: number, segmentCap = 64, integerRounding = false): Encoding {
  const b = new Builder(infinity);
  const box = prop.boxes[0]!;
  const inputVar = new Int32Array(fg.inputSize).fill(-1);
  let values: Bounded[] = [];
  for (let i = 0; i < fg.inputSize; i++) {
    const lo = box.lo[i]!;
    const hi = box.hi[i]!;
    if (lo === hi) values.push(constant(lo));
    else {
      inputVar[i] = b.addVar(lo, hi, true);
      values.push({ e: b.varExpr(inputVar[i]!), lo, hi });
    }
  }
  fg.layers.forEach((l, k) => {
    const ibp = prop.boxes[k + 1]!;
    const next: Bounded[] = [];
    const lit = new Map<string, Bounded>();
    for (let n = 0; n < l.size; n++) {
      let v: Bounded;
      if (ibp.lo[n] === ibp.hi[n]) v = constant(ibp.lo[n]!);
      else if (l.kind === "table") v = b.table(l.table, values[n]!, segmentCap);
      else if (l.kind === "minmax") v = minMaxNeuron(b, l, n, values, segmentCap, lit, k);
      else v = linearRow(b, l, n, values, segmentCap, integerRounding || k === fg.scoreLayer);
      // IBP's bounds are sound (and may be tighter: shared-input enumeration)
      next.push({ e: v.e, lo: Math.max(v.lo, ibp.lo[n]!), hi: Math.min(v.hi, ibp.hi[n]!) });
    }
    values = next;
  });
  return { builder: b, inputVar, scores: values };
}

/**
 * Verifies the clean prediction of x0 against every int8 input within eps (see the header).
 * `graph` is the model the counterexamples are checked on (the reference interpreter).
 */
export function verifyMilp(solver: HighsSolver, fg: FlatGraph, x0: Int8Array, eps: number, opts: MilpOptions = {}, graph: Graph = fg.graph): MilpResult {
  const t0 = performance.now();
  const timeLimit = opts.timeLimit ?? 10;
  const predicted = firstMaxIndex(scoresOf(fg, runFlat(fg, x0)));
  const prop = propagate(fg, inputBox(x0, eps));
  const base = { predicted, excluded: 0, excludedByBounds: 0, variables: 0, binaries: 0, constraints: 0, relaxedTables: false };
  const seconds = () => Math.round((performance.now() - t0) / 10) / 100;
  if (certifiedClass(fg, prop, predicted)) return { ...base, status: "verified", byIbp: true, excludedByBounds: fg.classes - 1, seconds: seconds() };

  const enc = encode(fg, prop, solver.infinity, opts.segmentCap ?? 64, opts.integerRounding ?? false);
  const b = enc.builder;
  const c = predicted;
  const yc = enc.scores[c]!;
  // competitors the bounds cannot exclude, most threatening first
  const open: { j: number; col: number; need: number; lo: number; hi: number }[] = [];
  let excludedByBounds = 0;
  for (let j = 0; j < fg.classes; j++) {
    if (j === c) continue;
    const need = j < c ? 0 : 1; // y_j - y_c >= need changes the class
    const yj = enc.scores[j]!;
    if (yj.hi - yc.lo < need) {
      excludedByBounds++;
      continue;
    }
    // m_j = y_c - y_j; the class changes iff m_j <= -need
    const lo = yc.lo - yj.hi;
    const hi = yc.hi - yj.lo;
    const col = b.addVar(lo, hi, false);
    b.addLinear([[1, b.varExpr(col)], [-1, yc.e], [1, yj.e]], 0, 0);
    open.push({ j, need, col, lo, hi });
  }
  open.sort((p, q) => enc.scores[q.j]!.hi - enc.scores[p.j]!.hi);
  const size = { variables: b.colLower.length, binaries: b.binaries, constraints: b.rowLower.length, relaxedTables: b.relaxedTables };
  const numCols = b.colLower.length;
  const numRows = b.rowLower.length;
  const model = solver.createModel({
    numCols,
    numRows,
    colCost: new Float64Array(numCols),
    colLower: Float64Array.from(b.colLower),
    colUpper: Float64Array.from(b.colUpper),
    rowLower: Float64Array.from(b.rowLower),
    rowUpper: Float64Array.from(b.rowUpper),
    matrix: { format: "csr", numRows, numCols, starts: Int32Array.from(b.starts), indices: Int32Array.from(b.indices), values: Float64Array.from(b.values) },
    integrality: Int32Array.from(b.integrality),
  });
  let excluded = 0;
  let spurious = false;
  let reason: string | undefined;
  try {
    model.options.set({ output_flag: process.env.MILP_LOG === "1", log_to_console: process.env.MILP_LOG === "1", random_seed: 1, mip_max_improving_sols: 1, ...(process.env.MILP_OPTS ? JSON.parse(process.env.MILP_OPTS) : {}) });
    for (const o of open) {
      const left = timeLimit - (performance.now() - t0) / 1000;
      if (left <= 0) {
        reason = "time limit";
        break;
      }
      model.options.set({ time_limit: left });
      // minimise the margin (the bound guides the search) over the points that change the class
      model.changeColBounds(o.col, o.lo, -o.need);
      model.changeColCost(o.col, 1);
      model.run(process.env.MILP_LOG === "1" ? { 0: (e) => process.stderr.write(e.message ?? "") } : undefined);
      const status = model.getModelStatus();
      const col = status === 7 || status === 16 ? model.getSolution().colValue : undefined;
      model.changeColBounds(o.col, o.lo, o.hi);
      model.changeColCost(o.col, 0);
      if (status === 8) {
        excluded++;
        continue;
      }
      if (col) {
        const x = candidate(col, enc.inputVar, x0, prop);
        const cls = predictedClass(predict(graph, x));
        if (cls !== c) return { ...base, ...size, status: "falsified", counterexample: x, byIbp: false, excluded, excludedByBounds, seconds: seconds() };
        spurious = true;
        continue;
      }
      reason = status === 13 ? "time limit" : `solver status ${status}`;
      break;
    }
  } finally {
    model.dispose();
  }
  if (excluded === open.length) return { ...base, ...size, status: "verified", byIbp: false, excluded, excludedByBounds, seconds: seconds() };
  return { ...base, ...size, status: "undecided", reason: reason ?? (spurious ? "relaxation" : "open"), byIbp: false, excluded, excludedByBounds, seconds: seconds() };
}

/** The solution's input pixels, rounded and kept in the box. */
function candidate(col: Float64Array, inputVar: Int32Array, x0: Int8Array, prop: Propagation): Int8Array {
  const { lo, hi } = prop.boxes[0]!;
  return Int8Array.from(x0, (v, i) => {
    const at = inputVar[i]!;
    if (at < 0) return v;
    return Math.min(hi[i]!, Math.max(lo[i]!, Math.round(col[at]!)));
  });
}

