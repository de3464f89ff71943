/**
 * User data (issue 12): every format a SPEC names loads to the same int8 samples, the int8 rule is
 * the same everywhere, bad data exits 2 naming the file, the sample and the reason, and
 * `strongnet train` trains strong and dense models on a data set the test makes itself (8x8
 * digits written as CSV and as a PNG/BMP folder). The QEMU half is emulator-tests/user-data.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode as encodePng } from "fast-png";
import { describe, expect, it } from "vitest";
import {
  DataError, encodeIdx, encodeNpy, encodeNpz, loadEvaluationData, loadTrainingData, parseSpec, readNpzFile,
} from "../src/datasets/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph } from "../src/ir/index.js";
import { trainModel } from "../src/train/index.js";
import { testVectors } from "../src/verify/vectors.js";
import { encodeBmp, makeDigits8, writeCsv, writeIdxPair, writeImageFolder, writeNpyPair, writeNpzFloat } from "./helpers/digits8.js";

const ROOT = join(import.meta.dirname, "..");
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "strongnet.js"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });

const dir = mkdtempSync(join(tmpdir(), "strongnet-userdata-"));
const digits = makeDigits8(60, 5);
const csv = join(dir, "digits.csv");
writeCsv(csv, digits);
const folder = join(dir, "digits");
writeImageFolder(folder, digits);
const [npyX, npyY] = writeNpyPair(dir, digits);
const [idxX, idxY] = writeIdxPair(dir, digits);
const npz = join(dir, "digits.npz");
writeNpzFloat(npz, digits);

/** loads a SPEC as labelled evaluation data; the image folder is ordered by class, so compare sorted */
const load = (spec: string) => loadEvaluationData(spec, { requireLabels: true, conversion: { scale: 1 / 255, zeroPoint: -128, source: "test" } });
const byClass = (ds: { images: Int8Array[]; labels: Uint8Array }) =>
  ds.images.map((img, i) => `${ds.labels[i]}:${Buffer.from(img.buffer, img.byteOffset, img.length).toString("hex")}`).sort();

