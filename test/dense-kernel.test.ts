/**
 * The blocked dense kernel (c-templates/runtime/dense_block.c) and its weight layouts
 * (packDenseWeights in src/kinds/dense.ts):
 * - the DSP layout's arithmetic, replayed here with a model of SXTB16 / UXTB16 / SMLAD (wrapping
 *   32-bit sums), gives the exact dot products at the extremes of the bound the compiler checks;
 * - the portable kernel in C (gcc and clang, sanitized) gives them too;
 * - which layers take the blocked kernel.
 * The DSP kernel itself runs under QEMU in emulator-tests/dense-kernel.test.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUNTIME_DIR } from "../src/codegen/runtime.js";
import { buildGraph, encodeInt8 } from "../src/ir/index.js";
import { parseModel } from "../src/format/load.js";
import { BLOCK_UNITS, packDenseWeights, packsIntoBlocks, type DenseLayer } from "../src/kinds/dense.js";
import { Rng } from "../src/util/random.js";
import { dots, smlad, sxtb16, uxtb16, word } from "./helpers/armv7em.js";
import { SANITIZE_FLAGS, STRICT_FLAGS } from "./helpers/host-c.js";
import { tinyModel } from "./helpers/tiny-models.js";

/** sn_dense_block4's DSP path, instruction by instruction, over every block. */
function dspDots(dsp: Uint8Array, units: number, x: Int8Array): number[] {
  const xSum = x.reduce((s, v) => s + v, 0);
  const out: number[] = [];
  for (let first = 0, w = 0; first < units; first += BLOCK_UNITS) {
    const sums = [0, 0, 0, 0]; // a0, ab0, a1, ab1
    for (let i = 0; i < x.length; i += 4, w += 16) {
      const input = word(x, i);
      for (const [lanes, at] of [[sxtb16(input), 0], [sxtb16(input, true), 4]] as const) {
        for (const pair of [0, 1]) {
          const packed = word(dsp, w + at + 8 * pair);
          sums[2 * pair] = smlad(uxtb16(packed), lanes, sums[2 * pair]!);
          sums[2 * pair + 1] = smlad(packed, lanes, sums[2 * pair + 1]!);
        }
      }
    }
    for (const pair of [0, 1]) {
      out.push((sums[2 * pair]! - 128 * xSum) | 0, ((sums[2 * pair + 1]! - sums[2 * pair]!) | 0) / 256);
    }
  }
  return out.slice(0, units);
}

/** The portable layout read as the portable kernel does. */
function portableDots(portable: Uint8Array, units: number, x: Int8Array): number[] {
  const xSum = x.reduce((s, v) => s + v, 0);
  const out: number[] = [];
  for (let first = 0, w = 0; first < units; first += BLOCK_UNITS) {
    const acc = [0, 0, 0, 0];
    for (const v of x) for (let k = 0; k < BLOCK_UNITS; k++) acc[k] = (acc[k]! + portable[w++]! * v) | 0;
    out.push(...acc.map((a) => (a - 128 * xSum) | 0));
  }
  return out.slice(0, units);
}

/** Random weights of `units` x `inputs`, except the B units (odd), negative with sum |w| = `bSum`. */
function extremeWeights(rng: Rng, units: number, inputs: number, bSum: number): Int8Array {
  const w = rng.int8Array(units * inputs);
  for (let u = 1; u < units; u += 2) {
    let left = bSum;
    for (let i = 0; i < inputs; i++) {
      const magnitude = Math.min(128, left);
      w[u * inputs + i] = -magnitude;
      left -= magnitude;
    }
    if (left > 0) throw new Error(`sum |w| = ${bSum} does not fit in ${inputs} inputs`);
  }
  return w;
}

const inputsOf = (rng: Rng, n: number) => [
  new Int8Array(n).fill(-128),
  new Int8Array(n).fill(127),
  Int8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -128 : 127)),
  Int8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 127 : -128)),
  rng.int8Array(n),
];

