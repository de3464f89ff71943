/**
 * Certification by interval bound propagation (IBP) through the int8 graph.
 *
 * Every value v of every layer gets an integer interval [lo, hi] such that, for EVERY input in
 * the L-infinity box { x : |x_i - x0_i| <= eps, -128 <= x_i <= 127 }, the value the reference
 * interpreter computes lies in [lo, hi]. Rules (each one mirrors src/reference/interpreter.ts):
 *
 * - table T over [lo, hi]: [min T[lo..hi], max T[lo..hi]] — tables are arbitrary, non-monotone
 *   maps, so the whole range is scanned (cached per table as a 256x256 range-min/max array);
 * - min / max neuron (strong, strong_conv, maxpool): per neuron EXACT given independent input
 *   intervals. Upper bound: max over groups of min over the group's distinct inputs of
 *   max_v (min of that input's literals at v) — separable, so exact. Lower bound: max over groups
 *   of (min over literals of min T) is exact when no input is read by two groups; otherwise the
 *   inputs shared between groups are enumerated (up to `enumerationCap` assignments; beyond it
 *   the separable bound is used, which is still sound);
 * - linear row: acc in [bias + sum_w>0 w lo + sum_w<0 w hi, bias + sum_w>0 w hi + sum_w<0 w lo]
 *   (exact: columns are distinct), then requantization, which is monotone non-decreasing in acc
 *   because multiplier >= 1 (floor, + offset and clamp are monotone), so the image is
 *   [rq(acc_lo), rq(acc_hi)]; then the activation table's range;
 * - argmax: class c is certified when it wins against every other class j for every input in the
 *   box, with the reference's tie rule (first largest wins): j < c needs lo_c > hi_j, j > c needs
 *   lo_c >= hi_j. When the score layer is linear without activation, the margin
 *   acc_c - acc_j = (b_c - b_j) + sum (w_c - w_j) x is also bounded directly over the score
 *   layer's input box (tighter, because shared inputs cancel): acc_c >= acc_j everywhere gives
 *   y_c >= y_j (monotone requantization), and (acc_c - acc_j) * multiplier >= 2^shift everywhere
 *   gives y_c > y_j unless both saturate, which hi_j <= 126 and lo_c >= -127 rule out.
 *
 * Soundness composes: each layer's intervals contain every value reachable from the previous
 * layer's interval box, which contains every value reachable from the input box. Exactness does
 * not compose (values of one layer are correlated, the box forgets it), so certification is sound
 * but incomplete: a certified sample is provably robust, an uncertified one may still be robust.
 */
import { rowValue, runFlat, scoresOf, type FlatGraph, type FlatLayer, type FlatLinear, type FlatMinMax, type RowRule } from "./flat.js";
import type { Requant } from "../ir/index.js";
import { firstMaxIndex } from "../kinds/argmax.js";

/** Integer intervals of every value of one tensor. */
export interface Box {
  lo: Int16Array;
  hi: Int16Array;
}

export interface IbpOptions {
  /** max assignments of shared inputs enumerated per min/max neuron (default 4096) */
  enumerationCap?: number;
}

export interface Propagation {
  /** boxes[0] is the input box, boxes[k + 1] the output box of layer k */
  boxes: Box[];
  /** accumulator bounds of the score layer when it is linear */
  scoreAcc?: { lo: Float64Array; hi: Float64Array };
}

/** The L-infinity box of radius eps (int8 units) around x0, clipped to -128..127. */
export function inputBox(x0: ArrayLike<number>, eps: number): Box {
  const lo = new Int16Array(x0.length);
  const hi = new Int16Array(x0.length);
  for (let i = 0; i < x0.length; i++) {
    lo[i] = Math.max(-128, x0[i]! - eps);
    hi[i] = Math.min(127, x0[i]! + eps);
  }
  return { lo, hi };
}

// ---------------------------------------------------------------------------------------------
// range min / max of tables

interface RangeTable {
  min: Int8Array;
  max: Int8Array;
}
const rangeCache = new WeakMap<Int8Array, RangeTable>();

/** min/max of T[a..b] (int8 domain, a <= b) at index (a + 128) * 256 + (b + 128). */
export function rangeOf(table: Int8Array): RangeTable {
  let r = rangeCache.get(table);
  if (r) return r;
  const min = new Int8Array(65536);
  const max = new Int8Array(65536);
  for (let a = 0; a < 256; a++) {
    let mn = 127;
    let mx = -128;
    for (let b = a; b < 256; b++) {
      const v = table[b]!;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      min[a * 256 + b] = mn;
      max[a * 256 + b] = mx;
    }
  }
  r = { min, max };
  rangeCache.set(table, r);
  return r;
}