describe("data set SPECs", () => {
  it("parses names, formats, path pairs and options", () => {
    expect(parseSpec("mnist").named).toBe("mnist");
    expect(parseSpec("a.csv:label=digit:shape=8x8")).toMatchObject({ paths: ["a.csv"], options: { label: "digit", shape: [8, 8, 1] } });
    expect(parseSpec("idx:a,b")).toMatchObject({ format: "idx", paths: ["a", "b"] });
    expect(parseSpec("x.npz:scale=0.5:zero-point=-3").options).toEqual({ scale: 0.5, zeroPoint: -3 });
    expect(() => parseSpec("a.csv:colour=red")).toThrow(/unknown option :colour=/);
    expect(() => parseSpec("a.csv:shape=8by8")).toThrow(/HxW/);
    expect(() => parseSpec("tar:a.tar")).toThrow(/unknown format "tar:"/);
    expect(() => parseSpec("a,b,c")).toThrow(/two paths/);
  });

  it("CSV, PNG/BMP folder, .npy pair, gzipped IDX pair and float .npz give the same int8 samples (byte - 128)", () => {
    const ref = load(csv);
    expect(ref.dataset.count).toBe(600);
    expect(ref.dataset.shape).toEqual([8, 8, 1]);
    expect(ref.dataset.pixels[0]).toBe(digits.pixels[0]! - 128);
    expect(Array.from(ref.dataset.labels.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    for (const spec of [`${npyX},${npyY}`, `${idxX},${idxY}`, idxX /* finds its labels file */, npz]) {
      expect(Buffer.from(load(spec).dataset.pixels.buffer).equals(Buffer.from(ref.dataset.pixels.buffer)), spec).toBe(true);
    }
    expect(byClass(load(folder).dataset)).toEqual(byClass(ref.dataset));
  });

  it("float data uses the SPEC's scale and zero point, else the one given (the model's), else refuses", () => {
    const a = loadEvaluationData(`${npz}:scale=${2 / 255}:zero-point=0`, { requireLabels: true });
    expect(a.dataset.pixels[0]).toBe(Math.round(digits.pixels[0]! / 2));
    expect(() => loadEvaluationData(npz, { requireLabels: true })).toThrow(/float values need an int8 rule.*:scale=S:zero-point=Z/);
  });

  it("reads an .npz with x_train/y_train/x_test/y_test as train and test parts", () => {
    const path = join(dir, "split.npz");
    const n = digits.count;
    writeFileSync(path, encodeNpz({
      x_train: encodeNpy("u1", [n - 100, 8, 8], digits.pixels.subarray(0, (n - 100) * 64)),
      y_train: encodeNpy("u1", [n - 100], digits.labels.subarray(0, n - 100)),
      x_test: encodeNpy("i1", [100, 8, 8], Array.from(digits.pixels.subarray((n - 100) * 64), (v) => v - 128)),
      y_test: encodeNpy("u1", [100], digits.labels.subarray(n - 100)),
    }));
    expect([...readNpzFile(path).keys()]).toEqual(["x_train", "y_train", "x_test", "y_test"]);
    const t = loadTrainingData(path);
    expect([t.splits.train.count, t.splits.test.count]).toEqual([500, 100]);
    expect(t.testRule).toMatch(/own test part/);
    expect(t.splits.test.pixels[0]).toBe(digits.pixels[500 * 64]! - 128); // int8 as is
  });

  it("colour images: 3 channels, or grey with :channels=1", () => {
    const d = join(dir, "colour");
    for (const cls of ["cat", "dog"]) {
      mkdirSync(join(d, cls), { recursive: true });
      const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 29 + (cls === "dog" ? 50 : 0)) % 256);
      writeFileSync(join(d, cls, "a.png"), encodePng({ width: 4, height: 3, data: rgb, channels: 3, depth: 8 }));
      writeFileSync(join(d, cls, "b.bmp"), encodeBmp(new Uint8Array(12), 4, 3, rgb));
    }
    const c = load(d);
    expect(c.dataset.shape).toEqual([3, 4, 3]);
    expect(c.dataset.classes).toBe(2);
    expect(Array.from(c.dataset.images[0]!)).toEqual(Array.from(c.dataset.images[1]!)); // PNG and BMP decode alike
    expect(c.dataset.pixels[1]).toBe(29 - 128);
    expect(load(`${d}:channels=1`).dataset.shape).toEqual([3, 4, 1]);
  });

  it("the seeded test split of single-file data is stratified and the same every time", () => {
    const t = loadTrainingData(csv);
    expect([t.splits.train.count, t.splits.test.count]).toEqual([480, 120]);
    const perClass = new Array<number>(10).fill(0);
    for (const l of t.splits.test.labels) perClass[l]! += 1;
    expect(perClass).toEqual(new Array(10).fill(12));
    expect(t.inputQuantization).toEqual({ scale: 1 / 255, zeroPoint: -128 });
  });
});

