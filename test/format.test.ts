/**
 * Every way a model file can be malformed or inconsistent is refused with a ModelError that
 * names the field path and the reason.
 */
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ModelError } from "../src/format/errors.js";
import { loadModelFile, parseModel, saveModelFile } from "../src/format/load.js";
import type { ModelFileInput } from "../src/format/schema.js";
import { generateC } from "../src/codegen/index.js";
import { buildGraph, encodeInt8 } from "../src/ir/index.js";
import { randomModel } from "./helpers/random-model.js";

const identity = encodeInt8(Array.from({ length: 256 }, (_, i) => i - 128));

/** input 4x4x1 -> strong (2 neurons) -> summator (2) -> argmax */
function smallModel(): ModelFileInput {
  return {
    format: "strongnet-model",
    version: 1,
    name: "small",
    input: { shape: [4, 4, 1] },
    tables: [identity],
    layers: [
      { id: "s", kind: "strong", input: "input", neurons: [{ groups: [[{ input: 0, table: 0 }, { input: 5, table: 0 }]] }, { groups: [[{ input: 15, table: 0 }]] }] },
      { id: "sum", kind: "summator", input: "s", requant: { multiplier: 1, shift: 0 }, neurons: [{ bias: 0, terms: [{ input: 0, weight: 1 }] }, { bias: 3, terms: [{ input: 1, weight: -2 }] }] },
      { id: "cls", kind: "argmax", input: "sum" },
    ],
    output: "cls",
  };
}

function load(model: unknown) {
  return buildGraph(parseModel(model));
}

/** Applies `edit` to a fresh small model and expects the given field and reason. */
function expectRefused(edit: (m: any) => void, field: string, reason: RegExp) {
  const m = structuredClone(smallModel()) as any;
  edit(m);
  let error: unknown;
  try {
    load(m);
  } catch (err) {
    error = err;
  }
  expect(error, "the model should be refused").toBeInstanceOf(ModelError);
  expect((error as ModelError).field).toBe(field);
  expect((error as ModelError).reason).toMatch(reason);
  expect((error as ModelError).message).toBe(`${field}: ${(error as ModelError).reason}`);
}

