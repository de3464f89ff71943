/**
 * Fuzzing the front end (issue "A package firmware teams can install", item 1): thousands of
 * mutated model files and mutated TFLite files go through load, graph building, planning, code
 * generation and the reference interpreter. Each must either work or be refused with the
 * project's error type (ModelError, exit 2, naming a field); any other exception is a defect.
 * Deterministic: the mutations come from fixed seeds, so a failure names a reproducible case.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import { ModelError } from "../src/format/errors.js";
import { parseModel } from "../src/format/load.js";
import { convertTflite } from "../src/import/index.js";
import { readTflite } from "../src/import/tflite/read.js";
import { convertOnnx, readOnnx } from "../src/import/onnx/index.js";
import onnxProto from "onnx-proto";
import { coverageModel, integerOpModel, qlinearConvModel, qlinearMatMulModel } from "./helpers/onnx.js";
import { buildGraph, shapeSize } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";
import { Rng } from "../src/util/random.js";
import { randomModel } from "./helpers/random-model.js";

type Json = unknown;

/** Every [container, key] pair in a JSON tree, so a mutation can pick one at random. */
function slots(root: Json): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (v: Json) => {
    if (Array.isArray(v)) v.forEach((child, i) => (out.push([v, i]), walk(child)));
    else if (v && typeof v === "object") for (const [k, child] of Object.entries(v)) out.push([v as Record<string, unknown>, k]), walk(child);
  };
  walk(root);
  return out;
}

const EXTREMES = [0, -1, 1, 2, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 0.5, -0.5, 1e308, -1e308];

/** One random mutation of a value: an extreme number, another type, a nudge, a garbled string. */
function mutant(rng: Rng, value: Json, pick: () => Json): Json {
  switch (rng.int(0, 9)) {
    case 0:
      return EXTREMES[rng.int(0, EXTREMES.length - 1)];
    case 1:
      return typeof value === "number" ? value + rng.int(-3, 3) : rng.int(-300, 300);
    case 2:
      return ["", "x", "input", "AAAA", "////", "-", "layer"][rng.int(0, 6)];
    case 3:
      return [null, true, [], {}][rng.int(0, 3)];
    case 4:
      return typeof value === "string" && value.length > 2 ? value.slice(0, rng.int(0, value.length - 1)) : value;
    case 5:
      return Array.isArray(value) && value.length > 0 ? [...value, ...value] : value;
    case 6:
      return Array.isArray(value) ? value.slice(1) : value;
    case 7:
      return structuredClone(pick());
    case 8:
      return typeof value === "number" ? -value : value;
    default:
      return typeof value === "string" ? value.split("").reverse().join("") : value;
  }
}

function mutate(base: Json, rng: Rng): Json {
  const model = structuredClone(base);
  const all = slots(model);
  const pick = () => {
    const [c, k] = all[rng.int(0, all.length - 1)]!;
    return (c as Record<string | number, unknown>)[k];
  };
  for (let n = rng.int(1, 3); n > 0; n--) {
    const [container, key] = all[rng.int(0, all.length - 1)]!;
    const c = container as Record<string | number, unknown>;
    if (rng.int(0, 7) === 0) {
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete c[key];
    } else {
      c[key] = mutant(rng, c[key], pick);
    }
  }
  return model;
}

/** Runs the whole front end: "ok", "refused" (a ModelError), or the unexpected exception. */
function frontEnd(model: Json, rng: Rng): "ok" | "refused" | { unexpected: unknown } {
  try {
    const graph = buildGraph(parseModel(model));
    generateC(graph);
    const input = rng.int8Array(shapeSize(graph.inputShape));
    predict(graph, input);
    return "ok";
  } catch (err) {
    return err instanceof ModelError ? "refused" : { unexpected: err };
  }
}