export const tableMin = (t: Int8Array, lo: number, hi: number): number => rangeOf(t).min[(lo + 128) * 256 + hi + 128]!;
export const tableMax = (t: Int8Array, lo: number, hi: number): number => rangeOf(t).max[(lo + 128) * 256 + hi + 128]!;

// ---------------------------------------------------------------------------------------------
// structure of min/max neurons needed for exact per-neuron bounds

interface MinMaxInfo {
  /** per group: true when some input is read by two literals of the group */
  groupHasDup: Uint8Array;
  /** per neuron: the inputs read by two or more groups */
  shared: Int32Array[];
}
const infoCache = new WeakMap<FlatMinMax, MinMaxInfo>();

function minMaxInfo(l: FlatMinMax): MinMaxInfo {
  let info = infoCache.get(l);
  if (info) return info;
  const groups = l.litStart.length - 1;
  const groupHasDup = new Uint8Array(groups);
  const shared: Int32Array[] = [];
  const none = new Int32Array(0);
  for (let n = 0; n < l.size; n++) {
    const groupsOf = new Map<number, number>(); // input -> number of groups reading it
    for (let g = l.groupStart[n]!; g < l.groupStart[n + 1]!; g++) {
      const inGroup = new Set<number>();
      for (let k = l.litStart[g]!; k < l.litStart[g + 1]!; k++) {
        const i = l.litInput[k]!;
        if (i < 0) continue;
        if (inGroup.has(i)) groupHasDup[g] = 1;
        inGroup.add(i);
      }
      for (const i of inGroup) groupsOf.set(i, (groupsOf.get(i) ?? 0) + 1);
    }
    const s = [...groupsOf].filter(([, c]) => c > 1).map(([i]) => i);
    shared.push(s.length ? Int32Array.from(s) : none);
  }
  info = { groupHasDup, shared };
  infoCache.set(l, info);
  return info;
}

/** Exact max over the box of one group's min (inputs independent). */
function groupUpper(l: FlatMinMax, g: number, lo: Int16Array, hi: Int16Array, hasDup: boolean): number {
  let up = 127;
  const k0 = l.litStart[g]!;
  const k1 = l.litStart[g + 1]!;
  if (!hasDup) {
    for (let k = k0; k < k1; k++) {
      const i = l.litInput[k]!;
      const v = i < 0 ? l.litConst[k]! : tableMax(l.litTable[k]!, lo[i]!, hi[i]!);
      if (v < up) up = v;
    }
    return up;
  }
  // an input read by several literals: max over v of the pointwise min of their tables
  const done = new Set<number>();
  for (let k = k0; k < k1; k++) {
    const i = l.litInput[k]!;
    if (i < 0) {
      up = Math.min(up, l.litConst[k]!);
      continue;
    }
    if (done.has(i)) continue;
    done.add(i);
    let best = -128;
    for (let v = lo[i]!; v <= hi[i]!; v++) {
      let m = 127;
      for (let q = k; q < k1; q++) if (l.litInput[q] === i) m = Math.min(m, l.litTable[q]![v + 128]!);
      if (m > best) best = m;
    }
    up = Math.min(up, best);
  }
  return up;
}

function minMaxBounds(l: FlatMinMax, inp: Box, out: Box, cap: number): void {
  const info = minMaxInfo(l);
  const { lo, hi } = inp;
  for (let n = 0; n < l.size; n++) {
    const g0 = l.groupStart[n]!;
    const g1 = l.groupStart[n + 1]!;
    let up = -128;
    let down = -128;
    for (let g = g0; g < g1; g++) {
      up = Math.max(up, groupUpper(l, g, lo, hi, info.groupHasDup[g] === 1));
      let gl = 127;
      for (let k = l.litStart[g]!; k < l.litStart[g + 1]!; k++) {
        const i = l.litInput[k]!;
        const v = i < 0 ? l.litConst[k]! : tableMin(l.litTable[k]!, lo[i]!, hi[i]!);
        if (v < gl) gl = v;
      }
      if (gl > down) down = gl;
    }
    const shared = info.shared[n]!;
    if (shared.length > 0 && down < up) down = Math.max(down, sharedLower(l, n, shared, lo, hi, cap));
    out.lo[n] = down;
    out.hi[n] = up;
  }
}