describe("model file validation", () => {
  it("accepts the small model and random models with every layer kind", () => {
    expect(load(smallModel()).layers.map((l) => l.id)).toEqual(["s", "sum", "cls"]);
    for (const seed of [1, 2, 3]) expect(load(randomModel(seed)).layers.length).toBeGreaterThan(5);
  });

  it("refuses an unknown version, naming the supported one", () => {
    expectRefused((m) => (m.version = 2), "version", /unsupported version 2 .*version 1/);
  });

  it("refuses a file that is not a strongnet model", () => {
    expectRefused((m) => (m.format = "onnx"), "format", /expected "strongnet-model"/);
  });

  it("refuses bad base64 in a table", () => {
    expectRefused((m) => (m.tables[0] = "not*base64!"), "tables[0]", /not valid base64/);
  });

  it("refuses a table of the wrong size", () => {
    expectRefused((m) => (m.tables[0] = encodeInt8([1, 2, 3])), "tables[0]", /256 entries.*3 bytes/);
  });

  it("refuses a literal whose input index is out of range", () => {
    expectRefused((m) => (m.layers[0].neurons[0].groups[0][1].input = 16), "layers[0].neurons[0].groups[0][1].input", /index 16 is out of range \(input has 16\)/);
  });

  it("refuses a literal that names a missing table", () => {
    expectRefused((m) => (m.layers[0].neurons[1].groups[0][0].table = 4), "layers[0].neurons[1].groups[0][0].table", /out of range \(tables has 1\)/);
  });

  it("refuses a summator term out of range", () => {
    expectRefused((m) => (m.layers[1].neurons[1].terms[0].input = 2), "layers[1].neurons[1].terms[0].input", /index 2 is out of range/);
  });

  it("refuses a neuron over the literal bound", () => {
    expectRefused(
      (m) => (m.layers[0].neurons[0].groups = [Array.from({ length: 17 }, () => ({ input: 0, table: 0 }))]),
      "layers[0].neurons[0].groups",
      /17 literals, more than maxLiterals \(16\)/,
    );
  });

  it("honours a file's own literal bound", () => {
    expectRefused((m) => (m.maxLiterals = 1), "layers[0].neurons[0].groups", /2 literals, more than maxLiterals \(1\)/);
  });

  it("refuses dense weights of the wrong shape", () => {
    expectRefused(
      (m) => (m.layers[1] = { id: "sum", kind: "dense", input: "s", units: 3, weights: encodeInt8([1, 2, 3, 4, 5]), bias: [0, 0, 0], requant: { multiplier: 1, shift: 0 } }),
      "layers[1].weights",
      /expected 6 values \(units \(3\) x inputs \(2\)\), got 5/,
    );
  });

  it("refuses a bias of the wrong length", () => {
    expectRefused(
      (m) => (m.layers[1] = { id: "sum", kind: "dense", input: "s", units: 2, weights: encodeInt8([1, 2, 3, 4]), bias: [0], requant: { multiplier: 1, shift: 0 } }),
      "layers[1].bias",
      /expected 2 values \(units\), got 1/,
    );
  });

  it("refuses conv weights that do not match filters x kernel x channels", () => {
    expectRefused(
      (m) => (m.layers[0].input = "c") && m.layers.unshift({ id: "c", kind: "conv2d", input: "input", filters: 2, kernel: [3, 3], weights: encodeInt8(new Array(17).fill(1)), bias: [0, 0], requant: { multiplier: 1, shift: 0 } }),
      "layers[0].weights",
      /expected 18 values/,
    );
  });

  it("refuses a window larger than the input", () => {
    expectRefused((m) => (m.layers[0].input = "p") && m.layers.unshift({ id: "p", kind: "maxpool", input: "input", pool: [5, 5] }), "layers[0].kernel", /larger than the padded input 4x4/);
  });

  it("refuses a clamp whose min is above its max, and out-of-range bounds", () => {
    const clampFirst = (c: object) => (m: any) => (m.layers[0].input = "c") && m.layers.unshift({ id: "c", kind: "clamp", input: "input", ...c });
    expectRefused(clampFirst({ min: 5, max: 4 }), "layers[0].min", /min \(5\) is above max \(4\)/);
    expectRefused(clampFirst({ min: -129 }), "layers[0].min", />=-128/);
    expectRefused(clampFirst({ max: 128 }), "layers[0].max", /<=127/);
  });

  it("a clamp is a ReLU: it keeps the shape, and min and max default to the int8 range", () => {
    const m = structuredClone(smallModel()) as any;
    m.layers[0].input = "c";
    m.layers.unshift({ id: "c", kind: "clamp", input: "input", min: 0 });
    const graph = load(m);
    expect(graph.layers[0]).toMatchObject({ kind: "clamp", min: 0, max: 127, inputShape: [4, 4, 1], outputShape: [4, 4, 1] });
  });

  it("refuses a softmax TFLite's kernel cannot run: rows over 511 values, shifted differences beyond int32, bad fields", () => {
    const params = { inputMultiplier: 1077952640, inputLeftShift: 19, diffMin: -3968 };
    const softmaxFirst = (p: object) => (m: any) => (m.layers[0].input = "p") && m.layers.unshift({ id: "p", kind: "softmax", input: "input", ...params, ...p });
    const wide = (m: any) => {
      m.input.shape = [1, 1, 512];
      softmaxFirst({})(m);
    };
    expectRefused(wide, "layers[0].input", /softmax over rows of 512 values; .* at most 511/);
    expectRefused(softmaxFirst({ inputLeftShift: 24, diffMin: -200 }), "layers[0].diffMin", /a difference of -200 shifted left by 24 overflows int32; TFLite's diffMin for this shift is -124/);
    expectRefused(softmaxFirst({ inputMultiplier: 0 }), "layers[0].inputMultiplier", />=1/);
    expectRefused(softmaxFirst({ inputLeftShift: 32 }), "layers[0].inputLeftShift", /<=31/);
    expectRefused(softmaxFirst({ diffMin: 1 }), "layers[0].diffMin", /<=0/);
  });

  it("refuses a cycle, naming it", () => {
    // cls reads sum, sum reads s, s reads sum: the walk back from the output meets sum twice.
    expectRefused((m) => (m.layers[0].input = "sum"), "layers[1].input", /cycle: sum -> s -> sum/);
  });

  it("refuses a reference to a missing layer", () => {
    expectRefused((m) => (m.layers[1].input = "nope"), "layers[1].input", /no layer has id "nope"/);
  });

  it("refuses an unknown output", () => {
    expectRefused((m) => (m.output = "logits"), "output", /no layer has id "logits"/);
  });

  it("refuses duplicate ids", () => {
    expectRefused((m) => (m.layers[1].id = "s"), "layers[1].id", /duplicate id "s"/);
  });

  it("refuses layers that do not reach the output", () => {
    expectRefused((m) => (m.output = "sum"), "layers[2]", /does not contribute to the output/);
  });

  it("refuses ids that are not C identifiers", () => {
    expectRefused((m) => (m.layers[2].id = "2cls"), "layers[2].id", /C identifier/);
  });

  it("refuses an unknown layer kind and unknown fields", () => {
    expectRefused((m) => (m.layers[2].kind = "gelu"), "layers[2].kind", /./);
    expectRefused((m) => (m.layers[2].dropout = 0.5), "layers[2]", /dropout/);
  });

  it("refuses out-of-range integers with the field path", () => {
    expectRefused((m) => (m.layers[1].neurons[0].terms[0].weight = 128), "layers[1].neurons[0].terms[0].weight", /128|<=127|too big/i);
    expectRefused((m) => (m.layers[1].requant.shift = 63), "layers[1].requant.shift", /./);
  });

  it("refuses weights whose worst-case accumulator overflows int32", () => {
    expectRefused((m) => (m.layers[1].neurons[0].bias = 2 ** 31 - 100), "layers[1].neurons[0]", /overflows int32/);
  });

  it("refuses argmax over more than 128 values", () => {
    expectRefused(
      (m) => (m.layers[1].neurons = Array.from({ length: 129 }, () => ({ bias: 0, terms: [{ input: 0, weight: 1 }] }))),
      "layers[2].input",
      /at most 128/,
    );
  });

  it("loading a file that is not JSON, or missing, gives a one-line error", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-format-"));
    writeFileSync(join(dir, "bad.json"), "{ nope");
    expect(() => loadModelFile(join(dir, "bad.json"))).toThrow(/bad\.json is not valid JSON/);
    expect(() => loadModelFile(join(dir, "missing.json"))).toThrow(/cannot read model file .*missing\.json: ENOENT/);
  });

  it("save validates first and writes atomically (no temp file left, invalid model writes nothing)", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-format-"));
    const path = join(dir, "m.json");
    saveModelFile(path, smallModel());
    expect(loadModelFile(path).name).toBe("small");
    const before = readFileSync(path, "utf8");
    const broken = structuredClone(smallModel()) as any;
    broken.version = 9;
    expect(() => saveModelFile(path, broken)).toThrow(ModelError);
    expect(readFileSync(path, "utf8")).toBe(before);
    expect(readdirSync(dir)).toEqual(["m.json"]);
  });
});

