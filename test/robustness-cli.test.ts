import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEpsList } from "../src/cli/commands/robustness.js";
import { saveModelFile } from "../src/format/load.js";
import { tinyModel } from "./helpers/tiny-models.js";

const run = (...args: string[]) => spawnSync("node", ["bin/strongnet.js", "robustness", ...args], { encoding: "utf8", timeout: 120_000 });

describe("strongnet robustness", () => {
  it("refuses a bad --eps with exit 2 and names the option", () => {
    for (const bad of ["abc", "1.5", "-1", "256", "1,,2"]) {
      const r = run("models/mnist_demo.json", "--eps", bad);
      expect(r.status, `--eps "${bad}"`).toBe(2);
      expect(r.stderr).toMatch(/--eps/);
    }
    expect(() => parseEpsList("0.5")).toThrow(/int8 pixel units/);
    expect(parseEpsList("0, 2,8")).toEqual([0, 2, 8]);
  });

  it("refuses bad --samples, --dataset, a missing baseline and a model that is not a classifier with exit 2", () => {
    expect(run("models/mnist_demo.json", "--samples", "0").stderr).toMatch(/--samples/);
    const ds = run("models/mnist_demo.json", "--dataset", "cifar");
    expect(ds.status).toBe(2);
    expect(ds.stderr).toMatch(/--dataset/);
    expect(run("models/mnist_demo.json", "--baseline", "/nonexistent/model.json").status).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), "strongnet-rob-"));
    const path = join(dir, "one.json");
    const one = tinyModel(784, [], [{ id: "s", kind: "summator", input: "input", requant: { multiplier: 1, shift: 0 }, neurons: [{ bias: 0, terms: [{ input: 0, weight: 1 }] }] }]);
    one.input.shape = [28, 28, 1];
    saveModelFile(path, one);
    const notClassifier = run(path, "--dataset", "mnist", "--samples", "2");
    expect(notClassifier.status).toBe(2);
    expect(notClassifier.stderr).toMatch(/not a classifier/);
    // input shape that does not match the data set
    const wrong = join(dir, "wrong.json");
    saveModelFile(wrong, tinyModel(3, [], [{ id: "c", kind: "argmax", input: "input" }]));
    const shape = run(wrong, "--dataset", "mnist");
    expect(shape.status).toBe(2);
    expect(shape.stderr).toMatch(/does not match/);
  });

  it("reports clean, attacked and certified accuracy side by side with a baseline, as JSON, Markdown and SVG", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-rob-"));
    const r = run(
      "models/mnist_demo.json",
      "--baseline",
      "models/mnist_demo.json",
      "--samples",
      "8",
      "--eps",
      "8,2",
      "--queries",
      "100",
      "--json",
      "--plot",
      join(dir, "p.svg"),
      "--markdown",
      join(dir, "r.md"),
    );
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      epsUnit: string;
      models: { model: string; clean: number; samples: number; results: { eps: number; attacked: number; certified: number }[]; lipschitz: { networkGain: number } }[];
    };
    expect(report.epsUnit).toMatch(/255/);
    expect(report.models).toHaveLength(2);
    for (const m of report.models) {
      expect(m.samples).toBe(8);
      expect(m.results.map((x) => x.eps)).toEqual([2, 8]);
      for (const x of m.results) {
        expect(x.certified).toBeLessThanOrEqual(x.attacked);
        expect(x.attacked).toBeLessThanOrEqual(m.clean);
      }
    }
    // same model, same settings, same seed: identical results
    expect(report.models[1]!.results).toEqual(report.models[0]!.results);
    expect(readFileSync(join(dir, "p.svg"), "utf8")).toMatch(/^<svg[^>]*xmlns/);
    expect(readFileSync(join(dir, "r.md"), "utf8")).toMatch(/certified/);
    writeFileSync(join(dir, "done"), "");
  });

  it("--verifier milp adds MILP-verified accuracy and undecided counts (JSON results[].milp) and refuses bad values", () => {
    const bad = run("models/mnist_strong.json", "--verifier", "exact");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--verifier/);
    expect(run("models/mnist_strong.json", "--verifier", "milp", "--milp-time", "0").stderr).toMatch(/--milp-time/);
    const r = run("models/mnist_strong.json", "--samples", "10", "--eps", "4,8", "--queries", "200", "--verifier", "milp", "--milp-time", "3", "--json");
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      models: { verifier: string; clean: number; results: { eps: number; attacked: number; certified: number; milp: { verified: number; undecided: number; falsified: number; timeLimit: number } }[] }[];
    };
    const m = report.models[0]!;
    expect(m.verifier).toBe("milp");
    for (const x of m.results) {
      expect(x.milp.timeLimit).toBe(3);
      expect(x.certified).toBeLessThanOrEqual(x.milp.verified);
      expect(x.milp.verified).toBeLessThanOrEqual(x.attacked);
      expect(x.milp.verified + x.milp.undecided + x.milp.falsified).toBe(m.clean);
    }
  }, 120_000);
});
