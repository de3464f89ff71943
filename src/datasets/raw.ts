/**
 * What every user-data reader returns before the int8 conversion: the values as stored (bytes,
 * int8 or floats), the labels as numbers, and how to name sample i in an error message.
 */
export interface SpecOptions {
  /** CSV: the label column (name or 0-based index), or "none" */
  label?: string;
  /** HxW or HxWxC, for flat rows (CSV, 2-d arrays) */
  shape?: [number, number, number];
  /** float data: q = round(x / scale) + zeroPoint */
  scale?: number;
  zeroPoint?: number;
  /** CSV: how to read the values */
  dtype?: "uint8" | "int8" | "float32";
  /** image folders: 1 (grey) or 3 (RGB) */
  channels?: 1 | 3;
}

export type RawKind = "uint8" | "int8" | "float";

export interface RawSet {
  /** the file (or directory) the values come from */
  file: string;
  count: number;
  /** [h, w, c] when the file says; undefined for flat rows */
  shape?: [number, number, number];
  /** values per sample */
  rowSize: number;
  kind: RawKind;
  values: ArrayLike<number>;
  /** raw label numbers (checked later: integers in range) */
  labels?: ArrayLike<number>;
  labelFile?: string;
  /** class names, index = label (image folders, CSV text labels) */
  classNames?: string[];
  /** how to name sample i in a message, e.g. "sample 17", "line 19", "digits/3/a.png" */
  where: (i: number) => string;
}
