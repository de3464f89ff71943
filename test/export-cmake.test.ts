/**
 * The CMake package: the static library target and the host example configure and build with
 * cmake, the example prints exactly the reference interpreter's output for its embedded input,
 * and the board toolchain file cross-builds the library with arm-none-eabi-gcc.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultTestInput, exportPackage } from "../src/export/index.js";
import { loadGraph } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";
import { exportBoards } from "./helpers/export-boards.js";
import { parseOutputLine, randomGraph, tempDir } from "./helpers/export-fixtures.js";

const boards = exportBoards();
const defaultBoard = boards.find((b) => b.name === "nucleo-f411re") ?? boards[0]!;

describe("CMake package", () => {
  it.each([41, 42, 43])("random model %i: host build of the library and example prints the reference output", (seed) => {
    const graph = randomGraph(seed);
    const pkg = exportPackage(graph, join(tempDir("cmake"), graph.name), { format: "cmake", board: defaultBoard });
    const cmakeLists = readFileSync(join(pkg.dir, "CMakeLists.txt"), "utf8");
    expect(cmakeLists).toMatch(new RegExp(`add_library\\(${graph.name} STATIC src/${graph.name}\\.c\\)`));
    expect(cmakeLists).toMatch(/target_include_directories\(/);
    const build = join(pkg.dir, "build");
    execFileSync("cmake", ["-S", pkg.dir, "-B", build, "-DCMAKE_C_FLAGS=-Wall -Wextra -pedantic -Werror"], { stdio: "pipe" });
    execFileSync("cmake", ["--build", build], { stdio: "pipe" });
    expect(existsSync(join(build, `lib${graph.name}.a`))).toBe(true);
    const out = execFileSync(join(build, `${graph.name}_example`), [], { encoding: "utf8" });
    const expected = Array.from(predict(graph, defaultTestInput(graph).values));
    expect(parseOutputLine(out)).toEqual(expected);
    expect(out).toContain("reference: match");
  }, 60_000);

  it("--arena external: the example passes its own arena to predict(in, out, arena) and prints the reference output", () => {
    const graph = loadGraph(join(import.meta.dirname, "..", "models", "mnist_strong.json"));
    const pkg = exportPackage(graph, join(tempDir("cmake-arena"), graph.name), { format: "cmake", board: defaultBoard, arena: "external" });
    const header = readFileSync(join(pkg.dir, "src", `${graph.name}.h`), "utf8");
    expect(header).toContain("void mnist_strong_predict(const int8_t *in, int8_t *out, void *arena);");
    expect(readFileSync(join(pkg.dir, "README.md"), "utf8")).toContain("void mnist_strong_predict(const int8_t *in, int8_t *out, void *arena);");
    expect(readFileSync(join(pkg.dir, pkg.example), "utf8")).toContain("mnist_strong_predict(test_input, output, arena);");
    const build = join(pkg.dir, "build");
    execFileSync("cmake", ["-S", pkg.dir, "-B", build, "-DCMAKE_C_FLAGS=-Wall -Wextra -pedantic -Werror"], { stdio: "pipe" });
    execFileSync("cmake", ["--build", build], { stdio: "pipe" });
    const out = execFileSync(join(build, `${graph.name}_example`), [], { encoding: "utf8" });
    expect(parseOutputLine(out)).toEqual(Array.from(predict(graph, defaultTestInput(graph).values)));
    expect(out).toContain("reference: match");
  }, 60_000);

  it("the board toolchain file cross-builds the static library with arm-none-eabi-gcc", () => {
    const graph = randomGraph(44);
    const pkg = exportPackage(graph, join(tempDir("cmake-arm"), graph.name), { format: "cmake", board: defaultBoard });
    const build = join(pkg.dir, "build-arm");
    execFileSync("cmake", ["-S", pkg.dir, "-B", build, `-DCMAKE_TOOLCHAIN_FILE=cmake/${defaultBoard.name}.cmake`], { cwd: pkg.dir, stdio: "pipe" });
    execFileSync("cmake", ["--build", build], { stdio: "pipe" });
    const lib = join(build, `lib${graph.name}.a`);
    expect(existsSync(lib)).toBe(true);
    expect(existsSync(join(build, `${graph.name}_example`))).toBe(false); // no host example when cross-compiling
    const attrs = execFileSync("arm-none-eabi-readelf", ["-A", lib], { encoding: "utf8" });
    expect(attrs).toMatch(/Tag_CPU_arch/);
  }, 60_000);
});
