/**
 * `compile --board` states the stack bound of predict in the header comment, and it is the bound
 * `report` gives for the same model and board (which builds and runs its own firmware); verify
 * builds at the --opt level asked for and says how it built.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "strongnet.js"), ...args], { cwd: ROOT, encoding: "utf8" });

describe("compile --board: the stack bound in the header", () => {
  it.each(["nucleo-f411re", "bbc-microbit-v1"])("on %s equals report's bound for the model", (board) => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-compile-stack-"));
    const compiled = cli("compile", "models/mnist_dense.json", "--board", board, "-o", dir, "--json");
    expect(compiled.status, compiled.stderr).toBe(0);
    const stackBytes = JSON.parse(compiled.stdout).stackBytes as number;
    expect(stackBytes).toBeGreaterThan(0);
    const header = readFileSync(join(dir, "mnist_dense.h"), "utf8");
    expect(header).toContain(`stack (predict)      at most ${stackBytes} bytes on ${board}`);
    const report = cli("report", "models/mnist_dense.json", "--board", board, "--vectors", "2", "--json");
    expect(report.status, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout).primary.ram.model.stack).toBe(stackBytes);
  });
});

describe("--opt: the optimisation level of the verified images", () => {
  it.each(["-Os", "-O3"])("%s: bit-exact, and the report states the compiler and its flags", (opt) => {
    const run = cli("verify", "models/mnist_dense.json", "--opt", opt, "--vectors", "4", "--json");
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.passed).toBe(true);
    expect(report.build.compiler).toMatch(/^arm-none-eabi-gcc \d+\.\d+/);
    expect(report.build.cflags).toContain(opt);
    expect(report.build.cflags).not.toContain("-O2");
    expect(report.build.cflags).toContain("-mcpu=cortex-m4");
  });

  it("an unknown level is refused with exit 2, listing the choices", () => {
    const run = cli("verify", "models/mnist_dense.json", "--opt", "-O9");
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/-Os, -O2, -O3/);
  });
});

describe("--dataset none", () => {
  it("runs only edge and random vectors (commander turned a parser's null into an empty SPEC)", () => {
    const run = cli("verify", "models/mnist_strong.json", "--dataset", "none", "--vectors", "3", "--json");
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.passed).toBe(true);
    expect(report.vectors.datasetSamples).toBe(0);
    expect(report.vectors.total).toBe(3);
  });
});
