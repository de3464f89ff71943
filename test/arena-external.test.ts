/**
 * `compile --arena external` on the host: the default output is the static arena's, unchanged;
 * the external code keeps no static mutable state (no .data or .bss in its object file, for
 * models with every kind of arena scratch), its header states the arena's size and alignment,
 * and its usage example, built with gcc, gives the reference's answers with arenas the caller
 * fills with garbage.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../src/api.js";
import { generateC } from "../src/codegen/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph, loadGraph, shapeSize, type Graph } from "../src/ir/index.js";
import { withOutputs } from "../src/ir/outputs.js";
import { planGraph } from "../src/plan/plan.js";
import { predict } from "../src/reference/interpreter.js";
import { Rng } from "../src/util/random.js";
import { CONV_CASES, convCaseModel } from "./helpers/conv-path-models.js";
import { STRICT_FLAGS } from "./helpers/host-c.js";
import { denseMlp } from "./helpers/tiny-models.js";

const ROOT = join(import.meta.dirname, "..");
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "strongnet.js"), ...args], { cwd: ROOT, encoding: "utf8" });

const strong = loadGraph(join(ROOT, "models", "mnist_strong.json"));
const dense = loadGraph(join(ROOT, "models", "mnist_dense.json"));
/** conv2d (im2col columns), depthwise rows in a ring, in-place pointwise: every scratch the kernels take */
const convs = CONV_CASES.map((c, i) => buildGraph(parseModel({ ...convCaseModel(c, i + 1), name: `conv_case_${i}` })));
const models: Graph[] = [strong, dense, ...convs];

/** The symbols of an object file in writable sections (nm: b/B = .bss, d/D = .data, g/G/s/S small data). */
function writableSymbols(object: string): string[] {
  const out = execFileSync("nm", [object], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => /^\S*\s+[bBdDgGsS]\s/.test(l))
    .map((l) => l.trim());
}

function compileObject(dir: string, name: string, source: string, header: string, flags: string[] = []): string {
  writeFileSync(join(dir, `${name}.c`), source);
  writeFileSync(join(dir, `${name}.h`), header);
  const object = join(dir, `${name}.o`);
  execFileSync("gcc", [...STRICT_FLAGS, "-O2", ...flags, "-c", join(dir, `${name}.c`), "-o", object], { stdio: ["ignore", "pipe", "pipe"] });
  return object;
}

describe("--arena static stays the default", () => {
  it.each(models.slice(0, 4).map((g) => [g.name, g] as [string, Graph]))("%s: the default output is the static arena's, byte for byte", (_name, g) => {
    const byDefault = generateC(g);
    const asked = generateC(g, undefined, {}, { arena: "static" });
    expect(asked.source).toBe(byDefault.source);
    expect(asked.header).toBe(byDefault.header);
    expect(byDefault.header).toContain(`void ${g.name}_predict(const int8_t *in, int8_t *out);`);
    expect(byDefault.header).not.toContain("ARENA_ALIGN");
    expect(byDefault.source).not.toContain("arena->");
  });

  it("static code has exactly one writable object, the arena (sn_arena in .bss)", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-arena-static-"));
    const { source, header } = generateC(strong);
    expect(writableSymbols(compileObject(dir, strong.name, source, header)).map((l) => l.split(/\s+/).at(-1))).toEqual(["sn_arena"]);
  });
});

