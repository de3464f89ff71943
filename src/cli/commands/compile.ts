import type { Command } from "commander";
import { generateC, toTarget, writeGenerated, type GeneratedModel } from "../../codegen/index.js";
import { getBoard, type Board } from "../../firmware/boards.js";
import { ToolMissingError } from "../../firmware/tools.js";
import { loadGraph, shapeSize } from "../../ir/index.js";
import { outputIsClass } from "../../kinds/argmax.js";
import { withOutputs, type OutputForm } from "../../ir/outputs.js";
import { addOutputsOption } from "../options.js";
import { BudgetError, checkFit } from "../../plan/fit.js";
import { totalOps } from "../../plan/plan.js";
import { printJson } from "../output.js";
import { predictStackBound, type StackBound } from "../../report/stack-bound.js";

/** The stack bound, or null (with a note on stderr) when arm-none-eabi-gcc is not installed. */
function measureStack(board: Board, name: string, generated: GeneratedModel): StackBound | null {
  try {
    return predictStackBound(board, name, { c: generated.source, h: generated.header });
  } catch (err) {
    if (!(err instanceof ToolMissingError)) throw err;
    console.error(`note: the header states no stack bound: ${err.message}`);
    return null;
  }
}

export function registerCompile(program: Command): void {
  const cmd = program
    .command("compile")
    .description("generate <name>.c and <name>.h (C99, no malloc, no floats) from a model file")
    .argument("<model>", "model file: .json (strongnet-model version 1) or .tflite (imported)")
    .option("-b, --board <name|file>", "board to size against and name in the header comment: a name (see `strongnet boards`) or a board JSON file")
    .option("-o, --out <dir>", "output directory", "build/<name>")
    .option("--json", "print a machine-readable summary instead of text");
  addOutputsOption(cmd)
    .action((modelPath: string, opts: { board?: string; out: string; json?: boolean; outputs?: OutputForm }) => {
      const graph = withOutputs(loadGraph(modelPath), opts.outputs);
      const board = opts.board === undefined ? undefined : getBoard(opts.board);
      let generated = generateC(graph, board && toTarget(board));
      let stack: StackBound | null = null;
      if (board) {
        const problems = checkFit(generated.plan, board);
        if (problems.length) throw new BudgetError(problems);
        // the bound needs a build for the board: one compile with -fstack-usage, then the header says it
        stack = measureStack(board, graph.name, generated);
        if (stack) generated = generateC(graph, toTarget(board), { stack });
      }
      const dir = opts.out.replace("<name>", graph.name);
      const files = writeGenerated(dir, graph.name, generated);
      const { plan } = generated;
      const summary = {
        model: graph.name,
        sha256: graph.hash,
        board: board?.name ?? null,
        files,
        constBytes: plan.constBytes,
        tableBytes: plan.tableBytes,
        tables: plan.tables.unique.length,
        arenaBytes: plan.arenaBytes,
        ops: { ...plan.totals, total: totalOps(plan.totals) },
        layers: graph.layers.length,
        stackBytes: stack?.bytes ?? null,
        outputs: { size: shapeSize(graph.outputShape), isClass: outputIsClass(graph) },
      };
      if (opts.json) return printJson(summary);
      console.log(`compiled ${graph.name} (${graph.layers.length} layers)${board ? ` for ${board.name}` : ""}`);
      console.log(`  ${files.source}\n  ${files.header}`);
      console.log(`  const data ${plan.constBytes} B (${plan.tables.unique.length} tables), arena ${plan.arenaBytes} B, ${totalOps(plan.totals)} ops per inference`);
      if (stack) console.log(`  stack of ${graph.name}_predict: ${stack.complete ? "at most" : "at least"} ${stack.bytes} B on ${board!.name}`);
    });
}
