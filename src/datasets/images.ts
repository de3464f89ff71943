/**
 * A folder of images, one subfolder per class:
 *
 *   digits/0/*.png  digits/1/*.png  ...        (or .bmp)
 *
 * or a folder with `train/` and `test/`, each laid out like that. Classes are the subfolder
 * names in sorted order (numerically when every name is a number), so label k is the k-th name;
 * the names go into the model's metadata.classNames. Files are read in sorted order; names
 * starting with "." are skipped, any other file that is not .png or .bmp is refused.
 *
 * Decoding: PNG with fast-png, BMP with bmp-ts (both pure JavaScript). 16-bit samples keep their
 * high byte, 1/2/4-bit grey is scaled to 0..255, palettes are expanded, alpha is ignored. Every
 * image must have the size of the first one. Channels: 1 when every image is grey (R = G = B),
 * else 3 (RGB); `:channels=1` turns colour into grey with round(0.299 R + 0.587 G + 0.114 B),
 * `:channels=3` repeats grey into RGB. Values are bytes, so q = byte - 128.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as bmp from "bmp-ts";
import { convertIndexedToRgb, decode as decodePng } from "fast-png";
import { DataError } from "./errors.js";
import type { RawSet, SpecOptions } from "./raw.js";

const IMAGE_EXT = /\.(png|bmp)$/i;

const sortNames = (names: string[]): string[] =>
  names.every((n) => /^\d+$/.test(n)) ? [...names].sort((a, b) => Number(a) - Number(b)) : [...names].sort();

const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith("."));

/** true when `dir` holds train/ and test/ folders of class folders */
export function hasTrainTest(dir: string): boolean {
  return ["train", "test"].every((s) => existsSync(join(dir, s)) && statSync(join(dir, s)).isDirectory());
}

export function readImageFolder(dir: string, opts: SpecOptions, classNames?: string[]): RawSet {
  let entries: string[];
  try {
    entries = visible(dir);
  } catch (err) {
    throw new DataError(dir, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const found = sortNames(entries.filter((n) => statSync(join(dir, n)).isDirectory()));
  const strays = entries.filter((n) => !statSync(join(dir, n)).isDirectory());
  if (strays.length > 0) throw new DataError(join(dir, strays[0]!), "a file next to the class folders; expected only one folder per class");
  if (found.length === 0) throw new DataError(dir, "no class folders (expected DIR/<class>/*.png or *.bmp)");
  const names = classNames ?? found;
  const unknown = found.filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new DataError(join(dir, unknown[0]!), `class "${unknown[0]}" is not one of the training classes (${names.join(", ")})`);

  const files: string[] = [];
  const labels: number[] = [];
  for (const name of found) {
    const sub = join(dir, name);
    const inside = sortNames(visible(sub));
    if (inside.length === 0) throw new DataError(sub, "class folder without images");
    for (const f of inside) {
      const path = join(sub, f);
      if (!IMAGE_EXT.test(f)) throw new DataError(path, "not a .png or .bmp file");
      files.push(path);
      labels.push(names.indexOf(name));
    }
  }
  const images = files.map((f) => decodeImage(f));
  const [h, w] = [images[0]!.height, images[0]!.width];
  images.forEach((img, i) => {
    if (img.height !== h || img.width !== w) throw new DataError(files[i]!, `image is ${img.height}x${img.width} (HxW), the first image ${files[0]} is ${h}x${w}`);
  });
  const grey = images.every((img) => img.grey);
  const channels = opts.channels ?? (grey ? 1 : 3);
  const size = h * w * channels;
  const values = new Uint8Array(images.length * size);
  images.forEach((img, i) => {
    const o = i * size;
    for (let p = 0; p < h * w; p++) {
      const [r, g, b] = [img.rgb[3 * p]!, img.rgb[3 * p + 1]!, img.rgb[3 * p + 2]!];
      if (channels === 1) values[o + p] = img.grey ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else values.set([r, g, b], o + 3 * p);
    }
  });
  return {
    file: dir,
    count: files.length,
    shape: [h, w, channels],
    rowSize: size,
    kind: "uint8",
    values,
    labels,
    labelFile: dir,
    classNames: names,
    where: (i) => files[i]!,
  };
}

interface Decoded {
  width: number;
  height: number;
  /** 8-bit RGB, 3 bytes per pixel */
  rgb: Uint8Array;
  grey: boolean;
}

function decodeImage(path: string): Decoded {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return /\.png$/i.test(path) ? fromPng(bytes) : fromBmp(bytes);
  } catch (err) {
    throw new DataError(path, `cannot decode: ${(err as Error).message}`);
  }
}

function fromPng(bytes: Uint8Array): Decoded {
  const png = decodePng(bytes);
  const { width, height } = png;
  const n = width * height;
  let data: ArrayLike<number> = png.data;
  let channels = png.channels;
  let depth: number = png.depth;
  if (png.palette) {
    data = convertIndexedToRgb(png);
    channels = data.length / n;
    depth = 8;
  }
  const top = (1 << depth) - 1;
  const byte = (v: number) => (depth === 16 ? v >> 8 : depth === 8 ? v : Math.round((v * 255) / top));
  const rgb = new Uint8Array(3 * n);
  let grey = true;
  for (let p = 0; p < n; p++) {
    const base = p * channels;
    if (channels <= 2) {
      const v = byte(data[base]!);
      rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = v;
    } else {
      const r = byte(data[base]!);
      const g = byte(data[base + 1]!);
      const b = byte(data[base + 2]!);
      rgb.set([r, g, b], 3 * p);
      if (r !== g || g !== b) grey = false;
    }
  }
  return { width, height, rgb, grey };
}

function fromBmp(bytes: Buffer): Decoded {
  const img = bmp.decode(bytes, { toRGBA: true });
  const n = img.width * img.height;
  if (img.data.length < 4 * n) throw new Error(`${img.data.length} pixel bytes for ${img.width}x${img.height}`);
  const rgb = new Uint8Array(3 * n);
  let grey = true;
  for (let p = 0; p < n; p++) {
    const [r, g, b] = [img.data[4 * p]!, img.data[4 * p + 1]!, img.data[4 * p + 2]!];
    rgb.set([r, g, b], 3 * p);
    if (r !== g || g !== b) grey = false;
  }
  return { width: img.width, height: img.height, rgb, grey };
}
