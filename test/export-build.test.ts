/**
 * The exported sources build for every Cortex-M board of the catalogue with arm-none-eabi-gcc
 * under -std=c99 -Wall -Wextra -pedantic -Werror and the board's cflags, the header works from
 * C++ (arm-none-eabi-g++ and host g++ link a C++ caller against the C object), and the example
 * sketch compiles for each core (DWT cycle counter on M3/M4/M7, micros() on M0/M0+) and, run on the
 * host against a stub Arduino core, prints exactly the reference interpreter's output.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportPackage, type ExportBoard, type ExportedPackage } from "../src/export/index.js";
import { loadGraph, shapeSize, type Graph } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";
import { Rng } from "../src/util/random.js";
import { exportBoards } from "./helpers/export-boards.js";
import { ARDUINO_STUB_DIR, parseOutputLine, randomGraph, tempDir } from "./helpers/export-fixtures.js";
import { STRICT_FLAGS } from "./helpers/host-c.js";

const CXX_FLAGS = ["-std=c++11", "-Wall", "-Wextra", "-pedantic", "-Werror"];
const boards = exportBoards().filter((b) => b.core.startsWith("cortex-m"));
const SEEDS = [31, 32];

function exportArduino(graph: Graph, board: ExportBoard): ExportedPackage {
  return exportPackage(graph, join(tempDir("build"), graph.name), { format: "arduino", board });
}

/** A C++ caller: the header included inside C++ code, predict called from a namespace. */
/** Builds the package's example sketch against the stub Arduino core on the host and runs it once. */
function runSketchOnStub(pkg: ExportedPackage, graph: Graph): string {
  const src = join(pkg.dir, "src");
  const obj = join(pkg.dir, "model.o");
  execFileSync("gcc", [...STRICT_FLAGS, "-c", "-o", obj, join(src, `${graph.name}.c`)], { stdio: "pipe" });
  const exe = join(pkg.dir, "sketch");
  const sketch = join(pkg.dir, pkg.example, `${pkg.demoName}.ino`);
  execFileSync(
    "g++",
    [...CXX_FLAGS, "-DSTUB_HOSTED", "-I", ARDUINO_STUB_DIR, "-I", src, "-o", exe, "-x", "c++", sketch, "-x", "c++", join(ARDUINO_STUB_DIR, "stub-main.cpp"), "-x", "none", obj],
    { stdio: "pipe" },
  );
  return execFileSync(exe, [], { encoding: "utf8" });
}

function writeCppCaller(dir: string, graph: Graph): string {
  const { name } = graph;
  const NAME = name.toUpperCase();
  const path = join(dir, "caller.cpp");
  writeFileSync(
    path,
    `#include <stdio.h> /* C header: arm-none-eabi has no libstdc++ here */
#include "${name}.h"

namespace app {
class Model {
public:
    const int8_t *run(const int8_t *in) { ${name}_predict(in, out_); return out_; }
private:
    int8_t out_[${NAME}_OUTPUT_SIZE];
};
}

int main()
{
    static int8_t input[${NAME}_INPUT_SIZE];
    app::Model model;
    if (fread(input, 1, sizeof input, stdin) != sizeof input) return 2;
    const int8_t *out = model.run(input);
    printf("output:");
    for (int i = 0; i < ${NAME}_OUTPUT_SIZE; i++) printf(" %d", static_cast<int>(out[i]));
    printf("\\n");
    return 0;
}
`,
  );
  return path;
}