describe("hardening found by the malformed-model corpus", () => {
  it("refuses model names whose files would collide with the verify build or a C header", () => {
    for (const name of ["startup", "sn_semihost", "stdint", "stdio"]) expectRefused((m) => (m.name = name), "name", /is reserved/);
  });

  it("refuses nesting deeper than 64 levels (the model hash recursed until the stack overflowed)", () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 5000; i++) deep = (deep.x = {}) as Record<string, unknown>;
    expectRefused((m) => (m.metadata = root), "metadata.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x", /nested more than 64 levels/);
  });

  it("refuses a tensor over 16 Mi values at load, naming it", () => {
    expectRefused((m) => (m.input.shape = [65536, 65536, 1]), "input.shape", /larger than 16777216/);
  });

  it("refuses a UTF-8 byte order mark with a visible reason", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-bom-"));
    const path = join(dir, "m.json");
    writeFileSync(path, "\uFEFF" + JSON.stringify(smallModel()));
    expect(() => loadModelFile(path)).toThrow(/byte order mark \(EF BB BF\)/);
  });

  it("refuses a key given twice in one object, naming its path (JSON.parse would keep the last silently)", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-dupkey-"));
    const path = join(dir, "m.json");
    const text = JSON.stringify(smallModel(), null, 1);
    // a second "input" key in the second layer, and a layer's key equal to a nested one elsewhere
    const twice = text.replace(/("id": "sum",)/, '$1\n  "input": "s",');
    expect(twice).not.toBe(text);
    writeFileSync(path, twice);
    expect(() => loadModelFile(path)).toThrow(ModelError);
    expect(() => loadModelFile(path)).toThrow(/layers\[1\]\.input: appears twice in the same object/);
    // the same key in different objects, and key-like text inside strings, are fine
    writeFileSync(path, text.replace('"name": "', '"description": "\\"id\\": 1, \\"id\\": 2", "name": "'));
    expect(loadModelFile(path).name).toBe(smallModel().name);
  });

  it("refuses layer ids whose C symbols collide (a layer 'bias' and a layer 'layer' with a bias array)", () => {
    const m = structuredClone(smallModel()) as any;
    m.layers[1].id = "layer"; // summator: arrays layer_bias, layer_term_end, ...
    m.layers[2].input = "layer";
    m.layers.splice(2, 0, { id: "bias", kind: "lut", input: "layer", table: 0 });
    m.layers[3].input = "bias";
    let error: unknown;
    try {
      generateC(load(m));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).message).toMatch(/C symbol "layer_bias" would name both/);
  });

  it("keeps descriptions with /* and trigraphs inside the banner comment", () => {
    const m = structuredClone(smallModel()) as any;
    m.description = "evil /* nested ??/ trigraph ??= */ end";
    const { source } = generateC(load(m));
    const banner = source.slice(0, source.indexOf("*/") + 2);
    expect(banner).toContain("evil / * nested ? ?/ trigraph ? ?= * / end");
    expect(source.slice(2, source.indexOf("*/"))).not.toMatch(/\/\*|\?\?/);
  });
});
