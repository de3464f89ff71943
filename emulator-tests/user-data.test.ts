/**
 * User data end to end (issue 12): a data set the test makes (8x8 digits as CSV and .npy), a
 * strong model trained on it, compiled and verified bit-exact under QEMU on the CSV's test split
 * (found from the model's metadata) and reported with labelled --inputs, accuracy printed.
 * test/user-data.test.ts checks the vectors of unlabelled --inputs without QEMU.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { saveModelFile } from "../src/format/load.js";
import { trainModel } from "../src/train/index.js";
import { makeDigits8, writeCsv, writeNpyPair } from "../test/helpers/digits8.js";

const ROOT = join(import.meta.dirname, "..");
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "strongnet.js"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 180_000 });

describe("train, compile and verify on user data", () => {
  const dir = mkdtempSync(join(tmpdir(), "strongnet-userdata-qemu-"));
  const digits = makeDigits8(40, 9);
  const csv = join(dir, "digits.csv");
  writeCsv(csv, digits);
  const [x, y] = writeNpyPair(dir, digits);
  const modelPath = join(dir, "digits.json");

  it("verify with the CSV's seeded test split (from the metadata), report with labelled --inputs", async () => {
    const { model } = await trainModel({ dataset: csv, arch: "strong", seed: 1, budgetOps: 1200, name: "digits", threads: 1 });
    saveModelFile(modelPath, model);

    const byMeta = cli("verify", modelPath, "--board", "nucleo-f411re", "--vectors", "20", "--json");
    expect(byMeta.status, byMeta.stderr).toBe(0);
    const r1 = JSON.parse(byMeta.stdout);
    expect(r1.passed).toBe(true);
    expect(r1.vectors).toMatchObject({ dataset: csv, datasetSamples: 16 });
    expect(r1.accuracy.total).toBe(16);
    expect(r1.accuracy.value).toBeGreaterThan(0.6);

    const report = cli("report", modelPath, "--board", "nucleo-f411re", "--vectors", "12", "--inputs", `${x},${y}`);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/accuracy +\d+\/8 .*labelled samples/);
  });

  it("bad --inputs exit 2 naming the file before anything is built", () => {
    const r = cli("verify", modelPath, "--board", "nucleo-f411re", "--inputs", `${csv}:shape=4x16`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad data: .*digits\.csv: images are 4x16x1 \(HxWxC, from :shape=\), the model takes 8x8x1/);
  });
});
