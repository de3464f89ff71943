/**
 * The TFLite reader: the fixture models read with the facts their provenance records (asserted
 * from test/fixtures/tflite/README.md, not from the reader), every malformed file is refused with
 * a ModelError naming the field and the file, and seeded mutations of the fixtures never make it
 * throw anything else.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as flatbuffers from "flatbuffers";
import { describe, expect, it } from "vitest";
import { ModelError } from "../src/format/errors.js";
import { parseModel } from "../src/format/load.js";
import { convertTflite } from "../src/import/tflite/convert.js";
import { buildGraph } from "../src/ir/index.js";
import { describeUnsupported, readTflite, readTfliteFile, type TfliteGraph } from "../src/import/tflite/read.js";
import * as fb from "../src/import/tflite/schema/schema_generated.js";
import { Rng } from "../src/util/random.js";
import { buildTflite, smallModel, type SpecModel } from "./helpers/tflite-builder.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "tflite");
const MODELS = [
  "hello_world_int8",
  "hello_world_float",
  "micro_speech_quantized",
  "person_detect",
  "simple_add_model",
  "tiny_kws_ref_model_int8",
  "tiny_kws_ref_model_float32",
] as const;
type ModelName = (typeof MODELS)[number];

const fixturePath = (name: ModelName): string => join(FIXTURES, `${name}.tflite`);
const fixtureBytes = (name: ModelName): Uint8Array => new Uint8Array(readFileSync(fixturePath(name)));
const read = (name: ModelName): TfliteGraph => readTfliteFile(fixturePath(name));

const count = (g: TfliteGraph, opcode: string): number => g.operators.filter((o) => o.opcode === opcode).length;
const opcodes = (g: TfliteGraph): Set<string> => new Set(g.operators.map((o) => o.opcode));
const input = (g: TfliteGraph, i = 0) => g.tensors[g.inputs[i]!]!;
const output = (g: TfliteGraph, i = 0) => g.tensors[g.outputs[i]!]!;

const INT8_OPS = new Set(["FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "RESHAPE", "SOFTMAX", "ADD"]);
const INT8_TYPES = new Set(["INT8", "INT32"]);

/** the ModelError `fn` throws (fails the test if it throws anything else or nothing) */
function modelError(fn: () => unknown): ModelError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModelError) return err;
    throw new Error(`expected a ModelError, got ${String(err)}`);
  }
  throw new Error("expected a ModelError, nothing was thrown");
}

/** invariants every successfully read graph satisfies */
function checkGraph(g: TfliteGraph): void {
  const n = g.tensors.length;
  for (const i of [...g.inputs, ...g.outputs]) expect(i >= 0 && i < n).toBe(true);
  for (const op of g.operators) {
    for (const i of op.inputs) expect(i >= -1 && i < n).toBe(true);
    for (const i of op.outputs) expect(i >= 0 && i < n).toBe(true);
    expect(typeof op.opcode).toBe("string");
  }
  g.tensors.forEach((t, i) => {
    expect(t.index).toBe(i);
    if (t.quantization) expect(t.quantization.zeroPoint.length).toBe(t.quantization.scale.length);
  });
}

