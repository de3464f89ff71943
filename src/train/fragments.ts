/**
 * Contour fragments: the unsupervised candidate features of the constructive trainer
 * (docs/training.md). A fragment is a small pattern of "ink" / "no ink" literals around an anchor
 * pixel — an edge, a stroke, a line end, a corner — made shift-invariant by a fuzzy OR over a few
 * small shifts of the anchor. Placed at an anchor it is exactly one strong neuron:
 *
 *   y = max over shifts s of ( min over literals l of T_l[ x[anchor + s + offset_l] ] )
 *
 * with O(1) literals (at most `shifts * literals` <= 16). Tables: ink(x) = x and
 * noInk(x) = -1 - x, both slope 1, so every fragment is 1-Lipschitz in the L-infinity norm.
 *
 * Candidates are flattened into typed arrays (`CandidateSet`, the shared min/max CSR form of
 * src/ir/minmax-csr.ts) so thousands of them can be
 * evaluated on thousands of images quickly, in worker threads, with the same early exit as the
 * generated C (a group stops as soon as its min cannot raise the neuron's max).
 */

import { flatTables, minMaxCsr, minMaxValue, tableBase, type MinMaxCsr } from "../ir/minmax-csr.js";

export const INK = 0;
export const NO_INK = 1;

/** A literal relative to the anchor pixel. */
export interface FragmentLiteral {
  dy: number;
  dx: number;
  table: number;
}

export interface FragmentType {
  name: string;
  /** one AND group (min over literals), relative to the anchor */
  literals: FragmentLiteral[];
}

/** The 8 compass directions (dy, dx), clockwise from north. */
const DIRS: [string, number, number][] = [
  ["N", -1, 0], ["NE", -1, 1], ["E", 0, 1], ["SE", 1, 1], ["S", 1, 0], ["SW", 1, -1], ["W", 0, -1], ["NW", -1, -1],
];

const ink = (dy: number, dx: number): FragmentLiteral => ({ dy, dx, table: INK });
const noInk = (dy: number, dx: number): FragmentLiteral => ({ dy, dx, table: NO_INK });

/**
 * The fragment vocabulary. Every type has at most 3 literals so that a fragment with 5 shifts
 * stays within 15 literals. Literals are ordered so the one most often "off" on a mostly empty
 * image (ink at the anchor) comes first, which lets the early exit stop a group after one lookup.
 */
export function fragmentTypes(scale = 1): FragmentType[] {
  if (scale !== 1) {
    // the same shapes at a coarser scale (offsets multiplied): silhouettes rather than strokes
    return fragmentTypes(1)
      .filter((t) => t.literals.length > 1)
      .map((t) => ({ name: `${t.name}_x${scale}`, literals: t.literals.map((l) => ({ ...l, dy: l.dy * scale, dx: l.dx * scale })) }));
  }
  const out: FragmentType[] = [];
  out.push({ name: "ink", literals: [ink(0, 0)] });
  for (const [name, dy, dx] of DIRS) {
    // boundary: ink here, background 1 or 2 pixels ahead in direction d
    out.push({ name: `edge1_${name}`, literals: [ink(0, 0), noInk(dy, dx)] });
    out.push({ name: `edge2_${name}`, literals: [ink(0, 0), noInk(2 * dy, 2 * dx)] });
    // line end: ink here and behind, background two pixels ahead
    out.push({ name: `end_${name}`, literals: [ink(0, 0), ink(-dy, -dx), noInk(2 * dy, 2 * dx)] });
  }
  for (const [name, dy, dx] of DIRS.slice(0, 4)) {
    // stroke along o: three inked pixels in a row, spaced by 2
    out.push({ name: `stroke_${name}`, literals: [ink(0, 0), ink(-2 * dy, -2 * dx), ink(2 * dy, 2 * dx)] });
    // thin stroke along o: ink here, background on both sides across o
    const [ny, nx] = [dx, -dy];
    out.push({ name: `thin_${name}`, literals: [ink(0, 0), noInk(2 * ny, 2 * nx), noInk(-2 * ny, -2 * nx)] });
  }
  for (let k = 0; k < 8; k += 2) {
    // convex corner between two orthogonal directions: background ahead in both
    const [n1, y1, x1] = DIRS[k]!;
    const [n2, y2, x2] = DIRS[(k + 2) % 8]!;
    out.push({ name: `corner_${n1}${n2}`, literals: [ink(0, 0), noInk(2 * y1, 2 * x1), noInk(2 * y2, 2 * x2)] });
    // junction / bend: ink continuing in both directions
    out.push({ name: `bend_${n1}${n2}`, literals: [ink(0, 0), ink(2 * y1, 2 * x1), ink(2 * y2, 2 * x2)] });
  }
  // a hole: background here, ink on two opposite sides (inside of a loop or a gap in a stroke)
  out.push({ name: "hole_NS", literals: [noInk(0, 0), ink(-2, 0), ink(2, 0)] });
  out.push({ name: "hole_EW", literals: [noInk(0, 0), ink(0, -2), ink(0, 2)] });
  return out;
}

