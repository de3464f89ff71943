import type { Command } from "commander";
import { basename } from "node:path";
import { parseModel, saveModelFile } from "../../format/load.js";
import { buildGraph } from "../../ir/index.js";
import { importModel, TFLITE_OPERATORS } from "../../import/index.js";
import { planGraph, totalOps } from "../../plan/plan.js";
import { printJson } from "../output.js";
import { UsageError } from "../errors.js";

export function registerImport(program: Command): void {
  program
    .command("import")
    .description("convert a TFLite int8 model (.tflite) into a strongnet model file, bit-exact with the TFLite interpreter")
    .argument("<model>", "a .tflite flatbuffer with int8 activations and weights")
    .option("-o, --out <file>", "the strongnet model file to write", "<name>.json")
    .option("--rounding <mode>", "requantization rounding: double (TFLite's default) or single (TFLITE_SINGLE_ROUNDING builds)", "double")
    .option("--name <name>", "model name, a C identifier (default: from the file name)")
    .option("--json", "print a machine-readable summary instead of text")
    .addHelpText(
      "after",
      `\nOperators: ${[...TFLITE_OPERATORS].join(", ")}, with fused RELU/RELU6/RELU_N1_TO_1.\n` +
        "Anything else (other operators, float/int16/int4 tensors, dynamic shapes, batch > 1, several\n" +
        "subgraphs) is listed with counts and tensor names, and the command exits 2.\n" +
        "compile, verify, report and export also take a .tflite path directly.",
    )
    .action((modelPath: string, opts: { out: string; rounding: string; name?: string; json?: boolean }) => {
      if (opts.rounding !== "double" && opts.rounding !== "single") {
        throw new UsageError(`--rounding: "${opts.rounding}" is not a rounding mode; use double or single`);
      }
      const model = parseModel(importModel(modelPath, { rounding: opts.rounding, ...(opts.name ? { name: opts.name } : {}) }));
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
    });
}
