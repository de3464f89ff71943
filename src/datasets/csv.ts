/**
 * CSV data: one sample per line, the values of the image in HWC order and one label column.
 *
 *  - the delimiter is a comma, or a tab / semicolon when the first line has those and no comma;
 *  - the first line is a header when any of its fields is not a number;
 *  - the label column: `:label=NAME` or `:label=INDEX` (0-based) in the SPEC; otherwise a header
 *    column named label, labels, class, target or y (any case); otherwise column 0;
 *    `:label=none` reads rows without labels (inputs for `verify --inputs`);
 *  - labels are integers 0..K-1, or class names (any text), numbered in sorted order;
 *  - values: integers 0..255 are bytes (uint8), unless `:dtype=int8` or `:dtype=float32`; a file
 *    with any non-integer value is float32.
 * Empty lines are skipped. Errors name the file, the line (1-based) and the reason.
 */
import { readFileSync } from "node:fs";
import { DataError } from "./errors.js";
import type { RawSet, SpecOptions } from "./raw.js";

const LABEL_NAMES = ["label", "labels", "class", "target", "y"];

export function readCsvFile(path: string, opts: SpecOptions): RawSet {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new DataError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0) throw new DataError(path, "empty CSV file");
  const head = lines[first]!;
  const delim = head.includes(",") ? "," : head.includes("\t") ? "\t" : head.includes(";") ? ";" : ",";
  const split = (l: string) => l.split(delim).map((f) => f.trim().replace(/^"(.*)"$/, "$1"));
  const headFields = split(head);
  const isHeader = headFields.some((f) => f === "" || !Number.isFinite(Number(f)) && !/^[-+]?(nan|inf(inity)?)$/i.test(f));
  const columns = headFields.length;
  let labelCol: number | null;
  const want = opts.label;
  if (want === "none") labelCol = null;
  else if (want !== undefined && /^\d+$/.test(want)) labelCol = Number(want);
  else if (want !== undefined) {
    if (!isHeader) throw new DataError(path, `:label=${want} names a column, but the file has no header line`);
    labelCol = headFields.indexOf(want);
    if (labelCol < 0) throw new DataError(path, `no column named "${want}" in the header (${headFields.slice(0, 8).join(", ")}${columns > 8 ? ", ..." : ""})`);
  } else if (isHeader) {
    const k = headFields.findIndex((f) => LABEL_NAMES.includes(f.toLowerCase()));
    labelCol = k >= 0 ? k : 0;
  } else labelCol = 0;
  if (labelCol !== null && labelCol >= columns) throw new DataError(path, `label column ${labelCol} does not exist: lines have ${columns} fields`);
  const size = columns - (labelCol === null ? 0 : 1);
  if (size < 1) throw new DataError(path, "no value columns besides the label");

  const rows: number[] = [];
  const values: number[] = [];
  const labelText: string[] = [];
  for (let i = isHeader ? first + 1 : first; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const f = split(line);
    const where = `line ${i + 1}`;
    if (f.length !== columns) throw new DataError(path, `${f.length} fields, the ${isHeader ? "header" : "first line"} has ${columns}`, where);
    for (let c = 0; c < columns; c++) {
      if (c === labelCol) {
        labelText.push(f[c]!);
        continue;
      }
      const v = Number(f[c]);
      if (f[c] === "" || Number.isNaN(v)) throw new DataError(path, `column ${c}: ${f[c] === "" ? "empty field" : `"${f[c]}" is not a number`}`, where);
      values.push(v);
    }
    rows.push(i + 1);
  }
  if (rows.length === 0) throw new DataError(path, "no data lines");

  // labels: integers, or class names numbered in sorted order
  let labels: Float64Array | undefined;
  let classNames: string[] | undefined;
  if (labelCol !== null) {
    const numeric = labelText.every((t) => /^[-+]?\d+(\.0*)?$/.test(t));
    if (numeric) labels = Float64Array.from(labelText, Number);
    else {
      classNames = [...new Set(labelText)].sort();
      const index = new Map(classNames.map((n, k) => [n, k]));
      labels = Float64Array.from(labelText, (t) => index.get(t)!);
    }
  }

  const dtype = opts.dtype ?? (values.every(Number.isInteger) ? "uint8" : "float32");
  const where = (s: number) => `line ${rows[s]}`;
  let data: Uint8Array | Int8Array | Float64Array;
  if (dtype === "float32") data = Float64Array.from(values, (v) => Math.fround(v));
  else {
    const [lo, hi] = dtype === "uint8" ? [0, 255] : [-128, 127];
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      if (!Number.isInteger(v) || v < lo || v > hi) {
        const s = Math.floor(k / size);
        throw new DataError(path, `value ${v} at position ${k % size} is not a ${dtype} (${lo}..${hi})${opts.dtype ? "" : "; add :dtype=float32 or :dtype=int8 to the SPEC"}`, where(s));
      }
    }
    data = dtype === "uint8" ? Uint8Array.from(values) : Int8Array.from(values);
  }
  return {
    file: path,
    count: rows.length,
    rowSize: size,
    kind: dtype === "float32" ? "float" : dtype,
    values: data,
    labels,
    labelFile: path,
    classNames,
    where,
  };
}
