/**
 * An L-infinity attack on the int8 model itself. The model has no gradients (its values are
 * integers, its neurons tables, min and max), so the search is driven by queries of the exact
 * int8 model, steered at first by a surrogate gradient.
 *
 * Loss: the reference's decision margin on the int8 scores of the true class y,
 *   margin8 = min( min_{j<y} s_y - s_j - 1 , min_{j>y} s_y - s_j )
 * (y is predicted iff margin8 >= 0, which is the first-largest argmax rule), refined — when the
 * score layer is linear — by the int32 accumulator margin min_j acc_y - acc_j, which moves long
 * before an int8 score does. The pair is compared lexicographically.
 *
 * Search inside the box (clipped to -128..127), seeded:
 * 1. start from the previous (smaller eps) best perturbation's signs when given, else Square
 *    attack's vertical stripes (Andriushchenko et al., "Square Attack", ECCV 2020);
 * 2. PGD with the surrogate gradient of src/robustness/surrogate.ts (BPDA), signed steps with a
 *    cosine-decaying integer step size, 2 restarts, `pgdShare` of the budget; each step is scored
 *    on the int8 model and the best point is kept;
 * 3. Square attack random search on the ±eps corners: a random square of side sqrt(p * h * w)
 *    gets a random sign per channel, kept when the loss does not increase (int8 losses are flat:
 *    moving sideways on a plateau helps), p halving on the paper's schedule scaled to the budget;
 * 4. greedy coordinate search: flip one pixel to the opposite corner, keep strict improvements,
 *    sweep in random order until the budget ends; a sweep without improvement is followed by
 *    small random squares.
 * Each query is evaluated incrementally (src/robustness/incremental.ts). A success is confirmed
 * with the reference interpreter before it is reported.
 */
import { predict } from "../reference/interpreter.js";
import { firstMaxIndex } from "../kinds/argmax.js";
import type { Rng } from "../util/random.js";
import type { FlatGraph } from "./flat.js";
import { IncrementalNet } from "./incremental.js";
import { surrogateGradient } from "./surrogate.js";

export interface AttackOptions {
  eps: number;
  /** model evaluations allowed (each tried perturbation is one query) */
  queries: number;
  rng: Rng;
  /** a previous perturbation whose signs start the search (e.g. the best one at a smaller eps) */
  init?: Int8Array;
  /** initial square fraction p of Square attack (default 0.3) */
  pInit?: number;
  /** share of the budget for surrogate-gradient PGD (default 0.25; each step costs 2 queries) */
  pgdShare?: number;
}

export interface AttackResult {
  /** an input in the eps box that the reference interpreter classifies differently from `label` */
  adversarial?: Int8Array;
  /** queries used */
  queries: number;
  /** the best perturbed input found (adversarial or not), for warm starts */
  best: Int8Array;
  /** margin8 of the best input: negative means misclassified */
  margin: number;
}

const ACC_SPAN = 2 ** 32;

/** Decision margin of label y on int8 scores under the first-largest rule (>= 0 iff y wins). */
export function margin8(scores: ArrayLike<number>, y: number): number {
  let m = Infinity;
  const sy = scores[y]!;
  for (let j = 0; j < scores.length; j++) {
    if (j === y) continue;
    const d = j < y ? sy - scores[j]! - 1 : sy - scores[j]!;
    if (d < m) m = d;
  }
  return m;
}

function loss(net: IncrementalNet, y: number): number {
  const m = margin8(net.scores, y);
  const acc = net.scoreAccs;
  if (!acc) return m * 2 * ACC_SPAN + ACC_SPAN;
  let am = Infinity;
  const ay = acc[y]!;
  for (let j = 0; j < acc.length; j++) if (j !== y && ay - acc[j]! < am) am = ay - acc[j]!;
  // the tie-breaker lies in [1, 2 * ACC_SPAN - 1], so loss < 0 exactly when margin8 < 0
  return m * 2 * ACC_SPAN + ACC_SPAN + Math.max(-ACC_SPAN + 1, Math.min(ACC_SPAN - 1, am));
}

/** Square attack's schedule of p, halving at fixed fractions of a 10,000-query run. */
function pAt(pInit: number, it: number, total: number): number {
  const t = (it * 10000) / Math.max(total, 1);
  const marks = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let p = pInit;
  for (const m of marks) if (t > m) p /= 2;
  return p;
}

