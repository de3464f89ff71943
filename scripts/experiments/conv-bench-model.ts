/**
 * Writes the conv benchmark of issue 11 as a strongnet model with seeded random weights:
 * conv 28x28x1 -> 14x14x8 (3x3, stride 2, SAME) then 14x14x8 -> 14x14x16 (3x3, SAME), pad value
 * -3 (an input zero point folded into the bias, as imported models have).
 * Usage: npx tsx scripts/experiments/conv-bench-model.ts OUT.json [--per-channel]
 */
import { writeFileSync } from "node:fs";

/** --per-channel: TFLite's per-channel double-rounding requantization; default one single-rounding requant per layer */
const perChannel = process.argv.includes("--per-channel");
const out = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? "conv_bench.json";

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
const int8s = (n: number) => Buffer.from(Int8Array.from({ length: n }, () => Math.floor(rand() * 255) - 127)).toString("base64");
const ints = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo + 1)));

function conv(id: string, input: string, inC: number, filters: number, stride: number, padding: number[]) {
  return {
    id, input, kind: "conv2d", filters, kernel: [3, 3], stride: [stride, stride], padding, padValue: -3,
    weights: int8s(filters * 9 * inC),
    bias: ints(filters, -2000, 2000),
    ...(perChannel
      ? {
          requant: { multiplier: 1 << 30, shift: 40, offset: -5, rounding: "double", min: -128, max: 127 },
          perChannel: { multiplier: ints(filters, 1 << 30, 2 ** 31 - 1), shift: ints(filters, 39, 41) },
        }
      : { requant: { multiplier: 1234567, shift: 31, offset: -5, min: -128, max: 127 } }),
  };
}

const model = {
  format: "strongnet-model", version: 1, name: "conv_bench",
  description: "issue 11 conv bench: 28x28x1 -> 14x14x8 (3x3 s2) -> 14x14x16 (3x3), random weights",
  input: { shape: [28, 28, 1] },
  tables: [],
  layers: [conv("conv1", "input", 1, 8, 2, [0, 0, 1, 1]), conv("conv2", "conv1", 8, 16, 1, [1, 1, 1, 1])],
  output: "conv2",
};
writeFileSync(out, JSON.stringify(model, null, 1) + "\n");