describe.each(boards.map((b) => [b.name, b] as const))("exported sources on %s", (_name, board) => {
  it.each(SEEDS)("random model %i: C99 strict build, C++ caller links, sketch compiles with the right timer", (seed) => {
    const graph = randomGraph(seed);
    const pkg = exportArduino(graph, board);
    const src = join(pkg.dir, "src");
    const obj = join(pkg.dir, "model.o");
    execFileSync("arm-none-eabi-gcc", [...board.cflags, ...STRICT_FLAGS, "-O2", "-c", "-o", obj, join(src, `${graph.name}.c`)], { stdio: "pipe" });

    const caller = writeCppCaller(pkg.dir, graph);
    const callerObj = join(pkg.dir, "caller.o");
    execFileSync("arm-none-eabi-g++", [...board.cflags, ...CXX_FLAGS, "-O2", "-fno-exceptions", "-fno-rtti", "-I", src, "-c", "-o", callerObj, caller], { stdio: "pipe" });
    // Linking the C++ object against the C object proves the extern "C" guards: a mangled
    // reference to the predict function would be undefined.
    execFileSync("arm-none-eabi-gcc", [...board.cflags, "--specs=nosys.specs", "-o", join(pkg.dir, "caller.elf"), callerObj, obj], { stdio: "pipe" });

    const sketch = join(pkg.dir, pkg.example, `${pkg.demoName}.ino`);
    const sketchFlags = [...board.cflags, ...CXX_FLAGS, "-O2", "-x", "c++", "-I", ARDUINO_STUB_DIR, "-I", src];
    execFileSync("arm-none-eabi-g++", [...sketchFlags, "-c", "-o", join(pkg.dir, "sketch.o"), sketch], { stdio: "pipe" });
    const expanded = execFileSync("arm-none-eabi-g++", [...sketchFlags, "-E", sketch], { encoding: "utf8" });
    const hasDwt = ["cortex-m3", "cortex-m4", "cortex-m7"].includes(board.core);
    expect(expanded.includes("0xE0001004UL"), "DWT CYCCNT read").toBe(hasDwt);
    expect(/elapsed = micros\(\) - start/.test(expanded), "micros() timing").toBe(!hasDwt);
  });
});

describe("exported sources on the host", () => {
  it.each(SEEDS)("random model %i: g++ C++ caller linked against the gcc-built C object prints the reference output", (seed) => {
    const graph = randomGraph(seed);
    const pkg = exportArduino(graph, boards[0]!);
    const src = join(pkg.dir, "src");
    const obj = join(pkg.dir, "model.o");
    execFileSync("gcc", [...STRICT_FLAGS, "-O2", "-c", "-o", obj, join(src, `${graph.name}.c`)], { stdio: "pipe" });
    const exe = join(pkg.dir, "caller");
    execFileSync("g++", [...CXX_FLAGS, "-O2", "-I", src, "-o", exe, writeCppCaller(pkg.dir, graph), obj], { stdio: "pipe" });
    const rng = new Rng(seed);
    for (let v = 0; v < 8; v++) {
      const input = rng.int8Array(shapeSize(graph.inputShape));
      const out = execFileSync(exe, [], { input: Buffer.from(input.buffer), encoding: "utf8" });
      expect(parseOutputLine(out)).toEqual(Array.from(predict(graph, input)));
    }
  });

  it.each(SEEDS)("random model %i: the sketch, run once on a stub Arduino core, prints the reference output and a match", (seed) => {
    const graph = randomGraph(seed);
    const pkg = exportArduino(graph, boards[0]!);
    const out = runSketchOnStub(pkg, graph);
    expect(parseOutputLine(out)).toEqual(Array.from(pkg.expectedOutput));
    expect(out).toContain("reference: match");
    expect(out).toMatch(/^micros: \d+ \(best \d+, no cycle counter on this core\)$/m);
  });

  it("--arena external: the sketch passes its own arena, and on the stub core prints the reference output", () => {
    const graph = loadGraph(join(import.meta.dirname, "..", "models", "mnist_strong.json"));
    const pkg = exportPackage(graph, join(tempDir("arduino-arena"), graph.name), { format: "arduino", board: boards[0]!, arena: "external" });
    const sketch = join(pkg.dir, pkg.example, `${pkg.demoName}.ino`);
    expect(readFileSync(sketch, "utf8")).toContain("static uint32_t arena[MNIST_STRONG_ARENA_BYTES / 4];");
    const out = runSketchOnStub(pkg, graph);
    expect(parseOutputLine(out)).toEqual(Array.from(pkg.expectedOutput));
    expect(out).toContain("reference: match");
  });
});