const describeFailure = (i: number, err: unknown) => `case ${i}: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack?.split("\n").slice(1, 4).join("\n")}` : String(err)}`;

describe("fuzz: mutated model files", () => {
  const bases = [1, 2, 3, 4, 5].map((seed) => randomModel(seed));
  const models = JSON.parse(readFileSync(join("models", "mnist_demo.json"), "utf8")) as Json;

  it("5,000 mutations of random models (every layer kind) are compiled or refused with ModelError", () => {
    const failures: string[] = [];
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const rng = new Rng(1000 + i);
      const model = mutate(bases[i % bases.length], rng);
      const result = frontEnd(model, rng);
      if (typeof result === "object") failures.push(describeFailure(i, result.unexpected));
      else if (result === "ok") accepted++;
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // the mutations are not all trivially refused: many still compile and run
    expect(accepted).toBeGreaterThan(500);
  });

  it("500 mutations of the shipped demo model likewise", () => {
    const failures: string[] = [];
    for (let i = 0; i < 500; i++) {
      const rng = new Rng(90000 + i);
      const result = frontEnd(mutate(models, rng), rng);
      if (typeof result === "object") failures.push(describeFailure(i, result.unexpected));
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });
});

describe("fuzz: mutated TFLite files", () => {
  const files = ["hello_world_int8.tflite", "micro_speech_quantized.tflite"].map((f) => new Uint8Array(readFileSync(join("test", "fixtures", "tflite", f))));

  it("1,000 byte-level mutations are imported or refused with ModelError", () => {
    const failures: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const rng = new Rng(50000 + i);
      const bytes = files[i % files.length]!.slice();
      const flips = rng.int(1, 8);
      for (let f = 0; f < flips; f++) {
        const at = rng.int(0, bytes.length - 1);
        bytes[at] = [0, 0xff, 0x7f, 0x80, rng.int(0, 255), bytes[at]! ^ (1 << rng.int(0, 7))][rng.int(0, 5)]!;
      }
      const cut = rng.int(0, 9) === 0 ? bytes.subarray(0, rng.int(0, bytes.length)) : bytes;
      try {
        const model = convertTflite(readTflite(cut, `mutant-${i}.tflite`));
        const result = frontEnd(model, rng);
        if (typeof result === "object") failures.push(describeFailure(i, result.unexpected));
      } catch (err) {
        if (!(err instanceof ModelError)) failures.push(describeFailure(i, err));
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });
});

describe("fuzz: mutated ONNX files", () => {
  const { onnx } = onnxProto;
  const fixtures = join("test", "fixtures", "onnx");
  const files = [
    readFileSync(join(fixtures, "synthetic_qdq_conv_matmul_s8.onnx")),
    readFileSync(join(fixtures, "mnist-8", "model.onnx")),
    qlinearConvModel({ channels: 2, size: 5, filters: 4, kernel: 3, stride: 1, pad: 1, group: 2, seed: 1 }),
    qlinearMatMulModel(6, 3, 2),
    integerOpModel("ConvInteger", 3).bytes,
    coverageModel(1),
  ].map((b) => new Uint8Array(b));

  /** import without calibration: QDQ/QLinear models convert, float ones are refused after lowering */
  function importer(bytes: Uint8Array, i: number, rng: Rng): "ok" | "refused" | string {
    try {
      const result = frontEnd(convertOnnx(readOnnx(bytes, `mutant-${i}.onnx`)), rng);
      return typeof result === "object" ? describeFailure(i, result.unexpected) : result;
    } catch (err) {
      return err instanceof ModelError ? "refused" : describeFailure(i, err);
    }
  }
  const isFailure = (r: string) => r !== "ok" && r !== "refused";

  it("1,000 byte-level mutations are imported or refused with ModelError", () => {
    const failures: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const rng = new Rng(70000 + i);
      const bytes = files[i % files.length]!.slice();
      for (let f = rng.int(1, 8); f > 0; f--) {
        const at = rng.int(0, bytes.length - 1);
        bytes[at] = [0, 0xff, 0x7f, 0x80, rng.int(0, 255), bytes[at]! ^ (1 << rng.int(0, 7))][rng.int(0, 5)]!;
      }
      const cut = rng.int(0, 9) === 0 ? bytes.subarray(0, rng.int(0, bytes.length)) : bytes;
      const result = importer(cut, i, rng);
      if (isFailure(result)) failures.push(result);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it("3,000 structural mutations (attributes, dims, operands, types) likewise", () => {
    const failures: string[] = [];
    let converted = 0;
    const numbers = [0, 1, 2, 3, -1, -2, 7, 255, 2 ** 31, -(2 ** 31), 1e9];
    for (let i = 0; i < 3000; i++) {
      const rng = new Rng(80000 + i);
      const model = onnx.ModelProto.decode(files[i % files.length]!);
      const g = model.graph!;
      for (let m = rng.int(1, 3); m > 0 && g.node!.length > 0; m--) {
        const node = g.node![rng.int(0, g.node!.length - 1)]!;
        const init = g.initializer![rng.int(0, g.initializer!.length - 1)]!;
        const n = numbers[rng.int(0, numbers.length - 1)]!;
        switch (rng.int(0, 6)) {
          case 0: {
            const a = node.attribute?.[rng.int(0, Math.max(0, (node.attribute?.length ?? 1) - 1))];
            if (a?.ints?.length) a.ints[rng.int(0, a.ints.length - 1)] = n;
            else if (a) a.i = n;
            break;
          }
          case 1:
            if (init.dims?.length) init.dims[rng.int(0, init.dims.length - 1)] = n;
            break;
          case 2:
            node.input![rng.int(0, node.input!.length - 1)] = g.node![rng.int(0, g.node!.length - 1)]!.output![0]!;
            break;
          case 3:
            init.dataType = [1, 2, 3, 6, 7, 10, 11][rng.int(0, 6)]!;
            break;
          case 4:
            node.opType = ["Conv", "MatMul", "Relu", "Reshape", "Transpose", "QuantizeLinear", "DequantizeLinear", "Add", "Softmax", "MaxPool", "Mul", "Cast", "ConvInteger"][rng.int(0, 12)]!;
            break;
          case 5:
            node.input!.splice(rng.int(0, node.input!.length - 1), 1);
            break;
          default:
            g.node!.splice(rng.int(0, g.node!.length - 1), 1);
        }
      }
      const result = importer(onnx.ModelProto.encode(model).finish(), i, rng);
      if (isFailure(result)) failures.push(result);
      else if (result === "ok") converted++;
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // the mutations are not all trivially refused: mutants of the quantized models still convert,
    // compile and run (the float ones are refused after lowering: they need --calibrate)
    expect(converted).toBeGreaterThan(100);
  });
});
