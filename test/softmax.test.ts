/**
 * The softmax kind is TFLite's int8 softmax: the reference and the generated C reproduce the
 * TFLite interpreter's output on CMSIS-NN's golden data, softmaxParams reproduces TFLite's
 * parameters, and on seeded random and edge rows the C (gcc and clang, UBSan + ASan) agrees with
 * the reference bit for bit; the gemmlowp helpers agree one by one on their corner cases. This
 * file is also where softmax is covered instead of the random models (the robustness tools,
 * which every random model goes through, refuse softmax layers).
 */
import { runtimeText } from "../src/codegen/runtime.js";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import { ModelError } from "../src/format/errors.js";
import { parseModel } from "../src/format/load.js";
import type { ModelFileInput } from "../src/format/schema.js";
import { buildGraph, shapeSize, type Graph } from "../src/ir/index.js";
import { KINDS } from "../src/kinds/registry.js";
import {
  expOnNegativeValues,
  oneOverOnePlusX,
  roundingDivideByPOT,
  saturatingMultiplyByPOT,
  srdhm,
} from "../src/kinds/shared/fixed-point.js";
import { MAX_SOFTMAX_CHANNELS, softmaxParams, tfliteDiffMin, type SoftmaxParams } from "../src/kinds/softmax.js";
import { runTrace } from "../src/reference/interpreter.js";
import { RobustnessUsageError, flattenGraph } from "../src/robustness/flatten.js";
import { Rng } from "../src/util/random.js";
import { STRICT_FLAGS, SANITIZE_FLAGS, buildHost, runHost } from "./helpers/host-c.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "cmsis-nn-testdata", "softmax");

