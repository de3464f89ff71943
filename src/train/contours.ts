/**
 * Hand-designed contour detectors as strong-neuron templates for a `strong_conv` layer over a
 * one-channel image, in the spirit of the paper's first (unsupervised) layers: every detector is
 * a fuzzy OR (max) over groups of fuzzy ANDs (min) of "ink" / "no ink" literals on a 3x3 window.
 *
 *   edge facing d     ink on one side, no ink on the next pixel in direction d; OR over the two
 *                     placements (boundary just before or just after the window centre)
 *   line along o      three inked pixels in a row through the centre (orientation o)
 *   line end facing d inked centre and the pixel behind it, no ink on the three pixels ahead
 *
 * The window origin is the top-left corner; the centre is (1, 1).
 */
export interface ContourLiteral {
  dy: number;
  dx: number;
  c: number;
  table: number;
}

export interface ContourTemplate {
  name: string;
  groups: ContourLiteral[][];
}

/** The 8 compass directions (dy, dx), clockwise from north. */
const DIRECTIONS: [string, number, number][] = [
  ["N", -1, 0], ["NE", -1, 1], ["E", 0, 1], ["SE", 1, 1], ["S", 1, 0], ["SW", 1, -1], ["W", 0, -1], ["NW", -1, -1],
];

export interface ContourTables {
  /** index of the "ink" table (high where the pixel is dark ink) */
  ink: number;
  /** index of the "no ink" table */
  noInk: number;
}

export function contourTemplates(t: ContourTables, which: { edges?: boolean; lines?: boolean; ends?: boolean } = {}): ContourTemplate[] {
  const at = (dy: number, dx: number, table: number): ContourLiteral => ({ dy: 1 + dy, dx: 1 + dx, c: 0, table });
  const out: ContourTemplate[] = [];
  if (which.edges ?? true) {
    for (const [name, dy, dx] of DIRECTIONS) {
      out.push({
        name: `edge_${name}`,
        groups: [
          [at(0, 0, t.ink), at(dy, dx, t.noInk)],
          [at(-dy, -dx, t.ink), at(0, 0, t.noInk)],
        ],
      });
    }
  }
  if (which.lines ?? true) {
    for (const [name, dy, dx] of DIRECTIONS.slice(0, 4)) {
      out.push({ name: `line_${name}`, groups: [[at(-dy, -dx, t.ink), at(0, 0, t.ink), at(dy, dx, t.ink)]] });
    }
  }
  if (which.ends ?? true) {
    for (const [name, dy, dx] of DIRECTIONS.filter((_, i) => i % 2 === 0)) {
      // the three pixels ahead: straight on and its two neighbours across the direction
      const ahead = [[dy, dx], [dy + dx, dx + dy], [dy - dx, dx - dy]].map(([a, b]) => [Math.sign(a!), Math.sign(b!)] as const);
      out.push({
        name: `end_${name}`,
        groups: [[at(0, 0, t.ink), at(-dy, -dx, t.ink), ...ahead.map(([a, b]) => at(a, b, t.noInk))]],
      });
    }
  }
  return out;
}
