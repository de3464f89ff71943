/**
 * The C runtime (c-templates/runtime/) on its own: every file compiles alone, and small C drivers
 * that #include a runtime file agree with the TypeScript twins over grids of inputs with the
 * extremes (INT32_MIN/MAX accumulators, every shift 0..62, every offset, every border of a padded
 * read, tables at -128/127, early-stopping groups). Built with gcc and clang under the strict
 * flags plus UBSan + ASan, and with clang -Weverything.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatCodes } from "../src/codegen/comments.js";
import { generateC } from "../src/codegen/index.js";
import { RUNTIME_DIR, RUNTIME_PIECES, runtimeText } from "../src/codegen/runtime.js";
import { parseModel } from "../src/format/load.js";
import type { ModelFileInput } from "../src/format/schema.js";
import { buildGraph, encodeInt8 } from "../src/ir/build.js";
import { runLayer } from "../src/reference/interpreter.js";
import { multiplyDoubleRounding, requantize } from "../src/reference/requant.js";
import { Rng } from "../src/util/random.js";
import { SANITIZE_FLAGS, STRICT_FLAGS } from "./helpers/host-c.js";

const COMPILERS = ["gcc", "clang"];
const EVERYTHING = ["-std=c99", "-Weverything", "-Werror"];

/** Builds a driver (C text, #including runtime files from RUNTIME_DIR) with each compiler. */
function buildDriver(name: string, source: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), `strongnet-runtime-${name}-`));
  const file = join(dir, `driver-${name}.c`); // not the runtime file's own name: "x.c" finds the driver first
  writeFileSync(file, source);
  const exes = COMPILERS.map((cc) => {
    const exe = join(dir, `${name}-${cc}`);
    execFileSync(cc, [...STRICT_FLAGS, ...SANITIZE_FLAGS, "-I", RUNTIME_DIR, "-o", exe, file], { stdio: ["ignore", "pipe", "pipe"] });
    return exe;
  });
  // warning-free under -Weverything too: drivers use every helper they include
  execFileSync("clang", [...EVERYTHING, "-I", RUNTIME_DIR, "-c", "-o", join(dir, `${name}.o`), file], { stdio: ["ignore", "pipe", "pipe"] });
  return exes;
}

/** Runs a driver on whitespace-separated integers, returns the integers it prints. */
function run(exe: string, input: number[]): number[] {
  const out = execFileSync(exe, [], {
    input: input.join(" ") + "\n",
    maxBuffer: 1 << 28,
    env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" },
  }).toString();
  return out.split(/\s+/).filter((s) => s !== "").map(Number);
}

