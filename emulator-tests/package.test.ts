/**
 * The package as a user gets it: `npm pack`, a global install of the tarball (npm install -g
 * into a temp prefix), the command run from another folder, and the example of docs/api.md run
 * in an empty project whose node_modules/strongnet links to that install (as `npm link` does; one
 * install instead of two keeps the test near a minute). npm takes the dependencies from its
 * cache when they are there (--prefer-offline), from the registry otherwise. Types (dist/types, built by prepack) are not built here: the pack skips
 * scripts to stay fast; the K-package check and `npm pack` itself cover prepack.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "strongnet-package-"));
const app = join(tmp, "app");
const elsewhere = join(tmp, "elsewhere");
let tarball = "";
let files: string[] = [];

const npm = (args: string[], cwd: string) => execFileSync("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd, encoding: "utf8" });

beforeAll(() => {
  const name = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", tmp], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").pop()!;
  tarball = join(tmp, name);
  files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
  mkdirSync(join(app, "node_modules"), { recursive: true });
  mkdirSync(elsewhere);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
  npm(["install", "--global", "--prefix", join(tmp, "global"), tarball], tmp);
  symlinkSync(join(tmp, "global", "lib", "node_modules", "strongnet"), join(app, "node_modules", "strongnet"), "dir");
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the packed package", () => {
  it("ships the sources, templates, boards, models and docs, and no tests, benchmarks or CI files", () => {
    for (const f of ["package/lib/index.js", "package/bin/strongnet.js", "package/src/index.ts", "package/models/mnist_strong.json", "package/boards/nucleo-f411re.json", "package/c-templates/model.c.ejs", "package/docs/api.md"]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^package\/(test|bench|\.ci|emulator-tests|scripts)\//.test(f))).toEqual([]);
  });

  it("runs the example of docs/api.md in a project that has only strongnet", () => {
    const doc = readFileSync(join(ROOT, "docs", "api.md"), "utf8");
    const example = /```js example\n([\s\S]*?)```/.exec(doc)![1]!;
    writeFileSync(join(app, "example.mjs"), example);
    const r = spawnSync(process.execPath, ["example.mjs"], { cwd: app, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/build\/mnist_demo\/mnist_demo\.c: \d+ B constants/);
    expect(r.stdout).toMatch(/bit-exact on 12 vectors, \d+ instructions per inference/);
    expect(r.stdout).toMatch(/report: within budget/);
  });

  it("a global install finds its bundled models and boards from any folder, and takes a board file path", () => {
    const sn = join(tmp, "global", "bin", "strongnet");
    const models = spawnSync(sn, ["models", "--json"], { cwd: elsewhere, encoding: "utf8" });
    expect(models.status, models.stderr).toBe(0);
    const list = JSON.parse(models.stdout) as { name: string; path: string; demo: boolean }[];
    expect(list.find((m) => m.demo)?.name).toBe("mnist_strong");
    for (const m of list) expect(m.path.startsWith(join(tmp, "global"))).toBe(true);
    writeFileSync(join(elsewhere, "mine.json"), readFileSync(join(ROOT, "boards", "nucleo-f411re.json"), "utf8").replace('"nucleo-f411re"', '"mine"'));
    const model = list.find((m) => m.name === "mnist_demo")!.path;
    const r = spawnSync(sn, ["compile", model, "--board", "./mine.json", "-o", "out"], { cwd: elsewhere, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/compiled mnist_demo \(\d+ layers\) for mine/);
  });
});