describe("--arena external: predict(in, out, arena)", () => {
  it.each(models.map((g) => [g.name, g] as [string, Graph]))("%s: no static mutable state (no .data or .bss symbol), warning-free", (_name, g) => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-arena-ext-"));
    const { source, header, plan, arena } = generateC(g, undefined, {}, { arena: "external" });
    expect(source).not.toMatch(/^static (?!const|void|inline|int8_t sn_|int32_t sn_|uint32_t sn_|SN_NOINLINE)/m);
    expect(writableSymbols(compileObject(dir, g.name, source, header))).toEqual([]);
    expect(arena).toEqual({ mode: "external", bytes: Math.ceil(plan.arenaBytes / 4) * 4, align: 4 });
    if (plan.layers.some((l) => l.scratch)) expect(source).toMatch(/, sn_arena_t \*arena\)\n\{/);
  });

  it("the header states the arena's size and alignment, and the prototype", () => {
    const { header, plan } = generateC(strong, undefined, {}, { arena: "external" });
    expect(header).toContain(`#define MNIST_STRONG_ARENA_BYTES    ${Math.ceil(plan.arenaBytes / 4) * 4}\n#define MNIST_STRONG_ARENA_ALIGN    4\n`);
    expect(header).toContain("void mnist_strong_predict(const int8_t *in, int8_t *out, void *arena);");
    expect(header).toContain("it is reentrant");
    expect(header).toContain("static uint32_t arena[MNIST_STRONG_ARENA_BYTES / 4];");
    expect(header).toContain("mnist_strong_predict(in, out, arena);");
    expect(header).not.toContain("Not reentrant");
    const arenaLines = header.split("\n").filter((l) => /arena|ARENA/.test(l));
    for (const l of arenaLines) expect(l.length, l).toBeLessThanOrEqual(100);
  });

  it("a model with no arena: ARENA_BYTES 0, predict ignores the pointer", () => {
    // one dense layer writes straight into `out`: nothing lives in an arena
    const mlp = denseMlp(3, 2, 2, 3, 2);
    const tiny = buildGraph(parseModel({ ...mlp, name: "one_layer", layers: [mlp.layers[0]!], output: "hidden" }));
    expect(planGraph(tiny).arenaBytes).toBe(0);
    const { source, header } = generateC(tiny, undefined, {}, { arena: "external" });
    expect(header).toContain("#define ONE_LAYER_ARENA_BYTES    0\n");
    expect(header).toContain("one_layer_predict(in, out, 0);");
    expect(source).toContain("(void)arena_memory; /* this model needs no arena */");
    expect(source).not.toContain("sn_arena_t");
    const dir = mkdtempSync(join(tmpdir(), "strongnet-arena-none-"));
    expect(writableSymbols(compileObject(dir, tiny.name, source, header))).toEqual([]);
  });

  it("the usage example in the header, built with gcc, gives the reference's scores with two garbage-filled arenas in turn", () => {
    const g = withOutputs(strong, "scores");
    const { source, header } = generateC(g, undefined, {}, { arena: "external" });
    const usage = /\* Usage:\n((?: \* {5}.*\n)+)/.exec(header)![1]!.split("\n").filter((l) => l !== "").map((l) => l.replace(/^ \* {5}/, ""));
    expect(usage[0]).toBe("static uint32_t arena[MNIST_STRONG_ARENA_BYTES / 4];");
    const dir = mkdtempSync(join(tmpdir(), "strongnet-arena-usage-"));
    writeFileSync(join(dir, "mnist_strong.c"), source);
    writeFileSync(join(dir, "mnist_strong.h"), header);
    // the example's statements, each vector with the other of two arenas, each refilled with garbage first
    const main = `#include <stdio.h>
#include <string.h>
#include "mnist_strong.h"

int main(void)
{
    static uint32_t arenas[2][MNIST_STRONG_ARENA_BYTES / 4];
    static unsigned char pixels[MNIST_STRONG_INPUT_SIZE];
    int8_t in[MNIST_STRONG_INPUT_SIZE], out[MNIST_STRONG_OUTPUT_SIZE];
    int i, v = 0;
    while (fread(pixels, 1, sizeof pixels, stdin) == sizeof pixels) {
        uint32_t *arena = arenas[v % 2];
        memset(arena, 0x5A + v, sizeof arenas[0]);
        for (i = 0; i < MNIST_STRONG_INPUT_SIZE; i++) in[i] = (int8_t)(pixels[i] - 128);
        ${usage.find((l) => l.includes("_predict("))}
        fwrite(out, 1, sizeof out, stdout);
        v++;
    }
    return 0;
}
`;
    writeFileSync(join(dir, "main.c"), main);
    const exe = join(dir, "usage");
    execFileSync("gcc", [...STRICT_FLAGS, "-O2", "-o", exe, join(dir, "main.c"), join(dir, "mnist_strong.c")], { stdio: ["ignore", "pipe", "pipe"] });
    const rng = new Rng(5);
    const images = Array.from({ length: 6 }, () => Uint8Array.from({ length: 784 }, () => rng.int(0, 255)));
    const out = execFileSync(exe, [], { input: Buffer.concat(images) });
    const size = shapeSize(g.outputShape);
    expect(out.length).toBe(6 * size);
    images.forEach((img, i) => {
      const expected = predict(g, Int8Array.from(img, (b) => b - 128));
      expect(Array.from(new Int8Array(out.buffer, out.byteOffset + i * size, size))).toEqual(Array.from(expected));
    });
  });
});

describe("the command and the API", () => {
  it("compile --arena external --json: the arena the caller provides; the files say so", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-arena-cli-"));
    const r = cli("compile", "models/mnist_strong.json", "--arena", "external", "-o", dir, "--json");
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.arena).toEqual({ mode: "external", bytes: Math.ceil(summary.arenaBytes / 4) * 4, align: 4 });
    expect(readFileSync(join(dir, "mnist_strong.h"), "utf8")).toContain("void mnist_strong_predict(const int8_t *in, int8_t *out, void *arena);");
    expect(readFileSync(join(dir, "mnist_strong.c"), "utf8")).toBe(compile(strong, { arena: "external" }).source);
  });

  it("a bad --arena value is one line naming the choices, exit 2", () => {
    const r = cli("compile", "models/mnist_strong.json", "--arena", "heap");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--arena.*heap.*static, external/s);
  });
});