describe("fixture models", () => {
  it("every fixture reads, with subgraph 0, schema version 3 and its tensors in range", () => {
    for (const name of MODELS) {
      const g = read(name);
      expect(g.file).toBe(fixturePath(name));
      expect(g.version).toBe(3);
      expect(g.subgraphCount).toBe(1);
      expect(g.operators.length).toBeGreaterThan(0);
      checkGraph(g);
      // the same bytes from memory give the same graph
      expect(readTflite(fixtureBytes(name), g.file)).toEqual(g);
    }
  });

  it("hello_world_int8: 3 FULLY_CONNECTED, int8 [1,1] in and out with the recorded quantization", () => {
    const g = read("hello_world_int8");
    expect(g.operators.map((o) => o.opcode)).toEqual(["FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED"]);
    const inp = input(g);
    expect(inp.type).toBe("INT8");
    expect(inp.shape).toEqual([1, 1]);
    expect(inp.quantization!.scale[0]).toBeCloseTo(0.0244801, 6);
    expect(inp.quantization!.zeroPoint).toEqual([-128]);
    const out = output(g);
    expect(out.type).toBe("INT8");
    expect(out.shape).toEqual([1, 1]);
    expect(out.quantization!.scale[0]).toBeCloseTo(0.00829096, 7);
    expect(out.quantization!.zeroPoint).toEqual([5]);
    expect(g.operators[0]!.options.fusedActivationFunction).toBe("RELU");
    // weights: constant int8 data of shape x 1 byte
    const w = g.tensors[g.operators[0]!.inputs[1]!]!;
    expect(w.type).toBe("INT8");
    expect(w.data!.length).toBe(w.shape.reduce((a, b) => a * b, 1));
    expect(inp.data).toBeUndefined();
  });

  it("micro_speech: RESHAPE, DEPTHWISE_CONV_2D (x8, stride 2, SAME, RELU, per-channel on dim 3), FULLY_CONNECTED, SOFTMAX", () => {
    const g = read("micro_speech_quantized");
    expect(g.operators.map((o) => o.opcode)).toEqual(["RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]);
    const dw = g.operators[1]!;
    expect(dw.options).toMatchObject({
      padding: "SAME",
      strideW: 2,
      strideH: 2,
      depthMultiplier: 8,
      fusedActivationFunction: "RELU",
      dilationWFactor: 1,
      dilationHFactor: 1,
    });
    const filter = g.tensors[dw.inputs[1]!]!;
    expect(filter.type).toBe("INT8");
    expect(filter.shape.slice(1, 3)).toEqual([10, 8]);
    expect(filter.quantization!.quantizedDimension).toBe(3);
    expect(filter.quantization!.scale.length).toBe(filter.shape[3]);
    expect(filter.quantization!.scale.length).toBe(8);
    expect(g.operators[3]!.options).toEqual({ beta: 1 });
    expect(Array.isArray(g.operators[0]!.options.newShape)).toBe(true);
    expect(input(g).type).toBe("INT8");
    expect(input(g).shape).toEqual([1, 1960]);
    expect(output(g).type).toBe("INT8");
    expect(output(g).shape).toEqual([1, 4]);
  });

  it("person_detect: 14 CONV_2D, 14 DEPTHWISE_CONV_2D with RELU6, AVERAGE_POOL_2D, RESHAPE, SOFTMAX; in [1,96,96,1]", () => {
    const g = read("person_detect");
    expect(count(g, "CONV_2D")).toBe(14);
    expect(count(g, "DEPTHWISE_CONV_2D")).toBe(14);
    expect(count(g, "AVERAGE_POOL_2D")).toBe(1);
    expect(count(g, "RESHAPE")).toBe(1);
    expect(count(g, "SOFTMAX")).toBe(1);
    expect(g.operators.length).toBe(31);
    for (const op of g.operators.filter((o) => o.opcode === "DEPTHWISE_CONV_2D")) {
      expect(op.options.fusedActivationFunction).toBe("RELU6");
    }
    expect(input(g).type).toBe("INT8");
    expect(input(g).shape).toEqual([1, 96, 96, 1]);
    expect(output(g).shape).toEqual([1, 2]);
    expect(describeUnsupported(g, INT8_OPS, INT8_TYPES)).toEqual([]);
  });

  it("simple_add_model: one ADD of two int8 [1,128,128,1] inputs with different scales", () => {
    const g = read("simple_add_model");
    expect(g.operators.map((o) => o.opcode)).toEqual(["ADD"]);
    expect(g.inputs.length).toBe(2);
    const [a, b] = [input(g, 0), input(g, 1)];
    for (const t of [a, b]) {
      expect(t.type).toBe("INT8");
      expect(t.shape).toEqual([1, 128, 128, 1]);
    }
    expect(a.quantization!.scale[0]).not.toBe(b.quantization!.scale[0]);
    expect(g.operators[0]!.inputs).toEqual(g.inputs);
    expect(g.operators[0]!.options.fusedActivationFunction).toBe("NONE");
  });

  it("tiny_kws int8: in int8 [1,49,10,1] s=0.584703 zp=83, out [1,12]; the DS-CNN ops", () => {
    const g = read("tiny_kws_ref_model_int8");
    const inp = input(g);
    expect(inp.type).toBe("INT8");
    expect(inp.shape).toEqual([1, 49, 10, 1]);
    expect(inp.quantization!.scale[0]).toBeCloseTo(0.584703, 5);
    expect(inp.quantization!.zeroPoint).toEqual([83]);
    expect(output(g).shape).toEqual([1, 12]);
    expect(opcodes(g)).toEqual(new Set(["CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"]));
    expect(count(g, "DEPTHWISE_CONV_2D")).toBe(4);
    // Keras export: batch dimension -1 in the signature, 1 in the stored shape; not "dynamic"
    expect(inp.shapeSignature).toEqual([-1, 49, 10, 1]);
    expect(describeUnsupported(g, INT8_OPS, INT8_TYPES)).toEqual([]);
  });

  it("the float models have FLOAT32 tensors and describeUnsupported reports them", () => {
    for (const name of ["hello_world_float", "tiny_kws_ref_model_float32"] as const) {
      const g = read(name);
      expect(input(g).type).toBe("FLOAT32");
      const floats = g.tensors.filter((t) => t.type === "FLOAT32");
      expect(floats.length).toBeGreaterThan(0);
      const lines = describeUnsupported(g, INT8_OPS, INT8_TYPES);
      const line = lines.find((l) => l.startsWith("tensor type FLOAT32"));
      expect(line).toBeDefined();
      expect(line).toContain(`x${floats.length}:`);
      expect(line).toContain(JSON.stringify(input(g).name));
    }
  });
});

describe("describeUnsupported", () => {
  it("lists unsupported operators with counts and indices, and tensor types with names", () => {
    const g = read("micro_speech_quantized");
    const lines = describeUnsupported(g, new Set(["FULLY_CONNECTED", "SOFTMAX"]), new Set(["INT8"]));
    expect(lines).toContain("operator RESHAPE x1 (operator 0)");
    expect(lines).toContain("operator DEPTHWISE_CONV_2D x1 (operator 1)");
    const int32 = lines.find((l) => l.startsWith("tensor type INT32 x"));
    expect(int32).toBeDefined();
    const p = read("person_detect");
    const dw = describeUnsupported(p, new Set(["CONV_2D"]), INT8_TYPES).find((l) => l.startsWith("operator DEPTHWISE_CONV_2D"));
    expect(dw).toMatch(/^operator DEPTHWISE_CONV_2D x14 \(operators 0, 1, 3, .*\.\.\.\)$/);
  });

  it("reports extra subgraphs, dynamic shapes outside the batch dimension and batch > 1", () => {
    const spec = smallModel();
    spec.subgraphs = 2;
    spec.tensors[0]!.shape = [4, 4];
    spec.tensors[3]!.shapeSignature = [1, -1];
    const g = readTflite(buildTflite(spec), "spec.tflite");
    const lines = describeUnsupported(g, INT8_OPS, INT8_TYPES);
    expect(lines).toContain("subgraphs x2: only a single subgraph is supported (control flow or multiple signatures)");
    expect(lines).toContain('dynamic shape x1: "out" [1,-1]');
    expect(lines).toContain('batch 4 on input "in" [4,4]: only batch 1 is supported');
    expect(lines.length).toBe(3);
  });
});

describe("a model built with the flatbuffers Builder", () => {
  it("reads back exactly what was written", () => {
    const g = readTflite(buildTflite(smallModel()), "small.tflite");
    expect(g.description).toBe("built by strongnet's tests");
    expect(g.inputs).toEqual([0]);
    expect(g.outputs).toEqual([3]);
    expect(g.operators).toEqual([
      {
        index: 0,
        opcode: "FULLY_CONNECTED",
        version: 4,
        inputs: [0, 1, 2],
        outputs: [3],
        options: {
          fusedActivationFunction: "RELU6",
          weightsFormat: "DEFAULT",
          keepNumDims: false,
          asymmetricQuantizeInputs: false,
          quantizedBiasType: "FLOAT32",
        },
      },
    ]);
    expect(g.tensors[1]).toEqual({
      index: 1,
      name: "w",
      shape: [2, 4],
      type: "INT8",
      buffer: 2,
      data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
      quantization: { scale: [expect.closeTo(0.01, 7)], zeroPoint: [0], quantizedDimension: 0 },
      isVariable: false,
    });
    expect(g.tensors[3]!.shapeSignature).toEqual([-1, 2]);
    expect(g.tensors[0]!.data).toBeUndefined();
  });

  it("decodes the options of the operators the converter needs, enums by name", () => {
    const cases: Array<[fb.BuiltinOperator, (b: flatbuffers.Builder) => [fb.BuiltinOptions, number], Record<string, unknown>]> = [
      [
        fb.BuiltinOperator.CONV_2D,
        (b) => [fb.BuiltinOptions.Conv2DOptions, fb.Conv2DOptions.createConv2DOptions(b, fb.Padding.VALID, 2, 3, fb.ActivationFunctionType.RELU, 1, 2, fb.TensorType.INT32)],
        { padding: "VALID", strideW: 2, strideH: 3, fusedActivationFunction: "RELU", dilationWFactor: 1, dilationHFactor: 2, quantizedBiasType: "INT32" },
      ],
      [
        fb.BuiltinOperator.MAX_POOL_2D,
        (b) => [fb.BuiltinOptions.Pool2DOptions, fb.Pool2DOptions.createPool2DOptions(b, fb.Padding.SAME, 2, 2, 3, 3, fb.ActivationFunctionType.NONE)],
        { padding: "SAME", strideW: 2, strideH: 2, filterWidth: 3, filterHeight: 3, fusedActivationFunction: "NONE" },
      ],
      [
        fb.BuiltinOperator.SQUEEZE,
        (b) => [fb.BuiltinOptions.SqueezeOptions, fb.SqueezeOptions.createSqueezeOptions(b, fb.SqueezeOptions.createSqueezeDimsVector(b, [1, 2]))],
        { squeezeDims: [1, 2] },
      ],
      [
        fb.BuiltinOperator.RESHAPE,
        (b) => [fb.BuiltinOptions.ReshapeOptions, fb.ReshapeOptions.createReshapeOptions(b, fb.ReshapeOptions.createNewShapeVector(b, [1, -1]))],
        { newShape: [1, -1] },
      ],
      [fb.BuiltinOperator.SOFTMAX, (b) => [fb.BuiltinOptions.SoftmaxOptions, fb.SoftmaxOptions.createSoftmaxOptions(b, 0.5)], { beta: 0.5 }],
      [
        fb.BuiltinOperator.MUL,
        (b) => [fb.BuiltinOptions.MulOptions, fb.MulOptions.createMulOptions(b, fb.ActivationFunctionType.RELU_N1_TO_1)],
        { fusedActivationFunction: "RELU_N1_TO_1" },
      ],
      [
        fb.BuiltinOperator.CONCATENATION,
        (b) => [fb.BuiltinOptions.ConcatenationOptions, fb.ConcatenationOptions.createConcatenationOptions(b, 3, fb.ActivationFunctionType.NONE)],
        { axis: 3, fusedActivationFunction: "NONE" },
      ],
      [fb.BuiltinOperator.QUANTIZE, (b) => [fb.BuiltinOptions.QuantizeOptions, fb.QuantizeOptions.createQuantizeOptions(b)], {}],
      // any other union member, generically (a long and a bool)
      [
        fb.BuiltinOperator.CUMSUM,
        (b) => [fb.BuiltinOptions.CumsumOptions, fb.CumsumOptions.createCumsumOptions(b, true, false)],
        { exclusive: true, reverse: false },
      ],
    ];
    for (const [code, options, expected] of cases) {
      const spec = smallModel();
      spec.opcodes = [{ code }];
      spec.operators[0]!.options = options;
      const g = readTflite(buildTflite(spec), "ops.tflite");
      expect(g.operators[0]!.opcode).toBe(fb.BuiltinOperator[code]);
      expect(g.operators[0]!.options).toEqual(expected);
    }
  });

  it("names custom operators CUSTOM:<code>, accepts -1 for an absent optional input", () => {
    const spec = smallModel();
    spec.opcodes = [{ code: fb.BuiltinOperator.CUSTOM, custom: "TFLite_Detection_PostProcess" }];
    spec.operators[0]!.options = undefined;
    spec.operators[0]!.inputs = [0, 1, -1];
    const g = readTflite(buildTflite(spec), "custom.tflite");
    expect(g.operators[0]!.opcode).toBe("CUSTOM:TFLite_Detection_PostProcess");
    expect(g.operators[0]!.inputs).toEqual([0, 1, -1]);
    expect(g.operators[0]!.options).toEqual({});
  });
});

describe("malformed files are ModelErrors naming the field and the file", () => {
  const refuse = (bytes: Uint8Array, file = "bad.tflite"): ModelError => {
    const err = modelError(() => readTflite(bytes, file));
    expect(err.message).toContain(file);
    return err;
  };
  const refuseSpec = (edit: (s: SpecModel) => void): ModelError => {
    const spec = smallModel();
    edit(spec);
    return refuse(buildTflite(spec), "spec.tflite");
  };

  it("an empty file, 4 bytes, and a wrong identifier (saying what was found)", () => {
    expect(refuse(new Uint8Array(0)).message).toMatch(/0 bytes long/);
    expect(refuse(new Uint8Array([1, 2, 3, 4])).message).toMatch(/4 bytes long/);
    const onnx = fixtureBytes("hello_world_int8");
    onnx.set([0x4f, 0x4e, 0x4e, 0x58], 4);
    expect(refuse(onnx).message).toContain('the file identifier (bytes 4..8) is "ONNX", expected "TFL3"');
    const binary = fixtureBytes("hello_world_int8");
    binary.set([0, 1, 0xff, 0x80], 4);
    expect(refuse(binary).message).toContain("bytes 00 01 ff 80");
  });

  it("a missing file", () => {
    expect(modelError(() => readTfliteFile(join(FIXTURES, "no-such.tflite"))).message).toMatch(/cannot read TFLite file .*ENOENT/);
  });

  it("truncated files, at many lengths", () => {
    for (const name of ["hello_world_int8", "micro_speech_quantized", "simple_add_model"] as const) {
      const bytes = fixtureBytes(name);
      for (const len of [8, 12, 16, 32, 64, 100, 256, 512, Math.floor(bytes.length / 2), bytes.length - 100]) {
        const err = refuse(bytes.slice(0, len), `${name}.tflite`);
        expect(err.field.startsWith("tflite")).toBe(true);
      }
    }
    expect(refuse(fixtureBytes("person_detect").slice(0, 150_000)).message).toContain("corrupt flatbuffer");
  });

  it("a tensor's buffer index out of range, patched into a real model", () => {
    const bytes = fixtureBytes("hello_world_int8");
    const bb = new flatbuffers.ByteBuffer(bytes);
    const tensor = fb.Model.getRootAsModel(bb).subgraphs(0)!.tensors(2)!;
    // Tensor.buffer is field 2: vtable slot 8, as in the generated Tensor.buffer()
    const pos = tensor.bb_pos + bb.__offset(tensor.bb_pos, 8);
    expect(bb.readUint32(pos)).toBe(tensor.buffer());
    bb.writeUint32(pos, 13);
    const err = refuse(bytes);
    expect(err.field).toBe("tflite: tensors[2].buffer");
    expect(err.message).toContain("refers to buffer 13, but the model has 13 buffers");
  });

  it("an operator input index out of range, patched into a real model", () => {
    const bytes = fixtureBytes("hello_world_int8");
    const bb = new flatbuffers.ByteBuffer(bytes);
    const op = fb.Model.getRootAsModel(bb).subgraphs(0)!.operators(1)!;
    // Operator.inputs is field 1: vtable slot 6, as in the generated Operator.inputs()
    const pos = bb.__vector(op.bb_pos + bb.__offset(op.bb_pos, 6)) + 1 * 4;
    expect(bb.readInt32(pos)).toBe(op.inputs(1));
    bb.writeInt32(pos, 10);
    const err = refuse(bytes);
    expect(err.field).toBe("tflite: operators[1].inputs[1]");
    expect(err.message).toContain("tensor index 10 is out of range: the subgraph has 10 tensors");
    bb.writeInt32(pos, -2);
    expect(refuse(bytes).field).toBe("tflite: operators[1].inputs[1]");
  });

  it("out-of-range indices in a built model: buffer, operator input and output, opcode, graph input", () => {
    expect(refuseSpec((s) => (s.tensors[1]!.buffer = 5)).field).toBe("tflite: tensors[1].buffer");
    expect(refuseSpec((s) => (s.operators[0]!.inputs[2] = 4)).field).toBe("tflite: operators[0].inputs[2]");
    expect(refuseSpec((s) => (s.operators[0]!.outputs[0] = -1)).field).toBe("tflite: operators[0].outputs[0]");
    const opcode = refuseSpec((s) => (s.operators[0]!.opcodeIndex = 1));
    expect(opcode.field).toBe("tflite: operators[0].opcode_index");
    expect(opcode.message).toContain("operator code 1 is out of range: the model has 1 operator codes");
    expect(refuseSpec((s) => (s.inputs = [7])).field).toBe("tflite: inputs[0]");
  });

  it("data whose size does not match shape x type size", () => {
    const err = refuseSpec((s) => (s.tensors[1]!.shape = [2, 5]));
    expect(err.field).toBe("tflite: tensors[1].buffer");
    expect(err.message).toContain('tensor "w" INT8[2,5] needs 10 bytes, but buffer 2 holds 8');
    expect(refuseSpec((s) => (s.tensors[2]!.type = fb.TensorType.INT16)).message).toContain("needs 4 bytes");
    // INT4 packs two per byte: [2,8] = 16 elements = 8 bytes, accepted
    const spec = smallModel();
    spec.tensors[1]! = { ...spec.tensors[1]!, shape: [2, 8], type: fb.TensorType.INT4 };
    expect(readTflite(buildTflite(spec), "int4.tflite").tensors[1]!.type).toBe("INT4");
  });

  it("no subgraphs", () => {
    const err = refuseSpec((s) => (s.subgraphs = 0));
    expect(err.field).toBe("tflite: subgraphs");
    expect(err.message).toContain("the model has no subgraphs");
  });

  it("scales and zero points of different lengths, unknown types and enum values, mismatched options", () => {
    expect(refuseSpec((s) => (s.tensors[1]!.zeroPoint = [0, 0])).field).toBe("tflite: tensors[1].quantization");
    expect(refuseSpec((s) => (s.tensors[0]!.type = 99 as fb.TensorType)).message).toContain("unknown tensor type 99");
    const padding = refuseSpec((s) => {
      s.opcodes = [{ code: fb.BuiltinOperator.CONV_2D }];
      s.operators[0]!.options = (b) => [fb.BuiltinOptions.Conv2DOptions, fb.Conv2DOptions.createConv2DOptions(b, 7 as fb.Padding, 1, 1, 0, 1, 1, 0)];
    });
    expect(padding.field).toBe("tflite: operators[0].builtin_options.padding");
    expect(padding.message).toContain("7 is not a Padding value");
    const mismatch = refuseSpec((s) => {
      s.opcodes = [{ code: fb.BuiltinOperator.CONV_2D }];
      s.operators[0]!.options = (b) => [fb.BuiltinOptions.SoftmaxOptions, fb.SoftmaxOptions.createSoftmaxOptions(b, 1)];
    });
    expect(mismatch.message).toContain("a CONV_2D operator carries SoftmaxOptions, expected Conv2DOptions");
    const unknown = refuseSpec((s) => {
      s.operators[0]!.options = (b) => [250 as fb.BuiltinOptions, fb.SoftmaxOptions.createSoftmaxOptions(b, 1)];
    });
    expect(unknown.field).toBe("tflite: operators[0].builtin_options_type");
  });

  it("offsets pointing outside the file: the root, a vector length, a string", () => {
    const root = fixtureBytes("simple_add_model");
    new DataView(root.buffer).setUint32(0, 1_000_000, true);
    expect(refuse(root).field).toBe("tflite: model");
    // the tensors vector's length of simple_add_model, made huge
    const bytes = fixtureBytes("simple_add_model");
    const bb = new flatbuffers.ByteBuffer(bytes);
    const sg = fb.Model.getRootAsModel(bb).subgraphs(0)!;
    const tensorsField = sg.bb_pos + bb.__offset(sg.bb_pos, 4);
    bb.writeUint32(tensorsField + bb.readUint32(tensorsField), 0x10000000);
    const err = refuse(bytes);
    expect(err.field).toBe("tflite: tensors");
    expect(err.message).toContain("lies outside the 976-byte file");
  });
});

describe("crafted sharing", () => {
  it("one tensor with a 10,000-long shape referenced 20,000 times runs out of budget, quickly", () => {
    const spec = smallModel();
    spec.tensors = [{ name: "t", shape: Array<number>(10_000).fill(1), type: fb.TensorType.INT8, buffer: 0 }];
    spec.operators = [];
    spec.inputs = [0];
    spec.outputs = [0];
    spec.shareTensor0 = 20_000;
    const bytes = buildTflite(spec);
    expect(bytes.length).toBeLessThan(200_000);
    const t0 = performance.now();
    const err = modelError(() => readTflite(bytes, "shared.tflite"));
    expect(err.message).toContain("far more steps than its size allows");
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe("fuzz: mutated fixtures are read or refused with a ModelError, nothing else", () => {
  /** mutations per fixture: the big model gets fewer (each read of it costs ~10x more) */
  const PLAN: ReadonlyArray<[ModelName, number]> = [
    ["hello_world_int8", 500],
    ["hello_world_float", 350],
    ["micro_speech_quantized", 500],
    ["simple_add_model", 500],
    ["tiny_kws_ref_model_int8", 350],
    ["tiny_kws_ref_model_float32", 250],
    ["person_detect", 120],
  ];
  const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc];

  /** a position: half the time anywhere, else near the start or the end where the tables are */
  function position(rng: Rng, length: number): number {
    const r = rng.next();
    if (r < 0.5 || length < 64) return rng.int(0, length - 1);
    if (r < 0.8) return rng.int(0, Math.min(length, 4096) - 1);
    return rng.int(Math.max(0, length - 2048), length - 1);
  }

  function mutate(rng: Rng, original: Uint8Array, donors: readonly Uint8Array[]): [string, Uint8Array] {
    const bytes = original.slice();
    const kind = rng.int(0, 5);
    switch (kind) {
      case 0: {
        const flips = rng.int(1, 8);
        for (let i = 0; i < flips; i++) bytes[position(rng, bytes.length)]! ^= 1 << rng.int(0, 7);
        return ["bit flips", bytes];
      }
      case 1: {
        const at = position(rng, bytes.length);
        const n = rng.int(1, 16);
        for (let i = at; i < Math.min(bytes.length, at + n); i++) bytes[i] = rng.int(0, 255);
        return ["random bytes", bytes];
      }
      case 2: {
        const at = position(rng, bytes.length) & ~3;
        const v = rng.pick(INTERESTING);
        if (at + 4 <= bytes.length) new DataView(bytes.buffer).setUint32(at, v >>> 0, true);
        return ["interesting word", bytes];
      }
      case 3:
        return ["truncation", bytes.slice(0, rng.int(0, bytes.length - 1))];
      case 4: {
        // overwrite a run with bytes from elsewhere in this or another model
        const donor = rng.pick(donors);
        const n = rng.int(1, 64);
        const from = rng.int(0, Math.max(0, donor.length - n));
        const at = position(rng, bytes.length);
        bytes.set(donor.subarray(from, from + Math.min(n, bytes.length - at)), at);
        return ["splice", bytes];
      }
      default: {
        // insert or delete a run: every offset across the cut shifts
        let at = position(rng, bytes.length);
        const n = rng.int(1, 32);
        if (rng.next() < 0.5) {
          const out = new Uint8Array(bytes.length + n);
          out.set(bytes.subarray(0, at));
          for (let i = 0; i < n; i++) out[at + i] = rng.int(0, 255);
          out.set(bytes.subarray(at), at + n);
          return ["insertion", out];
        }
        const out = new Uint8Array(Math.max(0, bytes.length - n));
        at = Math.min(at, out.length);
        out.set(bytes.subarray(0, at));
        out.set(bytes.subarray(Math.min(bytes.length, at + n)).subarray(0, out.length - at), at);
        return ["deletion", out];
      }
    }
  }

  it("2,570 seeded mutations of the seven fixtures", () => {
    const rng = new Rng(0x7f11e);
    const donors = MODELS.map(fixtureBytes);
    const stats = { files: 0, read: 0, refused: 0, imported: 0 };
    const reasons = new Map<string, number>();
    const started = performance.now();
    for (const [name, n] of PLAN) {
      const original = fixtureBytes(name);
      for (let i = 0; i < n; i++) {
        const [kind, bytes] = mutate(rng, original, donors);
        const file = `${name}#${i}(${kind})`;
        const t0 = performance.now();
        try {
          const graph = readTflite(bytes, file);
          checkGraph(graph);
          stats.read++;
          // a file that reads goes on through the whole import: conversion and graph validation
          try {
            buildGraph(parseModel(convertTflite(graph)));
            stats.imported++;
          } catch (err) {
            if (!(err instanceof ModelError)) {
              throw new Error(`${file}: the import threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}, not a ModelError`);
            }
          }
        } catch (err) {
          if (err instanceof Error && err.message.includes("the import threw")) throw err;
          if (!(err instanceof ModelError)) {
            throw new Error(`${file}: readTflite threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}, not a ModelError`);
          }
          expect(err.message).toContain(file);
          // refused by the checks, not by the catch-all around a runtime exception
          expect(err.reason, file).not.toMatch(/corrupt TFLite flatbuffer \(/);
          stats.refused++;
          const reason = err.reason.replace(/\d+/g, "N").replace(/".*"/g, "S").slice(0, 60);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }
        stats.files++;
        const ms = performance.now() - t0;
        expect(ms, `${file} took ${ms.toFixed(0)} ms`).toBeLessThan(2000);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `tflite fuzz: ${stats.files} mutated files in ${seconds.toFixed(1)} s: ${stats.read} read (${stats.imported} imported end to end), ${stats.refused} refused with a ModelError; ${reasons.size} distinct reasons`,
    );
    if (process.env.TFLITE_FUZZ_REASONS) console.log([...reasons].sort((a, b) => b[1] - a[1]).map(([r, c]) => `${c}\t${r}`).join("\n"));
    expect(stats.files).toBeGreaterThanOrEqual(1000);
    // the mutations are not all trivially harmless nor all fatal
    expect(stats.read).toBeGreaterThan(200);
    expect(stats.refused).toBeGreaterThan(1000);
  });
});