/** The `#define NAME value` lines and `const int8_t name[N] = {...};` arrays of a C header. */
function parseHeader(path: string): { defines: Map<string, number>; arrays: Map<string, number[]> } {
  const text = readFileSync(path, "utf8");
  const defines = new Map<string, number>();
  for (const m of text.matchAll(/^#define\s+(\w+)\s+(-?\d+)\s*$/gm)) defines.set(m[1]!, Number(m[2]));
  const arrays = new Map<string, number[]>();
  for (const m of text.matchAll(/const\s+int8_t\s+(\w+)\s*\[\s*(\d+)\s*\]\s*=\s*\{([^}]*)\}\s*;/g)) {
    const values = m[3]!.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
    if (values.length !== Number(m[2])) throw new Error(`${path}: ${m[1]} has ${values.length} values, declared ${m[2]}`);
    arrays.set(m[1]!, values);
  }
  return { defines, arrays };
}

function define(header: ReturnType<typeof parseHeader>, name: string): number {
  const v = header.defines.get(name);
  if (v === undefined) throw new Error(`no #define ${name}`);
  return v;
}

function softmaxModel(name: string, shape: [number, number, number], params: SoftmaxParams): ModelFileInput {
  return {
    format: "strongnet-model",
    version: 1,
    name,
    input: { shape },
    tables: [],
    layers: [{ id: "probs", kind: "softmax", input: "input", ...params }],
    output: "probs",
  };
}

const load = (model: ModelFileInput): Graph => buildGraph(parseModel(model));

/** Runs the host trace build of `graph` and returns the softmax layer's output per vector. */
function hostOutputs(graph: Graph, compiler: string, flags: string[], vectors: Int8Array[]): Int8Array[] {
  return runHost(buildHost(graph, compiler, flags), graph, vectors).map((layers) => layers[0]!);
}

describe("CMSIS-NN's golden softmax (output of the TFLite interpreter)", () => {
  const config = parseHeader(join(FIXTURES, "config_data.h"));
  const input = parseHeader(join(FIXTURES, "input_data.h")).arrays.get("softmax_input")!;
  const expected = parseHeader(join(FIXTURES, "output_ref_data.h")).arrays.get("softmax_output_ref")!;
  const rows = define(config, "SOFTMAX_NUM_ROWS");
  const rowSize = define(config, "SOFTMAX_ROW_SIZE");
  const params: SoftmaxParams = {
    inputMultiplier: define(config, "SOFTMAX_INPUT_MULT"),
    inputLeftShift: define(config, "SOFTMAX_INPUT_LEFT_SHIFT"),
    diffMin: define(config, "SOFTMAX_DIFF_MIN"),
  };
  const graph = load(softmaxModel("cmsis_softmax", [1, rows, rowSize], params));

  it("the fixture parses: 2 rows of 5, and as many outputs as inputs", () => {
    expect([rows, rowSize, define(config, "SOFTMAX_DST_SIZE")]).toEqual([2, 5, 10]);
    expect(input).toHaveLength(rows * rowSize);
    expect(expected).toHaveLength(rows * rowSize);
  });

  it("the reference reproduces output_ref_data exactly", () => {
    expect(Array.from(runTrace(graph, Int8Array.from(input)).output)).toEqual(expected);
  });

  it.each(["gcc", "clang"])("the generated C built with %s reproduces output_ref_data exactly", (compiler) => {
    const [got] = hostOutputs(graph, compiler, SANITIZE_FLAGS, [Int8Array.from(input)]);
    expect(Array.from(got!)).toEqual(expected);
  });
});

describe("softmaxParams (TFLite's PreprocessSoftmaxScaling and CalculateInputRadius)", () => {
  it("reproduces the golden case's parameters from beta = 1 and input scale 1/255 (as a float)", () => {
    const config = parseHeader(join(FIXTURES, "config_data.h"));
    expect(softmaxParams(1, 1 / 255)).toEqual({
      inputMultiplier: define(config, "SOFTMAX_INPUT_MULT"),
      inputLeftShift: define(config, "SOFTMAX_INPUT_LEFT_SHIFT"),
      diffMin: define(config, "SOFTMAX_DIFF_MIN"),
    });
    // the float cast matters: with the double 1/255 the multiplier would be round(2^38 / 255) = 1077952576
    expect(Math.round(2 ** 38 / 255)).toBe(1077952576);
  });

  it("diffMin is -CalculateInputRadius(5, shift, 31) in every CMSIS-NN softmax configuration", () => {
    const cases = [
      ["config_data.h", "SOFTMAX_INPUT_LEFT_SHIFT", "SOFTMAX_DIFF_MIN"],
      ["ds_cnn_s_layer_13_softmax_config_data.h", "SOFTMAX_13_SHIFT", "SOFTMAX_13_DIFF_MIN"],
      ["ds_cnn_l_layer_15_softmax_config_data.h", "SOFTMAX_15_SHIFT", "SOFTMAX_15_DIFF_MIN"],
    ] as const;
    for (const [file, shift, diffMin] of cases) {
      const h = parseHeader(join(FIXTURES, file));
      expect(tfliteDiffMin(define(h, shift)), file).toBe(define(h, diffMin));
    }
  });

  it("gives the values worked out by hand", () => {
    // scale 1/16: 2^-4 * 2^26 = 2^22 = 0.5 * 2^23, so multiplier 2^30, shift 23, radius floor(31 * 2^26 / 2^23) = 248
    expect(softmaxParams(1, 1 / 16)).toEqual({ inputMultiplier: 2 ** 30, inputLeftShift: 23, diffMin: -248 });
    // scale 0.1 is the float 13421773 / 2^27: times 2^26 is 6710886.5 = (6710886.5 / 2^23) * 2^23,
    // multiplier 6710886.5 * 2^8 = 1717986944 exactly (the double 0.1 would give 1717986918)
    expect(softmaxParams(1, 0.1)).toEqual({ inputMultiplier: 1717986944, inputLeftShift: 23, diffMin: -248 });
    // beta 2, scale 1/256: 2^-7 * 2^26 = 2^19 = 0.5 * 2^20; radius 31 * 2^6 = 1984
    expect(softmaxParams(2, 1 / 256)).toEqual({ inputMultiplier: 2 ** 30, inputLeftShift: 20, diffMin: -1984 });
    // a huge beta * scale is capped at 2^31 - 1 = (1 - 2^-31) * 2^31: shift 31, radius floor(0.96875) = 0
    expect(softmaxParams(1e6, 1)).toEqual({ inputMultiplier: 2 ** 31 - 1, inputLeftShift: 31, diffMin: 0 });
    // a fraction that rounds up to 1.0 moves to the next shift: the floats 1 - 2^-23 and 1 + 2^-23
    // multiply to 1 - 2^-46, whose fraction times 2^31 is 2^31 - 2^-15 -> 2^31 -> 2^30 at shift 27,
    // the parameters of beta * scale = 1; radius floor(31 * 2^26 / 2^27) = 15
    expect(softmaxParams(1 - 2 ** -23, 1 + 2 ** -23)).toEqual({ inputMultiplier: 2 ** 30, inputLeftShift: 27, diffMin: -15 });
    expect(softmaxParams(1, 1)).toEqual({ inputMultiplier: 2 ** 30, inputLeftShift: 27, diffMin: -15 });
  });

  it("refuses what TFLite refuses: beta * scale * 2^26 not above 1", () => {
    expect(() => softmaxParams(1, 2 ** -27)).toThrow(/must be above 1/);
  });

  it("gives parameters the model format accepts, for a spread of betas and scales", () => {
    for (const beta of [0.5, 1, 1.5, 10]) {
      for (const scale of [1 / 255, 1 / 128, 0.05, 0.5, 3]) {
        const p = softmaxParams(beta, scale);
        expect(p.diffMin).toBe(tfliteDiffMin(p.inputLeftShift));
        expect(() => load(softmaxModel("p", [1, 1, 4], p))).not.toThrow();
      }
    }
  });
});

/** Rows that stress the kernel: all -128, all 127, one 127 among -128s, ties, alternating extremes, random. */
function edgeAndRandomRows(rng: Rng, channels: number, count: number): Int8Array[] {
  const rows: Int8Array[] = [
    new Int8Array(channels).fill(-128),
    new Int8Array(channels).fill(127),
    Int8Array.from({ length: channels }, (_, i) => (i === channels - 1 ? 127 : -128)),
    Int8Array.from({ length: channels }, (_, i) => (i === 0 ? 127 : -128)),
    Int8Array.from({ length: channels }, (_, i) => (i % 2 ? 127 : -128)),
    Int8Array.from({ length: channels }, (_, i) => (i % 3 === 0 ? 5 : 4)), // ties at the max, neighbours one below
    Int8Array.from({ length: channels }, (_, i) => (i % 2 ? 0 : -1)),
  ];
  while (rows.length < count) {
    const spread = rng.pick([1, 4, 16, 255]); // small spreads make near-ties
    const base = rng.int(-128, 127 - Math.min(spread, 255));
    rows.push(Int8Array.from({ length: channels }, () => Math.min(127, base + rng.int(0, spread))));
  }
  return rows.slice(0, count);
}

/** Models of several shapes and parameters, each with its input vectors (whole tensors of rows). */
function randomCases(): { name: string; graph: Graph; vectors: Int8Array[] }[] {
  const rng = new Rng(4242);
  const configs: { shape: [number, number, number]; params: SoftmaxParams }[] = [
    { shape: [1, 1, 10], params: softmaxParams(1, 1 / 255) },
    { shape: [2, 3, 7], params: softmaxParams(1, 1 / 16) },
    { shape: [1, 4, 1], params: softmaxParams(1, 0.1) }, // one value per row: always 127
    { shape: [1, 1, 2], params: softmaxParams(1e6, 1) }, // shift 31, diffMin 0: only the max counts
    { shape: [3, 1, 33], params: softmaxParams(0.37, 0.013) },
    { shape: [1, 2, 100], params: softmaxParams(1, 0.5) },
    { shape: [1, 1, MAX_SOFTMAX_CHANNELS], params: softmaxParams(1, 1 / 255) }, // the largest sum of exps
    { shape: [1, 1, 64], params: { inputMultiplier: 1, inputLeftShift: 0, diffMin: -255 } }, // exp of tiny values: all ~1
    { shape: [1, 1, 16], params: { inputMultiplier: 2 ** 31 - 1, inputLeftShift: 23, diffMin: -256 } }, // every bit of the barrel shifter
  ];
  for (let i = 0; i < 5; i++) {
    const channels = rng.int(2, 40);
    const beta = rng.pick([1, rng.next() * 4 + 0.05]);
    const scale = 2 ** (rng.next() * 10 - 9); // 2^-9 .. 2^1
    configs.push({ shape: [rng.int(1, 3), rng.int(1, 3), channels], params: softmaxParams(beta, scale) });
  }
  return configs.map(({ shape, params }, i) => {
    const graph = load(softmaxModel(`softmax_${i}`, shape, params));
    const rowsPerVector = shape[0] * shape[1];
    const rows = edgeAndRandomRows(rng, shape[2], 12 * rowsPerVector);
    const vectors: Int8Array[] = [];
    for (let r = 0; r < rows.length; r += rowsPerVector) {
      const v = new Int8Array(shapeSize(shape));
      rows.slice(r, r + rowsPerVector).forEach((row, k) => v.set(row, k * shape[2]));
      vectors.push(v);
    }
    return { name: `${shape.join("x")} multiplier ${params.inputMultiplier} shift ${params.inputLeftShift} diffMin ${params.diffMin}`, graph, vectors };
  });
}

const CASES = randomCases();

describe.each(["gcc", "clang"])("generated softmax C on the host with %s (UBSan + ASan)", (compiler) => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: bit-exact with the reference on edge and random rows", (_name, c) => {
    const got = hostOutputs(c.graph, compiler, SANITIZE_FLAGS, c.vectors);
    c.vectors.forEach((vector, v) => expect(got[v], `vector ${v}`).toEqual(runTrace(c.graph, vector).output));
  });
});