describe("packDenseWeights: both layouts give the exact dot products", () => {
  const rng = new Rng(5);
  const cases = [
    { units: 4, inputs: 4, bSum: 0 },
    { units: 10, inputs: 64, bSum: 4000 },
    { units: 7, inputs: 512, bSum: 65535 }, // the largest sum |B| the compiler accepts
    { units: 1, inputs: 8, bSum: 0 },
    { units: 13, inputs: 784, bSum: 30000 },
  ];
  it.each(cases)("$units units x $inputs inputs, sum |B| = $bSum", ({ units, inputs, bSum }) => {
    const weights = extremeWeights(rng, units, inputs, bSum);
    const { portable, dsp } = packDenseWeights(weights, units, inputs);
    expect(portable.length).toBe(Math.ceil(units / BLOCK_UNITS) * BLOCK_UNITS * inputs);
    expect(dsp.length).toBe(portable.length);
    for (const x of inputsOf(rng, inputs)) {
      const expected = dots(weights, units, x);
      expect(dspDots(dsp, units, x)).toEqual(expected);
      expect(portableDots(portable, units, x)).toEqual(expected);
    }
  });

  it("the DSP arithmetic is wrong one step past the bound (so the bound is the real one)", () => {
    // sum |B| = 65536 with every input at -128: 256 * sum B x = 2^31, which wraps
    const inputs = 512;
    const weights = new Int8Array(2 * inputs);
    weights.fill(-128, inputs);
    const x = new Int8Array(inputs).fill(-128);
    const { dsp } = packDenseWeights(weights, 2, inputs);
    expect(dots(weights, 2, x)[1]).toBe(2 ** 23);
    expect(dspDots(dsp, 2, x)[1]).not.toBe(2 ** 23);
  });
});

describe("packsIntoBlocks: which dense layers take the blocked kernel", () => {
  const layer = (units: number, inputs: number, weights: Int8Array) =>
    buildGraph(
      parseModel(
        tinyModel(inputs, [], [{ id: "fc", kind: "dense", input: "input", units, weights: encodeInt8(weights), bias: new Array(units).fill(0), requant: { multiplier: 1, shift: 8, offset: 0 } }]),
      ),
    ).layers[0] as DenseLayer;

  it("inputs in whole words and 128 * sum |B| < 2^23 for every second unit", () => {
    const at = (bSum: number) => layer(2, 512, extremeWeights(new Rng(1), 2, 512, bSum));
    expect(packsIntoBlocks(at(65535))).toBe(true);
    expect(packsIntoBlocks(at(65536))).toBe(false);
    expect(packsIntoBlocks(layer(3, 6, new Int8Array(18).fill(1)))).toBe(false);
    expect(packsIntoBlocks(layer(3, 8, new Int8Array(24).fill(-128)))).toBe(true);
  });
});

describe("sn_dense_block4's portable path in C (gcc and clang, UBSan + ASan)", () => {
  it("gives the exact dot products on random and extreme blocks", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-dense-block-"));
    const file = join(dir, "driver-dense.c");
    writeFileSync(
      file,
      `#include <stdio.h>
#include "dense_block.c"

int main(void)
{
    static int8_t x[4096];
    static uint8_t w[4 * 4096];
    long words, v;
    while (scanf("%ld", &words) == 1) {
        int32_t dot[4];
        long i;
        for (i = 0; i < 4 * words; i++) {
            if (scanf("%ld", &v) != 1) return 1;
            x[i] = (int8_t)v;
        }
        for (i = 0; i < 16 * words; i++) {
            if (scanf("%ld", &v) != 1) return 1;
            w[i] = (uint8_t)v;
        }
        sn_dense_block4(x, w, (uint32_t)words, sn_sum_int8(x, (uint32_t)(4 * words)), dot);
        printf("%ld %ld %ld %ld\\n", (long)dot[0], (long)dot[1], (long)dot[2], (long)dot[3]);
    }
    return 0;
}
`,
    );
    const rng = new Rng(9);
    const input: number[] = [];
    const expected: number[] = [];
    for (const inputs of [4, 8, 512, 4096]) {
      const weights = extremeWeights(rng, 4, inputs, Math.min(65535, inputs * 100));
      const { portable } = packDenseWeights(weights, 4, inputs);
      for (const x of inputsOf(rng, inputs)) {
        input.push(inputs / 4, ...x, ...portable);
        expected.push(...dots(weights, 4, x));
      }
    }
    // the worst case for the wrapping sums: 4096 inputs, every weight -128, every input -128
    const worst = new Int8Array(4 * 4096).fill(-128);
    const x = new Int8Array(4096).fill(-128);
    input.push(1024, ...x, ...packDenseWeights(worst, 4, 4096).portable);
    expected.push(...dots(worst, 4, x));
    for (const cc of ["gcc", "clang"]) {
      const exe = join(dir, `dense-${cc}`);
      execFileSync(cc, [...STRICT_FLAGS, ...SANITIZE_FLAGS, "-I", RUNTIME_DIR, "-o", exe, file], { stdio: ["ignore", "pipe", "pipe"] });
      const out = execFileSync(exe, [], { input: input.join(" ") + "\n", maxBuffer: 1 << 26, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } }).toString();
      expect(out.split(/\s+/).filter((s) => s !== "").map(Number)).toEqual(expected);
    }
  });
});
