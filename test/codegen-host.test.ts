/**
 * The generated C, built for the host with gcc and clang under -std=c99 -Wall -Wextra -pedantic
 * -Werror and run with UBSan + ASan, agrees bit for bit with the reference interpreter on every
 * layer of random models that use every layer kind.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph, shapeSize } from "../src/ir/index.js";
import { runTrace } from "../src/reference/interpreter.js";
import { Rng } from "../src/util/random.js";
import { buildHost, runHost, SANITIZE_FLAGS } from "./helpers/host-c.js";
import { randomModel } from "./helpers/random-model.js";
import { strongDenseModel } from "./helpers/tiny-models.js";

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const NEWLIB_INCLUDE = "/usr/lib/arm-none-eabi/include";
const VECTORS = 64;

/**
 * The host has no DSP extension: STRONGNET_EMULATE_DSP builds the Cortex-M4/M7/M33 kernels
 * (SXTB16 / SMLAD data layout, four channels per word) with C versions of those instructions.
 */
describe.each([
  ["gcc", []],
  ["clang", []],
  ["gcc", ["-DSTRONGNET_EMULATE_DSP"]],
  ["clang", ["-DSTRONGNET_EMULATE_DSP"]],
])("generated C on the host with %s %j", (compiler, defines) => {
  it.each(SEEDS)("random model %i: warning-free, sanitizer-clean, bit-exact on every layer", (seed) => {
    const graph = buildGraph(parseModel(randomModel(seed)));
    const rng = new Rng(1000 + seed);
    const vectors = Array.from({ length: VECTORS }, (_, i) => extremeOrRandom(rng, shapeSize(graph.inputShape), i));
    const build = buildHost(graph, compiler, [...SANITIZE_FLAGS, ...defines]);
    const got = runHost(build, graph, vectors);
    vectors.forEach((vector, v) => {
      const trace = runTrace(graph, vector);
      graph.layers.forEach((layer, l) => {
        expect(got[v]![l], `vector ${v}, layer ${layer.id}`).toEqual(trace.outputs.get(layer.id));
      });
      expect(got[v]!.at(-1)).toEqual(trace.output);
    });
  });
});

describe("optimised builds", () => {
  it.each(["gcc", "clang"])("%s -O2 gives the same bytes as the sanitized build", (compiler) => {
    const graph = buildGraph(parseModel(randomModel(11)));
    const rng = new Rng(7);
    const vectors = Array.from({ length: 32 }, () => rng.int8Array(shapeSize(graph.inputShape)));
    const plain = runHost(buildHost(graph, compiler, ["-O2"]), graph, vectors);
    const sanitized = runHost(buildHost(graph, compiler, SANITIZE_FLAGS), graph, vectors);
    expect(plain).toEqual(sanitized);
    expect(plain.map((layers) => layers.at(-1))).toEqual(vectors.map((v) => runTrace(graph, v).output));
  });
});

/**
 * The generated C of every shipped model and of the random models (every layer kind) is clean
 * under clang -Weverything for a Cortex-M0+, a Cortex-M4 and a Cortex-M55: no unused macro or helper, no padding, no implicit
 * conversion, with and without the trace hook.
 */
describe("clang -Weverything, thumbv6m, thumbv7em and thumbv8.1m.main", () => {
  const shipped = readdirSync("models").filter((f) => f.endsWith(".json") && !f.endsWith(".metrics.json")).sort();
  const models = [
    ...shipped.map((f) => ({ label: f, model: parseModel(JSON.parse(readFileSync(join("models", f), "utf8"))) })),
    ...SEEDS.map((seed) => ({ label: `random model ${seed}`, model: parseModel(randomModel(seed)) })),
    { label: "strong -> dense on the active-inputs kernel", model: parseModel(strongDenseModel(1, 40, 24, 13, true)) },
  ];
  it.each(models)("$label", ({ model }) => {
    const graph = buildGraph(model);
    const dir = mkdtempSync(join(tmpdir(), "strongnet-weverything-"));
    const { source, header } = generateC(graph, { name: "nucleo-f411re", core: "cortex-m4", clockHz: 100e6, flashBytes: 512 * 1024, ramBytes: 128 * 1024 });
    writeFileSync(join(dir, `${graph.name}.c`), source);
    writeFileSync(join(dir, `${graph.name}.h`), header);
    // Cortex-M0+ (plain C kernels), Cortex-M4 (the DSP kernels: inline SXTB16 / SMLAD) and
    // Cortex-M55 (the Helium kernels: <arm_mve.h>)
    const cores = [
      ["--target=thumbv6m-none-eabi", "-mcpu=cortex-m0plus"],
      ["--target=thumbv7em-none-eabi", "-mcpu=cortex-m4"],
      ["--target=thumbv8.1m.main-none-eabi", "-mcpu=cortex-m55", "-mfloat-abi=hard"],
    ];
    for (const core of cores) {
      for (const trace of [[], ["-DSTRONGNET_TRACE"]]) {
        // newlib's headers (the firmware's C library) for <string.h>, which the convolutions' copies use
        const flags = [...core, "-isystem", NEWLIB_INCLUDE, "-std=c99", "-Weverything", "-Werror", ...trace];
        execFileSync("clang", [...flags, "-c", "-o", join(dir, "model.o"), join(dir, `${graph.name}.c`)], { stdio: ["ignore", "pipe", "pipe"] });
      }
    }
    // and easy to read: no line of the generated files is over 100 columns, except data rows
    const long = `${source}\n${header}`.split("\n").filter((l) => l.length > 100 && !/^ +[-(\d]/.test(l));
    expect(long).toEqual([]);
  });
});

/** The first vectors are all -128, all 127 and alternating extremes; the rest are uniform. */
function extremeOrRandom(rng: Rng, size: number, index: number): Int8Array {
  if (index === 0) return new Int8Array(size).fill(-128);
  if (index === 1) return new Int8Array(size).fill(127);
  if (index === 2) return Int8Array.from({ length: size }, (_, i) => (i % 2 ? 127 : -128));
  return rng.int8Array(size);
}

it("a host C compiler is available", () => {
  expect(execFileSync("gcc", ["--version"]).toString()).toMatch(/gcc/i);
});
