/**
 * The active-inputs dense kernel (c-templates/runtime/dense_active.c), which multiplies only the
 * inputs that are not -128, and its weight layout (packActiveWeights in src/kinds/dense.ts):
 * - the DSP path's arithmetic, replayed here with a model of UXTB16 / SMLABB / SMLATB (wrapping
 *   32-bit sums), gives the exact dot products at the extremes;
 * - the portable path in C (gcc and clang, sanitized) gives them too;
 * - which layers take it, and generated models that use it agree with the reference on the host.
 * The kernel runs under QEMU on every core in emulator-tests/dense-active.test.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUNTIME_DIR } from "../src/codegen/runtime.js";
import { generateC } from "../src/codegen/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph, shapeSize } from "../src/ir/index.js";
import { ACTIVE_BLOCK_UNITS, ACTIVE_MAX_INPUTS, packActiveWeights, type DenseLayer } from "../src/kinds/dense.js";
import { runTrace } from "../src/reference/interpreter.js";
import { Rng } from "../src/util/random.js";
import { dots, smlaxb, uxtb16, word } from "./helpers/armv7em.js";
import { buildHost, runHost, SANITIZE_FLAGS, STRICT_FLAGS } from "./helpers/host-c.js";
import { denseMlp, strongDenseModel } from "./helpers/tiny-models.js";

/** The list sn_active_inputs builds: entries (8 i) << 16 | (x[i] + 128) of the inputs that are not -128. */
function activeList(x: Int8Array): number[] {
  return Array.from(x.entries()).flatMap(([i, v]) => (v === -128 ? [] : [(((8 * i) << 16) | (v + 128)) >>> 0]));
}

/** sn_dense_active8's DSP path, instruction by instruction, over every block, then the template's correction and the folded bias. */
function dspDots(packed: Uint8Array, weights: Int8Array, units: number, x: Int8Array): number[] {
  const inputs = x.length;
  const list = activeList(x);
  const excess = 128 * list.reduce((s, e) => s + (e & 0xffff), 0);
  const out: number[] = [];
  for (let first = 0; first < units; first += ACTIVE_BLOCK_UNITS) {
    const block = first * inputs;
    const a = new Array<number>(ACTIVE_BLOCK_UNITS).fill(0);
    for (const entry of list) {
      const p = block + (entry >>> 16);
      for (const [at, base] of [[0, 0], [4, 4]] as const) {
        const w = word(packed, p + at);
        const even = uxtb16(w);
        const odd = uxtb16(w, true);
        // SMLABB / SMLATB multiply a lane by the entry's bottom half: the value
        a[base] = smlaxb(even, 0, entry, a[base]!);
        a[base + 2] = smlaxb(even, 1, entry, a[base + 2]!);
        a[base + 1] = smlaxb(odd, 0, entry, a[base + 1]!);
        a[base + 3] = smlaxb(odd, 1, entry, a[base + 3]!);
      }
    }
    for (let k = 0; k < ACTIVE_BLOCK_UNITS && first + k < units; k++) out.push(foldedBias(weights, first + k, inputs) + ((a[k]! - excess) | 0));
  }
  return out;
}

/** The kernel's bias term when every input is -128 (what the compiler folds into the bias, with bias 0). */
function foldedBias(weights: Int8Array, unit: number, inputs: number): number {
  let sum = 0;
  for (let i = 0; i < inputs; i++) sum += weights[unit * inputs + i]!;
  return -128 * sum;
}

const inputsOf = (rng: Rng, n: number) => [
  new Int8Array(n).fill(-128),
  new Int8Array(n).fill(127),
  Int8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -128 : 127)),
  Int8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -127 : -128)),
  Int8Array.from({ length: n }, () => (rng.int(0, 3) === 0 ? rng.int(-127, 127) : -128)),
  rng.int8Array(n),
];

/** Random weights with the extremes in the first two units: all -128 and all 127. */
function extremeWeights(rng: Rng, units: number, inputs: number): Int8Array {
  return Int8Array.from({ length: units * inputs }, (_, k) => (k < inputs ? -128 : k < 2 * inputs ? 127 : rng.int(-128, 127)));
}

describe("packActiveWeights: the DSP arithmetic gives the exact dot products", () => {
  const rng = new Rng(7);
  it.each([
    { units: 8, inputs: 1 },
    { units: 13, inputs: 64 },
    { units: 3, inputs: 300 },
    { units: 56, inputs: 1276 },
  ])("$units units x $inputs inputs", ({ units, inputs }) => {
    const weights = extremeWeights(rng, units, inputs);
    const packed = packActiveWeights(weights, units, inputs);
    expect(packed.length).toBe(Math.ceil(units / ACTIVE_BLOCK_UNITS) * ACTIVE_BLOCK_UNITS * inputs);
    for (const x of inputsOf(rng, inputs)) expect(dspDots(packed, weights, units, x)).toEqual(dots(weights, units, x));
  });
});

