/**
 * A small data set the tests make themselves: 8x8 grey digits (a 5x7 font placed at a random
 * offset, random stroke intensity and background noise), written as CSV, a PNG/BMP class folder,
 * .npy / .npz and IDX files. Deterministic for a seed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as bmp from "bmp-ts";
import { encode as encodePng } from "fast-png";
import { encodeIdx, encodeNpy, encodeNpz } from "../../src/datasets/index.js";
import { Rng } from "../../src/util/random.js";

const FONT = [
  ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
  ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
  ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
  ["11111", "00010", "00100", "00010", "00001", "10001", "01110"],
  ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
  ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
  ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
  ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
  ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
  ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
];

export interface Digits8 {
  count: number;
  /** uint8 pixels, 64 per image, row-major */
  pixels: Uint8Array;
  labels: Uint8Array;
}

export function makeDigits8(perClass: number, seed: number): Digits8 {
  const rng = new Rng(seed);
  const count = perClass * 10;
  const pixels = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const d = i % 10; // interleaved classes
    labels[i] = d;
    const oy = rng.int(0, 1);
    const ox = rng.int(0, 3);
    const ink = rng.int(170, 255);
    for (let p = 0; p < 64; p++) pixels[i * 64 + p] = rng.int(0, 40);
    FONT[d]!.forEach((row, y) => {
      for (let x = 0; x < 5; x++) if (row[x] === "1" && rng.next() > 0.05) pixels[i * 64 + (y + oy) * 8 + x + ox] = ink;
    });
  }
  return { count, pixels, labels };
}

/** digits.csv: a header "label,p0..p63", one line per image. */
export function writeCsv(path: string, d: Digits8): void {
  const head = ["label", ...Array.from({ length: 64 }, (_, i) => `p${i}`)].join(",");
  const lines = Array.from({ length: d.count }, (_, i) => [d.labels[i], ...d.pixels.subarray(i * 64, i * 64 + 64)].join(","));
  writeFileSync(path, `${head}\n${lines.join("\n")}\n`);
}

/** DIR/<digit>/<i>.png (even i) or .bmp (odd i). */
export function writeImageFolder(dir: string, d: Digits8): void {
  for (let i = 0; i < d.count; i++) {
    const sub = join(dir, String(d.labels[i]));
    mkdirSync(sub, { recursive: true });
    const px = d.pixels.subarray(i * 64, i * 64 + 64);
    writeFileSync(join(sub, `${String(i).padStart(4, "0")}.${i % 2 ? "bmp" : "png"}`), i % 2 ? encodeBmp(px, 8, 8) : encodePng({ width: 8, height: 8, data: px, channels: 1, depth: 8 }));
  }
}

/** A 24-bit BMP of grey (or, with rgb, colour) pixels. */
export function encodeBmp(grey: Uint8Array, width: number, height: number, rgb?: Uint8Array): Uint8Array {
  const abgr = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = rgb ? [rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!] : [grey[p]!, grey[p]!, grey[p]!];
    abgr.set([0, b, g, r], 4 * p);
  }
  return bmp.encode({ width, height, data: abgr, bitPP: 24 } as Parameters<typeof bmp.encode>[0]).data;
}

export function writeNpyPair(dir: string, d: Digits8): [string, string] {
  const x = join(dir, "x.npy");
  const y = join(dir, "y.npy");
  writeFileSync(x, encodeNpy("u1", [d.count, 8, 8], d.pixels));
  writeFileSync(y, encodeNpy("i8", [d.count], d.labels));
  return [x, y];
}

export function writeIdxPair(dir: string, d: Digits8): [string, string] {
  const x = join(dir, "digits-images-idx3-ubyte.gz");
  const y = join(dir, "digits-labels-idx1-ubyte.gz");
  writeFileSync(x, gzipSync(encodeIdx("uint8", [d.count, 8, 8], d.pixels)));
  writeFileSync(y, gzipSync(encodeIdx("uint8", [d.count], d.labels)));
  return [x, y];
}

/** digits.npz with float32 x in [0, 1] (N, 64) and int32 y, np.savez_compressed style. */
export function writeNpzFloat(path: string, d: Digits8): void {
  writeFileSync(path, encodeNpz({ x: encodeNpy("f4", [d.count, 64], Array.from(d.pixels, (v) => v / 255)), y: encodeNpy("i4", [d.count], d.labels) }, true));
}