/** Shift sets for the fuzzy OR: the anchor and its 4 neighbours at distance r (r = 0: the anchor only). */
export function plusShifts(r: number): [number, number][] {
  if (r === 0) return [[0, 0]];
  return [[0, 0], [-r, 0], [r, 0], [0, -r], [0, r]];
}

/** A candidate neuron: a fragment type at an anchor with a shift radius. */
export interface Candidate {
  type: number;
  y: number;
  x: number;
  radius: number;
  /** intensity level (table pair) */
  level: number;
  /** groups of { input, table } over the flat image */
  groups: { input: number; table: number }[][];
}

export interface CandidateOptions {
  height: number;
  width: number;
  /** anchor grid step (2: every other row and column) */
  step: number;
  /** shift radii to generate (each gives one candidate per type and anchor) */
  radii: number[];
  /**
   * intensity levels (default 1): level v uses tables 2v (ink) and 2v + 1 (no ink), see
   * `levelTables`; every type is generated once per level
   */
  levels?: number;
}

/**
 * The ink / no-ink table pair of each threshold k: ink_k(x) = clamp(x - k), noInk_k(x) =
 * clamp(k - 1 - x). Both have slope 1 (1-Lipschitz); k = 0 gives ink(x) = x, noInk(x) = -1 - x.
 */
export function levelThresholds(levels: number): number[] {
  if (levels <= 1) return [0];
  // evenly spaced inside the pixel range, e.g. 3 levels: -64, 0, 64
  return Array.from({ length: levels }, (_, i) => Math.round(-128 + (256 * (i + 1)) / (levels + 1)));
}

/** Every fragment type at every anchor of the grid whose literals all fall inside the image. */
export function generateCandidates(types: FragmentType[], opts: CandidateOptions): Candidate[] {
  const out: Candidate[] = [];
  const { height: h, width: w } = opts;
  const off = Math.floor(((h - 1) % opts.step) / 2);
  for (let level = 0; level < (opts.levels ?? 1); level++)
  for (const radius of opts.radii) {
    const shifts = plusShifts(radius);
    for (let y = off; y < h; y += opts.step) {
      for (let x = off; x < w; x += opts.step) {
        types.forEach((t, type) => {
          const groups: { input: number; table: number }[][] = [];
          for (const [sy, sx] of shifts) {
            const g: { input: number; table: number }[] = [];
            for (const l of t.literals) {
              const iy = y + sy + l.dy;
              const ix = x + sx + l.dx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) return;
              g.push({ input: iy * w + ix, table: l.table + 2 * level });
            }
            groups.push(g);
          }
          out.push({ type, y, x, radius, level, groups });
        });
      }
    }
  }
  return out;
}

/** Candidates flattened for fast evaluation (transferable to worker threads). */
export interface CandidateSet extends MinMaxCsr {
  count: number;
  /** table index of each literal */
  litTable: Int32Array;
}

export function flattenCandidates(cands: readonly { groups: { input: number; table: number }[][] }[]): CandidateSet {
  const csr = minMaxCsr(cands.map((c) => c.groups));
  const litTable = Int32Array.from(cands.flatMap((c) => c.groups.flat(1)), (l) => l.table);
  return { ...csr, count: cands.length, litTable };
}

/**
 * Evaluates candidates [from, to) on images [0, n) into `out`, candidate-major:
 * out[c * n + i]. Tables are the int8 tables (y = T[x + 128]). Bit-identical to the
 * reference interpreter's strong layer (the early exit never changes a result).
 */
export function evaluateCandidates(
  set: CandidateSet,
  tables: Int8Array[],
  pixels: Int8Array,
  imageSize: number,
  n: number,
  from: number,
  to: number,
  out: Int8Array,
): void {
  const flat = flatTables(tables);
  const litBase = set.litTable.map(tableBase);
  for (let c = from; c < to; c++) {
    const row = c * n;
    for (let i = 0; i < n; i++) out[row + i] = minMaxValue(set, c, flat, litBase, pixels, i * imageSize);
  }
}