describe("softmax outputs are probabilities in 1/256ths", () => {
  it("each row sums to about 256 and stays within 2/256 of the float softmax", () => {
    for (const c of CASES) {
      const channels = c.graph.inputShape[2];
      const layer = c.graph.layers[0]!;
      if (layer.kind !== "softmax") throw new Error("not a softmax");
      // the real beta * inputScale the parameters stand for
      const betaScale = (layer.inputMultiplier / 2 ** 31) * 2 ** layer.inputLeftShift / 2 ** 26;
      for (const vector of c.vectors) {
        const y = runTrace(c.graph, vector).output;
        for (let r = 0; r < vector.length; r += channels) {
          const row = Array.from(vector.subarray(r, r + channels));
          const out = Array.from(y.subarray(r, r + channels), (q) => q + 128);
          const max = Math.max(...row);
          const exps = row.map((x) => Math.exp((x - max) * betaScale));
          const total = exps.reduce((a, b) => a + b, 0);
          // output 256 (probability 1) is clamped to 255; every other value is off by at most a rounding
          const sum = out.reduce((a, b) => a + b, 0);
          expect(Math.abs(sum - 256), `${c.name}: row ${row.join(",")}`).toBeLessThanOrEqual(channels / 2 + 1);
          out.forEach((q, i) => expect(Math.abs(q - Math.min(255, (256 * exps[i]!) / total)), `${c.name}: value ${i}`).toBeLessThanOrEqual(2));
        }
      }
    }
  });
});