describe("sn_dense_active8's portable path in C (gcc and clang, UBSan + ASan)", () => {
  it("gives the exact dot products on random, sparse and extreme inputs", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-dense-active-"));
    const file = join(dir, "driver-active.c");
    writeFileSync(
      file,
      `#include <stdio.h>
#include "dense_active.c"

int main(void)
{
    static int8_t x[4096];
    static uint8_t w[8 * 4096];
    static uint32_t list[4096];
    long n, v;
    while (scanf("%ld", &n) == 1) {
        int32_t dot[8], value_sum;
        uint32_t count;
        long i;
        for (i = 0; i < n; i++) {
            if (scanf("%ld", &v) != 1) return 1;
            x[i] = (int8_t)v;
        }
        for (i = 0; i < 8 * n; i++) {
            if (scanf("%ld", &v) != 1) return 1;
            w[i] = (uint8_t)v;
        }
        count = sn_active_inputs(x, (uint32_t)n, list, &value_sum);
        sn_dense_active8(list, count, w, dot);
        for (i = 0; i < 8; i++) printf("%ld ", (long)(int32_t)((uint32_t)dot[i] - 128u * (uint32_t)value_sum));
        printf("\\n");
    }
    return 0;
}
`,
    );
    const rng = new Rng(11);
    const input: number[] = [];
    const expected: number[] = [];
    for (const inputs of [1, 7, 512, 4096]) {
      const weights = extremeWeights(rng, 8, inputs);
      for (const x of inputsOf(rng, inputs)) {
        input.push(inputs, ...x, ...packActiveWeights(weights, 8, inputs));
        expected.push(...dots(weights, 8, x).map((d, u) => d - foldedBias(weights, u, inputs)));
      }
    }
    for (const cc of ["gcc", "clang"]) {
      const exe = join(dir, `active-${cc}`);
      execFileSync(cc, [...STRICT_FLAGS, ...SANITIZE_FLAGS, "-I", RUNTIME_DIR, "-o", exe, file], { stdio: ["ignore", "pipe", "pipe"] });
      const out = execFileSync(exe, [], { input: input.join(" ") + "\n", maxBuffer: 1 << 26, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } }).toString();
      expect(out.split(/\s+/).filter((s) => s !== "").map(Number)).toEqual(expected);
    }
  });
});

describe("which dense layers take the active-inputs kernel", () => {
  it("a dense layer reading strong neurons does; one reading the input or another dense layer does not", () => {
    const graph = buildGraph(parseModel(strongDenseModel(1, 40, 24, 13, false)));
    const active = graph.layers.filter((l) => l.kind === "dense").map((l) => (l as DenseLayer).activeInputs);
    expect(active).toEqual([true, false]);
    const mlp = buildGraph(parseModel(denseMlp(1, 4, 4, 8, 3)));
    expect(mlp.layers.filter((l) => l.kind === "dense").map((l) => (l as DenseLayer).activeInputs)).toEqual([false, false]);
    const source = generateC(graph, undefined).source;
    expect(source).toContain("sn_active_inputs(x, 24u, active, &value_sum)");
    expect(source.match(/sn_dense_active8\(active, count, w, dot\)/g)).toHaveLength(1);
    expect(generateC(mlp, undefined).source).not.toContain("sn_dense_active8");
  });

  it("up to ACTIVE_MAX_INPUTS inputs (a list entry holds 8 x the input index in 16 bits); wider layers take the blocked kernel", () => {
    expect(ACTIVE_MAX_INPUTS).toBe(8192);
    const activeOf = (neurons: number) => (buildGraph(parseModel(strongDenseModel(6, 16, neurons, 8, false))).layers[1] as DenseLayer).activeInputs;
    expect(activeOf(ACTIVE_MAX_INPUTS)).toBe(true);
    expect(activeOf(ACTIVE_MAX_INPUTS + 1)).toBe(false);
    // the last input's entry: offset 8 x 8191 = 65,528 still fits the top half
    expect(activeList(Int8Array.from({ length: ACTIVE_MAX_INPUTS }, (_, i) => (i === ACTIVE_MAX_INPUTS - 1 ? 0 : -128)))).toEqual([(65528 * 65536 + 128) >>> 0]);
  });

  it("the weights array is word-aligned in the generated C (the DSP path reads it with LDRD)", () => {
    const source = generateC(buildGraph(parseModel(strongDenseModel(1, 40, 24, 13, false))), undefined).source;
    expect(source).toMatch(/static const uint8_t hidden_weights\[\d+\] SN_CONST_SECTION SN_WORD_ALIGNED = \{/);
    expect(source).toContain("#define SN_WORD_ALIGNED __attribute__((aligned(4)))");
  });
});

describe("generated models with the active-inputs kernel on the host (gcc and clang, sanitized)", () => {
  const models = [
    ["13 units, one requantization", strongDenseModel(2, 40, 24, 13, false)],
    ["16 units, per-channel", strongDenseModel(3, 64, 100, 16, true)],
    ["1 unit", strongDenseModel(4, 8, 5, 1, false)],
  ] as const;
  it.each(models.flatMap(([what, spec]) => ["gcc", "clang"].map((cc) => [what, cc, spec] as const)))("%s with %s: bit-exact on every layer", (_what, cc, spec) => {
    const graph = buildGraph(parseModel(spec));
    const rng = new Rng(5);
    const n = shapeSize(graph.inputShape);
    const vectors = [...inputsOf(rng, n), ...Array.from({ length: 20 }, () => rng.int8Array(n))];
    const got = runHost(buildHost(graph, cc, SANITIZE_FLAGS), graph, vectors);
    vectors.forEach((vector, v) => {
      const trace = runTrace(graph, vector);
      graph.layers.forEach((layer, l) => expect(Array.from(got[v]![l]!), `vector ${v}, layer ${layer.id}`).toEqual(Array.from(trace.outputs.get(layer.id)!)));
    });
  });
});