export function attack(fg: FlatGraph, x0: Int8Array, label: number, opts: AttackOptions): AttackResult {
  const { eps, rng } = opts;
  const [h, w, c] = fg.inputShape;
  const n = fg.inputSize;
  const lo = new Int16Array(n);
  const hi = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    lo[i] = Math.max(-128, x0[i]! - eps);
    hi[i] = Math.min(127, x0[i]! + eps);
  }
  const net = new IncrementalNet(fg, x0);
  let queries = 1;
  const done = (): AttackResult => {
    const best = Int8Array.from(net.input);
    const margin = margin8(net.scores, label);
    if (margin >= 0) return { queries, best, margin };
    // confirm with the reference interpreter: the attack's claims never rest on the fast path
    const ref = fg.endsInArgmax ? predict(fg.graph, best)[0]! : firstMaxIndex(predict(fg.graph, best));
    if (ref === label) throw new Error(`attack: incremental evaluation disagrees with the reference interpreter (model "${fg.graph.name}")`);
    for (let i = 0; i < n; i++) {
      if (best[i]! < lo[i]! || best[i]! > hi[i]!) throw new Error(`attack: pixel ${i} left the eps box`);
    }
    return { adversarial: best, queries, best, margin };
  };
  if (margin8(net.scores, label) < 0 || eps === 0 || opts.queries <= 0) return done();

  // buffers for one query: indices, new values, old values
  const idx = new Int32Array(n);
  const vals = new Int8Array(n);
  const old = new Int8Array(n);
  const apply = (count: number) => {
    const x = net.input;
    for (let k = 0; k < count; k++) old[k] = x[idx[k]!]!;
    net.set(idx, vals, count);
    queries++;
  };
  const revert = (count: number) => net.set(idx, old, count);
  const corner = (i: number, sign: number) => (sign > 0 ? hi[i]! : lo[i]!);

  // 1. start point
  {
    let count = 0;
    if (opts.init) {
      const init = opts.init;
      for (let i = 0; i < n; i++) {
        idx[count] = i;
        vals[count++] = init[i]! > x0[i]! ? hi[i]! : init[i]! < x0[i]! ? lo[i]! : corner(i, rng.next() < 0.5 ? -1 : 1);
      }
    } else {
      for (let ch = 0; ch < c; ch++)
        for (let xx = 0; xx < w; xx++) {
          const sign = rng.next() < 0.5 ? -1 : 1;
          for (let yy = 0; yy < h; yy++) {
            const i = (yy * w + xx) * c + ch;
            idx[count] = i;
            vals[count++] = corner(i, sign);
          }
        }
    }
    net.set(idx, vals, count);
    queries++;
  }
  let best = loss(net, label);
  if (best < 0) return done();

  // 2. PGD with the surrogate gradient (src/robustness/surrogate.ts), on the int8 model: every
  // step is scored exactly; the best point found is where the random search continues
  const pgdBudget = Math.floor(opts.queries * (opts.pgdShare ?? 0.25));
  if (pgdBudget >= 8) {
    const bestX = Int8Array.from(net.input);
    const weights = new Float64Array(fg.classes);
    const restarts = 2;
    const steps = Math.floor(pgdBudget / 2 / restarts);
    for (let r = 0; r < restarts; r++) {
      if (r > 0) {
        // restart from a random corner of the box
        for (let i = 0; i < n; i++) {
          idx[i] = i;
          vals[i] = corner(i, rng.next() < 0.5 ? -1 : 1);
        }
        apply(n);
      }
      for (let t = 0; t < steps; t++) {
        const scores = net.accs[fg.scoreLayer] ?? net.scores;
        let other = -1;
        for (let j = 0; j < fg.classes; j++) if (j !== label && (other < 0 || scores[j]! > scores[other]!)) other = j;
        weights.fill(0);
        weights[label] = 1;
        weights[other] = -1;
        const grad = surrogateGradient(fg, net.values, net.accs, weights);
        queries++; // the backward pass
        const step = Math.max(1, Math.round(eps * (0.1 + 0.4 * (1 + Math.cos((Math.PI * t) / steps)) / 2)));
        let count = 0;
        const x = net.input;
        for (let i = 0; i < n; i++) {
          const g = grad[i]!;
          if (g === 0) continue;
          const v = Math.max(lo[i]!, Math.min(hi[i]!, x[i]! - (g > 0 ? step : -step)));
          if (v !== x[i]) {
            idx[count] = i;
            vals[count++] = v;
          }
        }
        if (count === 0) break;
        apply(count);
        const l = loss(net, label);
        if (l < best) {
          best = l;
          bestX.set(net.input);
          if (best < 0) return done();
        }
      }
    }
    // continue from the best point
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (net.input[i] !== bestX[i]) {
        idx[count] = i;
        vals[count++] = bestX[i]!;
      }
    }
    net.set(idx, vals, count);
  }

  const pInit = opts.pInit ?? 0.3;
  const squareSpan = Math.floor((opts.queries - queries) * 0.75);
  const squareBudget = queries + squareSpan;

  /** One random square with a random sign per channel; keeps it unless the loss increases. */
  const squareStep = (p: number): boolean => {
    const side = Math.max(1, Math.min(h, w, Math.round(Math.sqrt(p * h * w))));
    const y0 = rng.int(0, h - side);
    const xs = rng.int(0, w - side);
    let count = 0;
    let changes = 0;
    for (let tries = 0; tries < 3 && changes === 0; tries++) {
      count = 0;
      for (let ch = 0; ch < c; ch++) {
        const sign = rng.next() < 0.5 ? -1 : 1;
        for (let yy = y0; yy < y0 + side; yy++)
          for (let xx = xs; xx < xs + side; xx++) {
            const i = (yy * w + xx) * c + ch;
            idx[count] = i;
            vals[count] = corner(i, sign);
            if (vals[count] !== net.input[i]) changes++;
            count++;
          }
      }
    }
    if (changes === 0) {
      queries++; // a wasted draw still counts, so every loop ends
      return false;
    }
    apply(count);
    const l = loss(net, label);
    if (l <= best) {
      best = l;
      return best < 0;
    }
    revert(count);
    return false;
  };

  // 3. Square attack
  for (let it = 0; queries < squareBudget; it++) if (squareStep(pAt(pInit, it, squareSpan))) return done();

  // 4. greedy coordinate sweeps; when a sweep improves nothing, small random squares, and again
  const order = Array.from({ length: n }, (_, i) => i);
  while (queries < opts.queries) {
    let improved = false;
    rng.shuffle(order);
    for (const i of order) {
      if (queries >= opts.queries) break;
      if (lo[i] === hi[i]) continue;
      idx[0] = i;
      vals[0] = net.input[i] === hi[i] ? lo[i]! : hi[i]!;
      apply(1);
      const l = loss(net, label);
      if (l < best) {
        best = l;
        improved = true;
        if (best < 0) return done();
      } else revert(1);
    }
    if (!improved) {
      const until = Math.min(opts.queries, queries + n);
      while (queries < until) if (squareStep(Math.min(pInit, 4 / (h * w)))) return done();
    }
  }
  return done();
}