describe("runtime files", () => {
  const files = readdirSync(RUNTIME_DIR).sort();

  it("are the pieces the generator knows, and each is pasted without #include <stdint.h> or the runtime files it includes", () => {
    expect(files).toEqual(RUNTIME_PIECES.map((p) => p.file).sort());
    for (const p of RUNTIME_PIECES) {
      expect(runtimeText(p.file)).not.toMatch(/#include (<stdint.h>|")/);
      expect(runtimeText(p.file)).toMatch(new RegExp(`(#define|static (inline |SN_NOINLINE )?\\w+) ${p.name}\\b`));
    }
  });

  it.each(COMPILERS)("compile on their own with %s (-std=c99 -Wall -Wextra -pedantic -Werror)", (cc) => {
    for (const file of files) {
      // alone, a static helper is unused and a macro unexpanded: the only warnings allowed here
      execFileSync(cc, [...STRICT_FLAGS, "-Wno-unused-function", "-x", "c", "-c", "-o", "/dev/null", join(RUNTIME_DIR, file)], { stdio: ["ignore", "pipe", "pipe"] });
    }
  });

  it("compile on their own with arm-none-eabi-gcc for a Cortex-M55 (their Helium / MVE code) under the strict flags", () => {
    for (const file of files) {
      const flags = ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard", ...STRICT_FLAGS, "-Wno-unused-function"];
      execFileSync("arm-none-eabi-gcc", [...flags, "-x", "c", "-c", "-o", "/dev/null", join(RUNTIME_DIR, file)], { stdio: ["ignore", "pipe", "pipe"] });
    }
  });

  it("compile on their own with clang -Weverything", () => {
    for (const file of files) {
      execFileSync("clang", [...EVERYTHING, "-Wno-unused-function", "-Wno-unused-macros", "-x", "c", "-c", "-o", "/dev/null", join(RUNTIME_DIR, file)], { stdio: ["ignore", "pipe", "pipe"] });
    }
  });
});

describe("sn_requantize (runtime/requantize.c) agrees with requantize (src/reference/requant.ts)", () => {
  const exes = buildDriver(
    "requantize",
    `#include <stdio.h>
#include "requantize.c"

int main(void)
{
    long acc, multiplier, shift, offset;
    while (scanf("%ld %ld %ld %ld", &acc, &multiplier, &shift, &offset) == 4) {
        printf("%d\\n", (int)sn_requantize((int32_t)acc, (int32_t)multiplier, (int32_t)shift, (int32_t)offset));
    }
    return 0;
}
`,
  );

  const INT32_MIN = -(2 ** 31);
  const INT32_MAX = 2 ** 31 - 1;
  const accs = [INT32_MIN, INT32_MIN + 1, -(2 ** 30), -123456789, -65536, -1000, -129, -128, -127, -3, -2, -1, 0, 1, 2, 3, 127, 128, 1000, 65535, 123456789, 2 ** 30, INT32_MAX - 1, INT32_MAX];
  const multipliers = [1, 2, 3, 255, 1000, 2 ** 16 + 1, 2 ** 20, 2 ** 30, 1884221293, INT32_MAX];
  const shifts = Array.from({ length: 63 }, (_, s) => s);
  const offsets = [-128, -127, -1, 0, 1, 127];

  function check(cases: [number, number, number, number][]) {
    const flat = cases.flat();
    const expected = cases.map(([acc, multiplier, shift, offset]) => requantize(acc, { multiplier, shift, offset }));
    for (const exe of exes) {
      const got = run(exe, flat);
      expect(got.length).toBe(cases.length);
      const bad = cases.findIndex((_, i) => got[i] !== expected[i]);
      expect(bad < 0 ? "all agree" : `case ${cases[bad]!.join(", ")}: C ${got[bad]}, TS ${expected[bad]}`).toBe("all agree");
    }
  }

  it("on every extreme accumulator x multiplier x shift 0..62 x edge offsets", () => {
    const cases: [number, number, number, number][] = [];
    for (const acc of accs) for (const m of multipliers) for (const s of shifts) for (const o of offsets) cases.push([acc, m, s, o]);
    check(cases);
  });

  it("on every offset -128..127, around the rounding points and at random", () => {
    const rng = new Rng(42);
    const cases: [number, number, number, number][] = [];
    for (let o = -128; o <= 127; o++) {
      for (const acc of [INT32_MIN, -300, -1, 0, 1, 300, INT32_MAX]) cases.push([acc, 1, 0, o], [acc, 3, 1, o], [acc, INT32_MAX, 62, o]);
    }
    // acc * m + 2^(s-1) lands exactly on a multiple of 2^s: the halves, both signs
    for (let s = 1; s <= 20; s++) for (let k = -40; k <= 40; k++) for (const d of [-1, 0, 1]) cases.push([k * 2 ** (s - 1) + d, 1, s, 0]);
    for (let i = 0; i < 20000; i++) {
      cases.push([rng.int(INT32_MIN, INT32_MAX), rng.int(1, INT32_MAX), rng.int(0, 62), rng.int(-128, 127)]);
    }
    check(cases);
  });
});

describe("sn_requantize_double, sn_requantize_double_right and sn_rescale_double (runtime/requantize_double*.c) agree with TFLite's rounding in src/reference/requant.ts", () => {
  const exes = buildDriver(
    "requantize_double",
    `#include <stdio.h>
#include "requantize_double.c"

int main(void)
{
    long acc, multiplier, shift, offset;
    while (scanf("%ld %ld %ld %ld", &acc, &multiplier, &shift, &offset) == 4) {
        /* the right-shift-only form where it applies, else the general one again */
        const int right = shift >= 33
            ? (int)sn_requantize_double_right((int32_t)acc, (int32_t)multiplier, (int32_t)shift, (int32_t)offset)
            : (int)sn_requantize_double((int32_t)acc, (int32_t)multiplier, (int32_t)shift, (int32_t)offset);
        printf("%d %ld %d\\n", (int)sn_requantize_double((int32_t)acc, (int32_t)multiplier, (int32_t)shift, (int32_t)offset),
               (long)sn_rescale_double((int32_t)acc, (int32_t)multiplier, (int32_t)shift), right);
    }
    return 0;
}
`,
  );
  const INT32_MIN = -(2 ** 31);
  const INT32_MAX = 2 ** 31 - 1;

  it("on TFLite's multipliers (Q31, 2^30..2^31-1), right shifts 31..62, left shifts that fit, halves and random; any multiplier and shift 0..62 at the extremes", () => {
    const rng = new Rng(7);
    const cases: [number, number, number, number][] = [];
    const multipliers = [2 ** 30, 1073741825, 1518500250, 1884221293, INT32_MAX];
    // right shifts (scale < 1), the common case: every accumulator extreme
    for (const acc of [INT32_MIN, INT32_MIN + 1, -(2 ** 30), -65537, -1000, -3, -2, -1, 0, 1, 2, 3, 1000, 65537, 2 ** 30, INT32_MAX])
      for (const m of multipliers) for (let s = 31; s <= 62; s++) cases.push([acc, m, s, rng.int(-128, 127)]);
    // left shifts: acc * 2^(31 - shift) must fit int32 (the loader checks it)
    for (let s = 20; s < 31; s++) for (let i = 0; i < 200; i++) {
      const bound = Math.floor(INT32_MAX / 2 ** (31 - s));
      cases.push([rng.int(-bound, bound), rng.pick(multipliers), s, rng.int(-128, 127)]);
    }
    // halves of the final rounding divide, both signs: (k + 1/2) * 2^right with multiplier 2^30 (x / 2 exactly)
    for (let right = 1; right <= 12; right++) for (let k = -20; k <= 20; k++) cases.push([(2 * k + 1) * 2 ** right, 2 ** 30, 31 + right, 0]);
    for (let i = 0; i < 20000; i++) cases.push([rng.int(INT32_MIN, INT32_MAX), rng.int(2 ** 30, INT32_MAX), rng.int(31, 62), rng.int(-128, 127)]);
    // the format allows any multiplier 1..2^31-1 and shift 0..62: every shift with the extreme
    // accumulators that fit its left shift (-2^(31-left) .. 2^(31-left) - 1), small multipliers too
    const anyMultipliers = [1, 2, 3, 255, 65537, 2 ** 29 + 1, ...multipliers];
    for (let s = 0; s <= 62; s++) {
      const left = Math.max(0, 31 - s);
      const hi = 2 ** (31 - left) - 1, lo = -(2 ** (31 - left));
      const accs = [lo, lo + 1, Math.trunc(lo / 2), -3, -2, -1, 0, 1, 2, 3, Math.trunc(hi / 2), hi - 1, hi].filter((a) => a >= lo && a <= hi);
      for (const acc of accs) for (const m of anyMultipliers) for (const o of [-128, -1, 0, 127]) cases.push([acc, m, s, o]);
    }
    // halves of the high multiply, both signs: acc * m = (2k + 1) * 2^30 with m = 2^30
    for (let k = -20; k <= 20; k++) cases.push([2 * k + 1, 2 ** 30, 31, 0], [2 * k + 1, 2 ** 30, 32, 0]);
    const expected = cases.flatMap(([acc, multiplier, shift, offset]) => {
      const y = requantize(acc, { multiplier, shift, offset, rounding: "double" });
      return [y, multiplyDoubleRounding(acc, multiplier, shift), y];
    });
    for (const exe of exes) {
      const got = run(exe, cases.flat());
      expect(got.length).toBe(expected.length);
      const bad = expected.findIndex((e, i) => got[i] !== e);
      expect(bad < 0 ? "all agree" : `case ${cases[Math.floor(bad / 3)]!.join(", ")}: C ${got[bad]}, TS ${expected[bad]}`).toBe("all agree");
    }
  });
});

describe("sn_read_padded (runtime/read_padded.c) agrees with the interpreter's padded read", () => {
  const exes = buildDriver(
    "read_padded",
    `#include <stdio.h>
#include "read_padded.c"

static int8_t x[4096];

/* Per case: h w c pad margin, then h*w*c values; prints the read at every (iy, ix, channel) for
 * iy in [-margin, h + margin), ix in [-margin, w + margin). */
int main(void)
{
    int h, w, c, pad, margin;
    while (scanf("%d %d %d %d %d", &h, &w, &c, &pad, &margin) == 5) {
        int i, iy, ix, ch;
        for (i = 0; i < h * w * c; i++) {
            int v;
            if (scanf("%d", &v) != 1) {
                return 1;
            }
            x[i] = (int8_t)v;
        }
        for (iy = -margin; iy < h + margin; iy++) {
            for (ix = -margin; ix < w + margin; ix++) {
                for (ch = 0; ch < c; ch++) {
                    printf("%d\\n", (int)sn_read_padded(x, h, w, c, iy, ix, ch, (int8_t)pad));
                }
            }
        }
    }
    return 0;
}
`,
  );

  /**
   * The interpreter's padded read, observed through a strong_conv layer: one template per
   * (dy, dx, channel) of a (margin+1)-square kernel with `margin` padding on every side, each a
   * single literal through the identity table, so output (oy, ox, template) is the padded read
   * at (oy - margin + dy, ox - margin + dx, channel).
   */
  function interpreterReads(h: number, w: number, c: number, pad: number, margin: number, values: Int8Array): Map<string, number> {
    const k = margin + 1;
    const templates: { dy: number; dx: number; c: number }[] = [];
    for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) for (let ch = 0; ch < c; ch++) templates.push({ dy, dx, c: ch });
    const model: ModelFileInput = {
      format: "strongnet-model",
      version: 1,
      name: "padded",
      input: { shape: [h, w, c] },
      tables: [encodeInt8(Array.from({ length: 256 }, (_, i) => i - 128))],
      layers: [
        {
          id: "reads", kind: "strong_conv", input: "input", kernel: [k, k], stride: [1, 1], padding: [margin, margin, margin, margin], padValue: pad,
          templates: templates.map((t) => ({ groups: [[{ ...t, table: 0 }]] })),
        },
      ],
      output: "reads",
    };
    const graph = buildGraph(parseModel(model));
    const out = runLayer(graph, graph.layers[0]!, values);
    const [oh, ow, oc] = graph.layers[0]!.outputShape;
    const reads = new Map<string, number>();
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        templates.forEach((t, i) => {
          const key = `${oy - margin + t.dy},${ox - margin + t.dx},${t.c}`;
          const v = out[(oy * ow + ox) * oc + i]!;
          if (reads.has(key)) expect(reads.get(key)).toBe(v);
          reads.set(key, v);
        });
      }
    }
    return reads;
  }

  it("at every position of the image and of a 2-pixel border, for several shapes and pad values", () => {
    const rng = new Rng(9);
    const shapes: [number, number, number][] = [[1, 1, 1], [1, 5, 2], [4, 1, 3], [3, 4, 2], [6, 5, 1]];
    const input: number[] = [];
    const expected: number[] = [];
    const margin = 2;
    for (const [h, w, c] of shapes) {
      for (const pad of [-128, -1, 0, 127, rng.int(-128, 127)]) {
        const values = rng.int8Array(h * w * c);
        values[0] = -128;
        values[values.length - 1] = 127;
        input.push(h, w, c, pad, margin, ...values);
        const reads = interpreterReads(h, w, c, pad, margin, values);
        for (let iy = -margin; iy < h + margin; iy++) {
          for (let ix = -margin; ix < w + margin; ix++) {
            for (let ch = 0; ch < c; ch++) expected.push(reads.get(`${iy},${ix},${ch}`)!);
          }
        }
      }
    }
    expect(expected.every((v) => v !== undefined)).toBe(true);
    for (const exe of exes) expect(run(exe, input)).toEqual(expected);
  });
});