describe("bad data names the file, the sample and the reason", () => {
  const bad = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const cases: [string, () => unknown, RegExp][] = [
    ["a line with a missing field", () => load(bad("short.csv", "label,a,b,c,d\n1,1,2,3,4\n2,1,2,3\n")), /short\.csv: line 3: 4 fields, the header has 5/],
    ["NaN in a CSV", () => load(bad("nan.csv", "label,a,b,c,d\n1,1,2,3,4\n2,1,NaN,3,4\n")), /nan\.csv: line 3: column 2: "NaN" is not a number/],
    ["NaN in a float .npy", () => {
      const p = join(dir, "nan.npy");
      writeFileSync(p, encodeNpy("f4", [2, 2, 2], [0, 0.5, 1, 0, 0, Number.NaN, 0, 0]));
      return loadEvaluationData(`${p}:scale=0.01:zero-point=0`, { requireLabels: false });
    }, /nan\.npy: sample 1: value NaN at position 1/],
    ["a label out of the model's range", () => loadEvaluationData(csv, { requireLabels: true, classes: 5 }), /digits\.csv: line 7: label 5 is out of range 0\.\.4/],
    ["a negative label", () => load(bad("neg.csv", "label,a,b,c,d\n-1,1,2,3,4\n")), /neg\.csv: line 2: label -1 is not an integer >= 0/],
    ["counts that differ", () => {
      const y = join(dir, "y99.npy");
      writeFileSync(y, encodeNpy("u1", [599], digits.labels.subarray(0, 599)));
      return load(`${npyX},${y}`);
    }, /y99\.npy: 599 labels for 600 images in .*x\.npy/],
    ["a value that is not a byte", () => load(bad("big.csv", "label,a,b,c,d\n1,1,2,300,4\n")), /big\.csv: line 2: value 300 at position 2 is not a uint8/],
    ["a shape that does not match the model", () => loadEvaluationData(csv, { requireLabels: true, shape: [28, 28, 1] }), /digits\.csv: 64 values per sample, but the model input 28x28x1 has 784/],
    ["images of different sizes", () => {
      const d = join(dir, "sizes");
      mkdirSync(join(d, "a"), { recursive: true });
      writeFileSync(join(d, "a", "1.png"), encodePng({ width: 2, height: 2, data: new Uint8Array(4), channels: 1, depth: 8 }));
      writeFileSync(join(d, "a", "2.png"), encodePng({ width: 3, height: 2, data: new Uint8Array(6), channels: 1, depth: 8 }));
      return load(d);
    }, /sizes\/a\/2\.png: image is 2x3 \(HxW\), the first image .*1\.png is 2x2/],
    ["an unreadable image", () => {
      const d = join(dir, "corrupt");
      mkdirSync(join(d, "a"), { recursive: true });
      writeFileSync(join(d, "a", "x.png"), "not a png");
      return load(d);
    }, /corrupt\/a\/x\.png: cannot decode/],
    ["a missing file", () => load(join(dir, "missing.csv")), /missing\.csv: cannot read: ENOENT/],
    ["a truncated IDX file", () => {
      const p = join(dir, "trunc-images-idx3-ubyte");
      writeFileSync(p, encodeIdx("uint8", [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]).subarray(0, 20));
      return load(`${p},${idxY}`);
    }, /trunc-images-idx3-ubyte: truncated data/],
  ];
  it.each(cases)("%s", (_, fn, message) => {
    expect(fn).toThrow(DataError);
    expect(fn).toThrow(message);
  });

  it("the CLI exits 2 with the message", () => {
    const nan = join(dir, "nan.csv");
    const r = cli("train", "--dataset", nan, "-o", join(dir, "never.json"));
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/bad data: .*nan\.csv: line 3: column 2: "NaN" is not a number/);
  });
});