describe("the gemmlowp helpers, C against TypeScript, on their corner cases", () => {
  it.each(["gcc", "clang"])("%s: sn_fp_* agree with src/kinds/shared/fixed-point.ts", (compiler) => {
    const INT32_MIN = -(2 ** 31);
    const INT32_MAX = 2 ** 31 - 1;
    const rng = new Rng(99);
    const int32 = () => rng.int(INT32_MIN, INT32_MAX);
    const corners = [INT32_MIN, INT32_MIN + 1, -(2 ** 30), -1, 0, 1, 2 ** 30, INT32_MAX - 1, INT32_MAX];
    // op 0: mul(a, b); 1: rounding_divide(a, b in 0..31); 2: saturating_shift_left(a, b in 1..30);
    // 3: exp_on_negative(a <= 0); 4: one_over_one_plus_x(a in [0, 2^31))
    const calls: [number, number, number][] = [];
    for (const a of corners) for (const b of corners) calls.push([0, a, b]);
    for (const a of corners) for (let e = 0; e <= 31; e++) calls.push([1, a, e]);
    for (const a of corners) for (const e of [1, 2, 5, 30]) calls.push([2, a, e]);
    for (const a of [INT32_MIN, -(2 ** 26), -(2 ** 24), -(2 ** 24) - 1, -1, 0]) calls.push([3, a, 0]);
    for (const a of [0, 1, 2 ** 30, INT32_MAX]) calls.push([4, a, 0]);
    for (let i = 0; i < 4000; i++) {
      calls.push([0, int32(), int32()]);
      calls.push([1, int32(), rng.int(0, 31)]);
      calls.push([2, int32() >> rng.int(0, 31), rng.int(1, 30)]);
      calls.push([3, -rng.int(0, 2 ** 31), 0]);
      calls.push([4, rng.int(0, INT32_MAX), 0]);
    }
    const ts = (op: number, a: number, b: number): number =>
      [srdhm, roundingDivideByPOT, saturatingMultiplyByPOT, expOnNegativeValues, oneOverOnePlusX][op]!(a, b);

    const dir = mkdtempSync(join(tmpdir(), "strongnet-fp-"));
    const helpers = runtimeText("fixed_point.c");
    writeFileSync(
      join(dir, "driver.c"),
      `#include <stdint.h>\n#include <stdio.h>\n${helpers}\n` +
        `int main(void)\n{\n    int32_t call[3];\n    while (fread(call, sizeof call, 1, stdin) == 1) {\n` +
        `        int32_t r = 0;\n        switch (call[0]) {\n` +
        `        case 0: r = sn_fp_mul(call[1], call[2]); break;\n        case 1: r = sn_fp_rounding_divide(call[1], call[2]); break;\n` +
        `        case 2: r = sn_fp_saturating_shift_left(call[1], call[2]); break;\n        case 3: r = sn_fp_exp_on_negative(call[1]); break;\n` +
        `        default: r = sn_fp_one_over_one_plus_x(call[1]); break;\n        }\n        fwrite(&r, sizeof r, 1, stdout);\n    }\n    return 0;\n}\n`,
    );
    const exe = join(dir, "driver");
    execFileSync(compiler, [...STRICT_FLAGS, ...SANITIZE_FLAGS, "-o", exe, join(dir, "driver.c")], { stdio: ["ignore", "pipe", "pipe"] });
    const out = execFileSync(exe, [], { input: Buffer.from(Int32Array.from(calls.flat()).buffer), env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } });
    const got = new Int32Array(out.buffer, out.byteOffset, out.length / 4);
    expect(got.length).toBe(calls.length);
    calls.forEach(([op, a, b], i) => {
      if (got[i] !== ts(op, a, b)) expect(`op ${op}(${a}, ${b}) = ${got[i]}`).toBe(`op ${op}(${a}, ${b}) = ${ts(op, a, b)}`);
    });
  });
});