describe("SN_STRONG_GROUPS (runtime/strong_groups.h) agrees with a plain max-of-min", () => {
  /** Variants: the element types of literal counts and codes, and the lookup. */
  const VARIANTS = [
    { group: "uint8_t", code: "uint8_t", lookup: "SN_LOOKUP_INPUT" },
    { group: "uint16_t", code: "uint16_t", lookup: "SN_LOOKUP_INPUT" },
    { group: "uint8_t", code: "uint32_t", lookup: "SN_LOOKUP_CODE" },
    { group: "uint32_t", code: "uint32_t", lookup: "SN_LOOKUP_CODE" },
  ];
  const exes = buildDriver(
    "strong_groups",
    `#include <stdio.h>
#include "strong_groups.h"
#include "lookup_input.h"
#include "lookup_code.h"

static int8_t sn_tables[8 * 256];
static int8_t x[4096];
static long neurons[4096], groups[4096], codes[4096];
static int8_t y[4096];

${VARIANTS.map(
  (v, i) => `/* ${v.group} literal counts, ${v.code} codes, ${v.lookup} */
static void variant_${i}(uint32_t count, uint32_t group_total, uint32_t literal_total, const int8_t *table)
{
    static uint8_t neuron_groups[4096];
    static ${v.group} literal_counts[4096];
    static ${v.code} literal_codes[4096];
    const ${v.group} *group = literal_counts;
    const ${v.code} *literal = literal_codes;
    uint32_t i;
    for (i = 0; i < count; i++) {
        neuron_groups[i] = (uint8_t)neurons[i];
    }
    for (i = 0; i < group_total; i++) {
        literal_counts[i] = (${v.group})groups[i];
    }
    for (i = 0; i < literal_total; i++) {
        literal_codes[i] = (${v.code})codes[i];
    }
    SN_STRONG_GROUPS(${v.group}, ${v.code}, count, neuron_groups, group, literal, x, table, ${v.lookup}, y);
    /* the caller's pointers end past every group and literal */
    printf("%ld %ld\\n", (long)(group - literal_counts), (long)(literal - literal_codes));
}
`,
).join("\n")}
static int read_longs(long *to, long n)
{
    long i;
    for (i = 0; i < n; i++) {
        if (scanf("%ld", &to[i]) != 1) {
            return 0;
        }
    }
    return 1;
}

/* Per case: variant table_offset count groups literals inputs tables, then the neurons' group
 * counts, the groups' literal counts, the codes, the inputs and tables * 256 table values. */
int main(void)
{
    long variant, table_offset, count, group_total, literal_total, inputs, tables;
    while (scanf("%ld %ld %ld %ld %ld %ld %ld", &variant, &table_offset, &count, &group_total, &literal_total, &inputs, &tables) == 7) {
        static long values[8 * 256 + 4096];
        long i;
        if (!read_longs(neurons, count) || !read_longs(groups, group_total) || !read_longs(codes, literal_total)) {
            return 1;
        }
        if (!read_longs(values, inputs)) {
            return 1;
        }
        for (i = 0; i < inputs; i++) {
            x[i] = (int8_t)values[i];
        }
        if (!read_longs(values, tables * 256)) {
            return 1;
        }
        for (i = 0; i < tables * 256; i++) {
            sn_tables[i] = (int8_t)values[i];
        }
        switch (variant) {
${VARIANTS.map((_, i) => `        case ${i}:\n            variant_${i}((uint32_t)count, (uint32_t)group_total, (uint32_t)literal_total, sn_tables + table_offset);\n            break;`).join("\n")}
        default:
            return 1;
        }
        for (i = 0; i < count; i++) {
            printf("%d\\n", (int)y[i]);
        }
    }
    return 0;
}
`,
  );

  interface Literal { input: number; table: number }
  type Neuron = Literal[][];

  /** Tables that reach both ends of int8, with many equal values (ties with the running max). */
  function randomTables(rng: Rng, n: number): Int8Array[] {
    return Array.from({ length: n }, (_, t) =>
      Int8Array.from({ length: 256 }, (_, i) => {
        const x = i - 128;
        switch (t % 4) {
          case 0: return x > 0 ? 127 : -128;
          case 1: return Math.max(-128, Math.min(127, 2 * x));
          case 2: return rng.pick([-128, -5, 0, 5, 127]);
          default: return rng.int(-128, 127);
        }
      }),
    );
  }

  function randomNeurons(rng: Rng, count: number, inputs: number, tables: number, maxLiterals: number): Neuron[] {
    return Array.from({ length: count }, () =>
      Array.from({ length: rng.int(1, 5) }, () =>
        Array.from({ length: rng.int(1, maxLiterals) }, () => ({ input: rng.int(0, inputs - 1), table: rng.int(0, tables - 1) })),
      ),
    );
  }

  const maxOfMin = (neurons: Neuron[], x: Int8Array, tables: Int8Array[]) =>
    neurons.map((groups) => Math.max(-128, ...groups.map((g) => Math.min(127, ...g.map((l) => tables[l.table]![x[l.input]! + 128]!)))));

  it("for every variant, over random neurons, inputs at the extremes and tables with ties", () => {
    const rng = new Rng(5);
    const input: number[] = [];
    const expected: number[] = [];
    VARIANTS.forEach((v, variant) => {
      const single = v.lookup === "SN_LOOKUP_INPUT";
      for (let c = 0; c < 40; c++) {
        const tableCount = single ? 1 : rng.int(2, 6);
        const tables = randomTables(rng, tableCount + (single ? rng.int(0, 3) : 0));
        const table = single ? tables.length - 1 : 0; // a single table need not be table 0
        const inputs = c === 0 ? 1 : rng.int(1, v.code === "uint8_t" ? 200 : 3000);
        const count = c === 1 ? 1 : rng.int(1, 60);
        const neurons = randomNeurons(rng, count, inputs, tableCount, c % 3 === 0 ? 12 : 4).map((n) =>
          n.map((g) => g.map((l) => ({ ...l, table: single ? table : l.table }))),
        );
        const x = c === 2 ? new Int8Array(inputs).fill(-128) : c === 3 ? new Int8Array(inputs).fill(127) : rng.int8Array(inputs);
        const groups = neurons.flat();
        const literals = groups.flat();
        const codes = literals.map((l) => (single ? l.input : l.table * 2 ** 24 + l.input));
        input.push(variant, single ? table * 256 + 128 : 128, neurons.length, groups.length, literals.length, inputs, tables.length);
        input.push(...neurons.map((n) => n.length), ...groups.map((g) => g.length), ...codes, ...x, ...tables.flatMap((t) => [...t]));
        expected.push(groups.length, literals.length, ...maxOfMin(neurons, x, tables));
      }
    });
    for (const exe of exes) expect(run(exe, input)).toEqual(expected);
  });
});

