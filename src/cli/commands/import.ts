import { type Command, InvalidArgumentError, Option } from "commander";
import { basename } from "node:path";
import { parseModel, saveModelFile } from "../../format/load.js";
import { buildGraph } from "../../ir/index.js";
import { importModel, isOnnx, MICROSOFT_OPERATORS, ONNX_OPERATORS, TFLITE_OPERATORS, type ImportOptions } from "../../import/index.js";
import { DEFAULT_CALIBRATION_SAMPLES, parseCalibrationMethod, type CalibrationMethod } from "../../import/onnx/index.js";
import { planGraph, totalOps } from "../../plan/plan.js";
import { printJson } from "../output.js";
import { UsageError } from "../errors.js";
import { positiveInt, specOption } from "../options.js";
import { stageBar } from "../progress.js";

interface ImportFlags {
  out: string;
  rounding: string;
  name?: string;
  json?: boolean;
  calibrate?: string;
  samples?: number;
  calibration: CalibrationMethod;
  inputRange?: [number, number];
  output?: string;
}

function calibrationMethod(value: string): CalibrationMethod {
  try {
    return parseCalibrationMethod(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--calibration: /, ""));
  }
}

/** LO:HI, two numbers. */
function inputRange(value: string): [number, number] {
  const parts = value.split(":").map(Number);
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p)) || !(parts[1]! > parts[0]!)) {
    throw new InvalidArgumentError(`--input-range must be LO:HI with LO < HI (the real values of bytes 0 and 255), got "${value}"`);
  }
  return parts as [number, number];
}

export function registerImport(program: Command): void {
  program
    .command("import")
    .description("convert a TFLite int8 model (.tflite) or an ONNX model (.onnx: QDQ, QLinear, or float with --calibrate) into a strongnet model file")
    .argument("<model>", "a .tflite flatbuffer with int8 tensors, or a .onnx model")
    .option("-o, --out <file>", "the strongnet model file to write", "<name>.json")
    .option("--rounding <mode>", "TFLite requantization rounding: double (TFLite's default) or single (TFLITE_SINGLE_ROUNDING builds)", "double")
    .option("--name <name>", "model name, a C identifier (default: from the file name)")
    .option("--calibrate <spec>", "ONNX float models: quantize with samples of this data set SPEC (its training part), e.g. mnist", specOption("--calibrate"))
    .option("--samples <n>", `calibration samples (default ${DEFAULT_CALIBRATION_SAMPLES})`, positiveInt("--samples"))
    .addOption(
      new Option("--calibration <method>", "activation ranges: minmax, or percentile[:P] (clip the (100-P)% most extreme values at each end; P default 99.99)")
        .argParser(calibrationMethod)
        .default({ kind: "minmax" }, "minmax"),
    )
    .option("--input-range <lo:hi>", "ONNX float models: the real input values of bytes 0 and 255 (default 0:255; 0:1 for models fed x/255)", inputRange)
    .option("--output <name>", "ONNX: the graph output to convert when there are several (default: the first)")
    .option("--json", "print a machine-readable summary instead of text")
    .addHelpText(
      "after",
      `\nTFLite operators: ${[...TFLITE_OPERATORS].join(", ")}, with fused RELU/RELU6/RELU_N1_TO_1.\n` +
        `ONNX operators: ${ONNX_OPERATORS.join(", ")}; com.microsoft ${MICROSOFT_OPERATORS.join(", ")}.\n` +
        "  QDQ and QLinear models keep their scales; float models need --calibrate (per-channel symmetric\n" +
        "  int8 weights, asymmetric int8 activations, int32 bias). NCHW becomes NHWC; uint8 tensors are\n" +
        "  converted exactly (q - 128). Requantization is TFLite's fixed point, not onnxruntime's float32.\n" +
        "Anything else (other operators, opsets, float16/int16 tensors, dynamic shapes, batch > 1) is listed\n" +
        "with names, and the command exits 2. compile, verify, report and export also take a .tflite or a\n" +
        "quantized .onnx path directly.\n\nExamples:\n" +
        "  strongnet import person_detect.tflite\n" +
        "  strongnet import mnist-8/model.onnx --calibrate mnist --samples 500 -o mnist8.json\n" +
        "  strongnet import resnet_qdq.onnx --output logits",
    )
    .action((modelPath: string, opts: ImportFlags) => {
      if (opts.rounding !== "double" && opts.rounding !== "single") {
        throw new UsageError(`--rounding: "${opts.rounding}" is not a rounding mode; use double or single`);
      }
      const onnxOnly = (["calibrate", "samples", "inputRange", "output"] as const).find((k) => opts[k] !== undefined);
      if (!isOnnx(modelPath) && onnxOnly) throw new UsageError(`--${onnxOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to ONNX models only`);
      const bar = stageBar(!opts.json, "calibrating [{bar}] {value}/{total} samples", "calibrating on {total} samples");
      const options: ImportOptions = {
        rounding: opts.rounding,
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.calibrate ? { calibrate: opts.calibrate, method: opts.calibration } : {}),
        ...(opts.samples ? { samples: opts.samples } : {}),
        ...(opts.inputRange ? { inputRange: opts.inputRange } : {}),
        ...(opts.output ? { output: opts.output } : {}),
        onSample: (done, total) => bar?.update("calibrate", done, total, {}),
      };
      let imported;
      try {
        imported = importModel(modelPath, options);
      } finally {
        bar?.stop();
      }
      const model = parseModel(imported);
      const graph = buildGraph(model);
      const plan = planGraph(graph);
      const out = opts.out.replace("<name>", model.name);
      saveModelFile(out, model);
      const summary = {
        source: basename(modelPath),
        model: model.name,
        file: out,
        layers: graph.layers.map((l) => ({ id: l.id, kind: l.kind, outputShape: [...l.outputShape] })),
        constBytes: plan.constBytes,
        arenaBytes: plan.arenaBytes,
        ops: totalOps(plan.totals),
        metadata: model.metadata,
      };
      if (opts.json) return printJson(summary);
      console.log(`imported ${basename(modelPath)} as ${model.name}: ${graph.layers.length} layers -> ${out}`);
      for (const l of graph.layers) console.log(`  ${l.id.padEnd(28)} ${l.kind.padEnd(17)} ${l.outputShape.join("x")}`);
      console.log(`  const data ${plan.constBytes} B, arena ${plan.arenaBytes} B, ${totalOps(plan.totals)} ops per inference`);
      const meta = model.metadata as { calibration?: { samples: number; data: string; method: string }; droppedOutputs?: string[]; notes?: string[] } | undefined;
      if (meta?.calibration) console.log(`  calibrated on ${meta.calibration.samples} samples of ${meta.calibration.data} (${meta.calibration.method})`);
      if (meta?.droppedOutputs) console.log(`  note: strongnet models have one output; left out ${meta.droppedOutputs.join(", ")} (choose with --output)`);
      for (const n of meta?.notes ?? []) console.log(`  note: ${n}`);
    });
}