describe("strict compilers", () => {
  // The model frame itself (not the softmax code) trips two -Weverything warnings: the arena
  // union's padding and the SN_LOOKUP macro a model without tables does not use.
  const FRAME_EXCLUSIONS = ["-Wno-padded", "-Wno-unused-macros"];
  const twoSoftmaxes: ModelFileInput = {
    ...softmaxModel("two_softmax", [2, 2, 6], softmaxParams(1, 1 / 255)),
    layers: [
      { id: "a", kind: "softmax", input: "input", ...softmaxParams(1, 1 / 255) },
      { id: "b", kind: "softmax", input: "a", ...softmaxParams(4, 1 / 256) },
    ],
    output: "b",
  };

  it.each([
    ["clang -Weverything, host", ["-Weverything", ...FRAME_EXCLUSIONS]],
    ["clang -Weverything, Cortex-M0+", ["-Weverything", ...FRAME_EXCLUSIONS, "--target=thumbv6m-none-eabi", "-mcpu=cortex-m0plus"]],
  ])("%s: a model with two softmax layers compiles warning-free (helpers emitted once)", (_name, flags) => {
    const { source, header } = generateC(load(twoSoftmaxes));
    expect(source.match(/static int32_t sn_fp_mul\(/g)).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), "strongnet-softmax-"));
    writeFileSync(join(dir, "two_softmax.c"), source);
    writeFileSync(join(dir, "two_softmax.h"), header);
    execFileSync("clang", [...STRICT_FLAGS, ...flags, "-c", "-o", join(dir, "two_softmax.o"), join(dir, "two_softmax.c")], { stdio: ["ignore", "pipe", "pipe"] });
  });

  it("a model without softmax gets no fixed-point helpers", () => {
    const plain = load({ ...softmaxModel("plain", [1, 1, 4], softmaxParams(1, 1)), layers: [{ id: "c", kind: "clamp", input: "input", min: 0 }], output: "c" });
    expect(generateC(plain).source).not.toContain("sn_fp_");
  });
});