describe("strongnet train on user data", () => {
  it.each([
    ["cnn", "--augment", [], "--augment applies to --arch strong only, got --arch cnn"],
    ["dense-mlp", "--readout-hidden", ["16"], "--readout-hidden applies to --arch strong only, got --arch dense-mlp"],
    ["strong", "--adversarial", ["pgd"], "--adversarial applies to --arch cnn only, got --arch strong"],
  ])("refuses an option of another architecture (--arch %s %s), before training", (arch, flag, value, message) => {
    const out = join(dir, "never.json");
    const r = cli("train", "--dataset", csv, "--arch", arch, flag, ...value, "-o", out);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it("--label-smoothing, --readout-learning-rate and a two-layer --readout-hidden reach the read-out and the reproducing command", () => {
    const train = (file: string, ...flags: string[]) => {
      const out = join(dir, `${file}.json`);
      const r = cli("train", "--dataset", csv, "--budget-ops", "1500", "--readout-hidden", "8,4", "--label-smoothing", "0.1", ...flags, "--epochs", "10", "--threads", "1", "-o", out);
      expect(r.status, r.stderr).toBe(0);
      const metrics = JSON.parse(readFileSync(join(dir, `${file}.metrics.json`), "utf8"));
      const model = JSON.parse(readFileSync(out, "utf8"));
      return { out, metrics, model, weights: model.layers.filter((l: { kind: string }) => l.kind === "dense").map((l: { weights: string }) => l.weights) };
    };
    const slow = train("digits_smooth", "--readout-learning-rate", "0.02");
    expect(slow.metrics.details.labelSmoothing).toBe(0.1);
    expect(slow.metrics.details.readoutLearningRate).toBe(0.02);
    expect(slow.metrics.details.readout).toMatch(/^dense \d+-8-4-\d+ \(ReLU\)$/);
    expect(slow.metrics.command).toBe(`strongnet train --dataset ${csv} --arch strong --budget-ops 1500 --readout-hidden 8,4 --label-smoothing 0.1 --readout-learning-rate 0.02 --epochs 10 --seed 1 -o ${slow.out}`);
    expect(slow.model.metadata.builtBy).toBe(slow.metrics.command);
    // the default is 0.05: giving it changes nothing, another rate changes the weights
    const byDefault = train("digits_smooth_default");
    expect(byDefault.metrics.details.readoutLearningRate).toBe(0.05);
    expect(train("digits_smooth_05", "--readout-learning-rate", "0.05").weights).toEqual(byDefault.weights);
    expect(slow.weights).not.toEqual(byDefault.weights);
  });

  it("trains a strong model from CSV (CLI): the test count, the SPEC and the int8 rule are in the metadata", () => {
    const out = join(dir, "digits_strong.json");
    const r = cli("train", "--dataset", csv, "--budget-ops", "1500", "--epochs", "40", "--threads", "1", "-o", out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/accuracy \(test, 120 images\)/);
    const model = JSON.parse(readFileSync(out, "utf8"));
    expect(model.input.shape).toEqual([8, 8, 1]);
    expect(model.metadata.datasetSpec).toEqual({ train: csv });
    expect(model.metadata.inputQuantization).toEqual({ scale: 1 / 255, zeroPoint: -128 });
    expect(model.metadata.inputConversion).toMatch(/q = b - 128/);
    expect(model.metadata.testImages).toBe(120);
    expect(model.metadata.int8TestAccuracy).toBeGreaterThan(85); // chance is 10%
    const metrics = JSON.parse(readFileSync(join(dir, "digits_strong.metrics.json"), "utf8"));
    expect(metrics.split).toMatchObject({ test: 120, testRule: expect.stringMatching(/seeded/) });
    // --epochs reaches the strong read-out (default 30) and the reproducing command
    expect(metrics.details.readoutEpochs).toBe(40);
    expect(metrics.command).toBe(`strongnet train --dataset ${csv} --arch strong --budget-ops 1500 --epochs 40 --seed 1 -o ${out}`);
    expect(model.metadata.builtBy).toBe(metrics.command);
    // the vectors verify and report feed: the CSV's test split by default, --inputs with or without labels
    const graph = buildGraph(parseModel(model));
    const byMeta = testVectors(graph, { count: 20 });
    expect([byMeta.dataset, byMeta.counts.dataset, byMeta.vectors[0]!.label]).toEqual([csv, 16, expect.any(Number)]);
    const unlabelled = testVectors(graph, { count: 12, inputs: npyX });
    expect(unlabelled.counts.dataset).toBe(8);
    expect(unlabelled.vectors[0]!.label).toBeUndefined();
    expect(unlabelled.vectors[0]!.source).toBe(`${npyX} sample 0`);
    expect(testVectors(graph, { count: 12, inputs: `${npyX},${npyY}` }).vectors[3]!.label).toBe(3);
  });

  it("trains a dense model from the PNG/BMP folder with the CSV as test set, class names from the folders", async () => {
    const { model, metrics } = await trainModel({ dataset: folder, test: csv, arch: "dense-mlp", seed: 2, hidden: [24], name: "digits_dense", dense: { epochs: 12 } });
    expect(metrics.split.test).toBe(600);
    expect(metrics.accuracy.int8Test).toBeGreaterThan(60);
    expect(model.metadata?.classNames).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(model.metadata?.datasetSpec).toEqual({ train: folder, test: csv });
  });

  it("refuses colour images for the strong trainer, and explains", async () => {
    await expect(trainModel({ dataset: join(dir, "colour"), arch: "strong", seed: 1, name: "c" })).rejects.toThrow(/one-channel images; these have 3 channels \(add :channels=1/);
  });
});