describe("SN_CODE and SN_LOOKUP (runtime/code.h, runtime/lookup.h)", () => {
  const exes = buildDriver(
    "macros",
    `#include <stdio.h>
#include "code.h"
#include "lookup.h"

static int8_t sn_tables[3 * 256];

int main(void)
{
    int table, x;
    for (table = 0; table < 3; table++) {
        for (x = 0; x < 256; x++) {
            sn_tables[table * 256 + x] = (int8_t)((x * (table + 1)) % 256 - 128);
        }
    }
    printf("%lu %lu %lu\\n", (unsigned long)SN_CODE(0, 0), (unsigned long)SN_CODE(1, 65535), (unsigned long)SN_CODE(255, 12345));
    for (table = 0; table < 3; table++) {
        for (x = -128; x < 128; x++) {
            printf("%d\\n", (int)SN_LOOKUP(table, x));
        }
    }
    return 0;
}
`,
  );

  it("SN_CODE(table, input) is (table * 256) << 16 | input, as formatCodes prints it; SN_LOOKUP(t, x) is T_t[x + 128]", () => {
    const lookups: number[] = [];
    for (let t = 0; t < 3; t++) for (let x = 0; x < 256; x++) lookups.push(((x * (t + 1)) % 256) - 128);
    for (const exe of exes) expect(run(exe, [])).toEqual([0, 2 ** 24 + 65535, 255 * 2 ** 24 + 12345, ...lookups]);
    expect(formatCodes([0, 2 ** 24 + 65535, 255 * 2 ** 24 + 12345], 5, 0)).toBe("SN_CODE(  0,     0), SN_CODE(  1, 65535), SN_CODE(255, 12345)");
  });
});

describe("pasting", () => {
  it("a generated model holds the runtime text verbatim and includes only its own header", () => {
    const model: ModelFileInput = {
      format: "strongnet-model",
      version: 1,
      name: "paste",
      input: { shape: [3, 3, 1] },
      tables: [encodeInt8(Array.from({ length: 256 }, (_, i) => i - 128))],
      layers: [{ id: "f", kind: "strong_conv", input: "input", kernel: [2, 2], stride: [1, 1], padding: [1, 1, 1, 1], padValue: 0, templates: [{ groups: [[{ dy: 0, dx: 0, c: 0, table: 0 }]] }] }],
      output: "f",
    };
    const { source } = generateC(buildGraph(parseModel(model)));
    expect([...source.matchAll(/^#include .*$/gm)].map((m) => m[0])).toEqual(['#include "paste.h"']);
    for (const file of ["strong_groups.h", "lookup_input.h", "read_padded.c"]) expect(source).toContain(runtimeText(file));
    for (const file of ["requantize.c", "lookup.h", "code.h", "lookup_code.h"]) expect(source).not.toContain(runtimeText(file));
  });
});