describe("softmax as a kind", () => {
  it("keeps the shape and is refused by the robustness tools", () => {
    const graph = load(softmaxModel("s", [2, 3, 4], softmaxParams(1, 1 / 255)));
    expect(graph.layers[0]).toMatchObject({ kind: "softmax", inputShape: [2, 3, 4], outputShape: [2, 3, 4] });
    expect(() => flattenGraph(graph)).toThrow(RobustnessUsageError);
    expect(() => flattenGraph(graph)).toThrow(/robustness tools do not support softmax layers yet/);
  });

  it("counts its operations: max compares, fixed-point multiplies, one requantization per output, no lookups", () => {
    const graph = load(softmaxModel("s", [1, 2, 10], softmaxParams(1, 1 / 255)));
    expect(KINDS.softmax.ops(graph.layers[0] as never)).toEqual({ lookups: 0, minmax: 0, macs: 2 * (27 * 10 + 7), requants: 20, compares: 2 * (9 + 20) });
  });

  it("refuses rows longer than TFLite's kernel allows and differences that overflow when shifted", () => {
    const refused = (shape: [number, number, number], params: SoftmaxParams) => {
      try {
        load(softmaxModel("s", shape, params));
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const long = refused([1, 1, MAX_SOFTMAX_CHANNELS + 1], softmaxParams(1, 1 / 255));
    expect(long).toBeInstanceOf(ModelError);
    expect((long as ModelError).field).toBe("layers[0].input");
    expect((long as ModelError).reason).toMatch(/at most 511/);
    expect(refused([1, 1, MAX_SOFTMAX_CHANNELS], softmaxParams(1, 1 / 255))).toBeUndefined();

    const overflow = refused([1, 1, 4], { inputMultiplier: 2 ** 30, inputLeftShift: 24, diffMin: -255 });
    expect(overflow).toBeInstanceOf(ModelError);
    expect((overflow as ModelError).field).toBe("layers[0].diffMin");
    expect((overflow as ModelError).reason).toMatch(/overflows int32; TFLite's diffMin for this shift is -124/);
    // -128 * 2^24 is exactly -2^31: still an int32
    expect(refused([1, 1, 4], { inputMultiplier: 2 ** 30, inputLeftShift: 24, diffMin: -128 })).toBeUndefined();

    for (const bad of [{ inputMultiplier: 0 }, { inputLeftShift: 32 }, { diffMin: 1 }]) {
      expect(refused([1, 1, 4], { ...softmaxParams(1, 1 / 255), ...bad })).toBeInstanceOf(ModelError);
    }
  });
});