/**
 * Exact min over the box of max_g min_j T_j(x) when the inputs read by several groups are
 * enumerated: with those fixed, the groups depend on disjoint inputs, so each group's minimum is
 * separable. Returns -128 (no information) when the enumeration would exceed `cap`.
 */
function sharedLower(l: FlatMinMax, n: number, shared: Int32Array, lo: Int16Array, hi: Int16Array, cap: number): number {
  const vars: number[] = [];
  let count = 1;
  for (const i of shared) {
    if (lo[i]! < hi[i]!) {
      vars.push(i);
      count *= hi[i]! - lo[i]! + 1;
      if (count > cap) return -128;
    }
  }
  if (vars.length === 0) return -128; // all shared inputs fixed: the separable bound is exact
  const slot = new Map<number, number>(vars.map((i, s) => [i, s]));
  const g0 = l.groupStart[n]!;
  const g1 = l.groupStart[n + 1]!;
  // per literal: which enumerated variable it reads (-1: none) and its separable minimum
  const k0 = l.litStart[g0]!;
  const k1 = l.litStart[g1]!;
  const litVar = new Int32Array(k1 - k0);
  const litMin = new Int16Array(k1 - k0);
  for (let k = k0; k < k1; k++) {
    const i = l.litInput[k]!;
    const s = i < 0 ? undefined : slot.get(i);
    litVar[k - k0] = s === undefined ? -1 : s;
    litMin[k - k0] = i < 0 ? l.litConst[k]! : s === undefined ? tableMin(l.litTable[k]!, lo[i]!, hi[i]!) : 0;
  }
  const value = Int16Array.from(vars, (i) => lo[i]!);
  let best = 127;
  for (;;) {
    let orValue = -128;
    for (let g = g0; g < g1; g++) {
      let andValue = 127;
      for (let k = l.litStart[g]!; k < l.litStart[g + 1]!; k++) {
        const s = litVar[k - k0]!;
        const v = s < 0 ? litMin[k - k0]! : l.litTable[k]![value[s]! + 128]!;
        if (v < andValue) andValue = v;
      }
      if (andValue > orValue) orValue = andValue;
    }
    if (orValue < best) best = orValue;
    // odometer
    let s = 0;
    while (s < vars.length && value[s] === hi[vars[s]!]) {
      value[s] = lo[vars[s]!]!;
      s++;
    }
    if (s === vars.length) break;
    value[s]!++;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------

function linearBounds(l: FlatLinear, inp: Box, out: Box, accLo?: Float64Array, accHi?: Float64Array): void {
  const { lo, hi } = inp;
  for (let r = 0; r < l.size; r++) {
    let a = l.bias[r]!;
    let b = a;
    for (let k = l.rowStart[r]!; k < l.rowStart[r + 1]!; k++) {
      const w = l.weight[k]!;
      const i = l.col[k]!;
      if (w > 0) {
        a += w * lo[i]!;
        b += w * hi[i]!;
      } else {
        a += w * hi[i]!;
        b += w * lo[i]!;
      }
    }
    if (accLo) accLo[r] = a;
    if (accHi) accHi[r] = b;
    const qa = rowValue(l.requant[r]!, a);
    const qb = rowValue(l.requant[r]!, b);
    if (l.activation) {
      out.lo[r] = tableMin(l.activation, qa, qb);
      out.hi[r] = tableMax(l.activation, qa, qb);
    } else {
      out.lo[r] = qa;
      out.hi[r] = qb;
    }
  }
}

function layerBounds(l: FlatLayer, inp: Box, cap: number, acc?: { lo: Float64Array; hi: Float64Array }): Box {
  const out: Box = { lo: new Int16Array(l.size), hi: new Int16Array(l.size) };
  switch (l.kind) {
    case "table":
      for (let i = 0; i < l.size; i++) {
        out.lo[i] = tableMin(l.table, inp.lo[i]!, inp.hi[i]!);
        out.hi[i] = tableMax(l.table, inp.lo[i]!, inp.hi[i]!);
      }
      break;
    case "minmax":
      minMaxBounds(l, inp, out, cap);
      break;
    case "linear":
      linearBounds(l, inp, out, acc?.lo, acc?.hi);
      break;
  }
  return out;
}

/** Propagates an input box through every layer. */
export function propagate(fg: FlatGraph, input: Box, opts: IbpOptions = {}): Propagation {
  const cap = opts.enumerationCap ?? 4096;
  const boxes = [input];
  let scoreAcc: Propagation["scoreAcc"];
  fg.layers.forEach((l, k) => {
    const acc = k === fg.scoreLayer && l.kind === "linear" ? { lo: new Float64Array(l.size), hi: new Float64Array(l.size) } : undefined;
    if (acc) scoreAcc = acc;
    boxes.push(layerBounds(l, boxes[boxes.length - 1]!, cap, acc));
  });
  return { boxes, scoreAcc };
}

// ---------------------------------------------------------------------------------------------
// certification

/** Lower bound over the box of acc_c - acc_j for two rows of a linear layer (columns sorted). */
export function marginLower(l: FlatLinear, c: number, j: number, inp: Box): number {
  let m = l.bias[c]! - l.bias[j]!;
  let p = l.rowStart[c]!;
  const pe = l.rowStart[c + 1]!;
  let q = l.rowStart[j]!;
  const qe = l.rowStart[j + 1]!;
  while (p < pe || q < qe) {
    let i: number;
    let d: number;
    const ci = p < pe ? l.col[p]! : Infinity;
    const cj = q < qe ? l.col[q]! : Infinity;
    if (ci === cj) {
      i = ci;
      d = l.weight[p++]! - l.weight[q++]!;
    } else if (ci < cj) {
      i = ci;
      d = l.weight[p++]!;
    } else {
      i = cj;
      d = -l.weight[q++]!;
    }
    m += d > 0 ? d * inp.lo[i]! : d * inp.hi[i]!;
  }
  return m;
}

/** Is class c predicted (first-largest rule) for every input whose propagation is `prop`? */
export function certifiedClass(fg: FlatGraph, prop: Propagation, c: number): boolean {
  const scores = prop.boxes[fg.scoreLayer + 1]!;
  const lin = fg.scoreLayer >= 0 ? fg.layers[fg.scoreLayer]! : undefined;
  // the margin argument needs one single-rounding scale shared by the rows it compares
  const marginLayer = lin && lin.kind === "linear" && !lin.activation ? lin : undefined;
  const scoreInput = prop.boxes[fg.scoreLayer]!;
  for (let j = 0; j < fg.classes; j++) {
    if (j === c) continue;
    const ok = j < c ? scores.lo[c]! > scores.hi[j]! : scores.lo[c]! >= scores.hi[j]!;
    if (ok) continue;
    const rule = marginLayer?.requant[c];
    if (!marginLayer || !rule || !sameSingleRounding(rule, marginLayer.requant[j]!)) return false;
    const m = marginLower(marginLayer, c, j, scoreInput);
    if (j > c) {
      if (m < 0) return false;
    } else {
      // (acc_c - acc_j) * multiplier >= 2^shift, and neither both-saturated case possible
      if (m <= 0 || scores.hi[j]! > 126 || scores.lo[c]! < -127) return false;
      if (BigInt(m) * BigInt(rule.multiplier) < 1n << BigInt(rule.shift)) return false;
    }
  }
  return true;
}

/**
 * Two rows requantize with the same single-rounding function over the full int8 range: the
 * premise of the margin argument (monotone in acc, and a step of 2^shift moves the output by 1).
 */
function sameSingleRounding(a: RowRule, b: RowRule): a is Requant {
  const plain = (r: RowRule): r is Requant => !("divisor" in r) && (r.rounding ?? "single") === "single" && (r.min ?? -128) === -128 && (r.max ?? 127) === 127;
  return plain(a) && plain(b) && a.multiplier === b.multiplier && a.shift === b.shift && a.offset === b.offset;
}

export interface Certificate {
  /** class the reference predicts on the clean input */
  predicted: number;
  /** true when no input in the eps box changes the prediction */
  certified: boolean;
  propagation: Propagation;
}

/** Certifies the clean prediction of x0 against every L-infinity perturbation of radius eps. */
export function certify(fg: FlatGraph, x0: Int8Array, eps: number, opts: IbpOptions = {}): Certificate {
  const predicted = firstMaxIndex(scoresOf(fg, runFlat(fg, x0)));
  const propagation = propagate(fg, inputBox(x0, eps), opts);
  return { predicted, certified: certifiedClass(fg, propagation, predicted), propagation };
}

/** Mean interval width (hi - lo) of every layer's output: where the bounds blow up. */
export function meanWidths(prop: Propagation): number[] {
  return prop.boxes.slice(1).map((b) => {
    let s = 0;
    for (let i = 0; i < b.lo.length; i++) s += b.hi[i]! - b.lo[i]!;
    return b.lo.length ? s / b.lo.length : 0;
  });
}
