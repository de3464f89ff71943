/**
 * What the generated C says about itself: array comments with their dimensions, the real scale
 * behind a requantization, literal codes as SN_CODE(table, input), lines wrapped at 100 columns.
 * Pure functions of their arguments, so the output stays byte-identical for the same model.
 */
import type { Requant } from "../format/schema.js";
import { shapeSize, type Layer } from "../ir/types.js";
import type { ConstArray } from "../plan/lowering.js";

/** The generated C keeps to this many columns where it can (a single long word cannot break). */
export const MAX_COLUMNS = 100;

/**
 * Wraps `text` at spaces so lines fit in `width` columns, keeping the spacing inside each line
 * (aligned columns stay aligned). Continuation lines start with `hang` spaces; a word longer
 * than the width stays whole.
 */
export function wrap(text: string, width: number, hang: number): string[] {
  const lines: string[] = [];
  let rest = text.trimEnd();
  while (rest.length > width) {
    const floor = lines.length === 0 ? /^\s*/.exec(rest)![0].length : hang;
    let at = rest.lastIndexOf(" ", width);
    if (at <= floor) at = rest.indexOf(" ", width);
    if (at < 0) break;
    lines.push(rest.slice(0, at).trimEnd());
    rest = " ".repeat(hang) + rest.slice(at).trimStart();
  }
  lines.push(rest);
  return lines;
}

/**
 * A banner line wrapped so ` * ` plus the line fits in MAX_COLUMNS. Continuations align with
 * the value after a "key   " column (two or more spaces), else indent two past the line's own.
 */
export function wrapBannerLine(line: string): string[] {
  const width = MAX_COLUMNS - 3;
  if (line.length <= width) return [line];
  const key = /^(\s*\S.*?\s{2,})\S/.exec(line);
  const hang = key ? key[1]!.length : /^\s*/.exec(line)![0].length + 2;
  return wrap(line, width, hang);
}

/** A C comment indented by `indent`: one line when it fits in MAX_COLUMNS, else a block. */
export function cComment(text: string, indent = ""): string {
  const one = `${indent}/* ${text} */`;
  if (one.length <= MAX_COLUMNS && !text.includes("\n")) return one;
  const body = text.split("\n").flatMap((para) => wrap(para, MAX_COLUMNS - indent.length - 3, 0));
  return [`${indent}/*`, ...body.map((l) => `${indent} * ${l}`.trimEnd()), `${indent} */`].join("\n");
}

/** The marker lowering puts in the comment of a literal-code array that carries table numbers. */
const TABLE_CODE = " | (table * 256) << 16";

/** A literal-code array whose values are SN_CODE(table, input) (the layer uses several tables). */
export function isTableCodeArray(a: ConstArray): boolean {
  return /^literal(_patch)?_code$/.test(a.role) && a.ctype === "uint32_t" && a.comment.endsWith(TABLE_CODE);
}

/** `[128 units][784 inputs]`: the array's dimensions, named, when the role is known. */
export function arrayDims(layer: Layer, a: ConstArray): string {
  const n = a.values.length;
  const dim = (count: number, what: string) => `[${count} ${what}]`;
  switch (a.role) {
    case "weights":
      if (layer.kind === "dense") return dim(layer.units, "units") + dim(shapeSize(layer.inputShape), "inputs");
      break;
    case "bias":
      return dim(n, layer.kind === "dense" ? "units" : layer.kind === "conv2d" ? "filters" : "neurons");
    case "term_end":
      return dim(n, "neurons");
    case "term_input":
    case "term_weight":
      return dim(n, "terms");
    case "group_count":
      return dim(n, layer.kind === "strong_conv" ? "templates" : "neurons");
    case "literal_count":
      return dim(n, "groups");
    case "literal_code":
    case "literal_patch_code":
      return dim(n, "literals");
  }
  return `[${n}]`;
}

/** The comment above a layer's const array: role, named dimensions, what a value means. */
export function arrayComment(layer: Layer, a: ConstArray): string {
  const dims = `${a.role} ${arrayDims(layer, a)}`;
  // lowering describes weights by their index order only ("[unit][input]"): the dims say it
  if (a.comment.startsWith("[")) return dims;
  const what = isTableCodeArray(a) ? `${a.comment.slice(0, -TABLE_CODE.length)}, as SN_CODE(table, input)` : a.comment;
  return `${dims}: ${what}`;
}

/** Literal codes as `SN_CODE(table, input)`, `perLine` a line, columns aligned. */
export function formatCodes(values: ArrayLike<number>, perLine: number, indent: number): string {
  const parts = Array.from(values, (v) => {
    const table = Math.floor(v / 2 ** 24);
    const input = v % 2 ** 16;
    if (table * 2 ** 24 + input !== v) throw new Error(`literal code ${v} is not (table * 256) << 16 | input`);
    return [String(table), String(input)];
  });
  const tw = Math.max(...parts.map((p) => p[0]!.length));
  const iw = Math.max(...parts.map((p) => p[1]!.length));
  const text = parts.map(([t, i]) => `SN_CODE(${t!.padStart(tw)}, ${i!.padStart(iw)})`);
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += perLine) lines.push(" ".repeat(indent) + text.slice(i, i + perLine).join(", "));
  return lines.join(",\n");
}

/** The scale behind multiplier and shift, exact (a dyadic rational is exact in a double). */
export const requantScale = (rq: Requant): number => rq.multiplier / 2 ** rq.shift;

/**
 * The comment above a layer's requantization constants: the rule, the real scale they stand for
 * (or that each output channel has its own), and, when offset is -128 on the full range, that
 * the clamp at -128 is a ReLU.
 */
export function requantComment(rq: Requant, indent: string, perChannel = false): string {
  const [lo, hi] = [rq.min ?? -128, rq.max ?? 127];
  const rounding =
    rq.rounding === "double"
      ? "TFLite's double rounding (a rounding doubling high multiply, halves up, then a rounding shift, halves away from zero)"
      : "halves rounded up";
  const lines = [`y = clamp(round(acc * scale) + offset, ${lo}, ${hi}), ${rounding}, with`];
  lines.push(
    perChannel
      ? "scale = multiplier[c] / 2^shift[c] for output channel c (the per-channel arrays above)"
      : `scale = multiplier / 2^shift = ${rq.multiplier} / 2^${rq.shift} ~ ${requantScale(rq)}`,
  );
  if (lo > -128 || hi < 127) lines.push(`the range ${lo}..${hi} is the fused activation (ReLU / ReLU6 in the output's int8 scale)`);
  if (rq.offset === -128 && lo === -128) {
    lines.push(
      "offset -128 makes this a ReLU: y + 128 = min(max(round(acc * scale), 0), 255), so every",
      "acc that scales to 0 or below gives y = -128, which stands for 0 when the next layer reads",
      "(y + 128) * its input scale (as strongnet train's dense hidden layers do).",
    );
  }
  return cComment(lines.join("\n"), indent);
}
