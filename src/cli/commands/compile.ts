import type { Command } from "commander";
import { generateC, toTarget, writeGenerated } from "../../codegen/index.js";
import { getBoard } from "../../firmware/boards.js";
import { loadGraph } from "../../ir/index.js";
import { BudgetError, checkFit } from "../../plan/fit.js";
import { totalOps } from "../../plan/plan.js";
import { printJson } from "../output.js";

export function registerCompile(program: Command): void {
  program
    .command("compile")
    .description("generate <name>.c and <name>.h (C99, no malloc, no floats) from a model file")
    .argument("<model>", "model file: .json (strongnet-model version 1) or .tflite (imported)")
    .option("-b, --board <name>", "board to size against and name in the header comment (see `strongnet boards`)")
    .option("-o, --out <dir>", "output directory", "build/<name>")
    .option("--json", "print a machine-readable summary instead of text")
    .action((modelPath: string, opts: { board?: string; out: string; json?: boolean }) => {
      const graph = loadGraph(modelPath);
      const board = opts.board === undefined ? undefined : getBoard(opts.board);
      const generated = generateC(graph, board && toTarget(board));
      if (board) {
        const problems = checkFit(generated.plan, board);
        if (problems.length) throw new BudgetError(problems);
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
      };
      if (opts.json) return printJson(summary);
      console.log(`compiled ${graph.name} (${graph.layers.length} layers)${board ? ` for ${board.name}` : ""}`);
      console.log(`  ${files.source}\n  ${files.header}`);
      console.log(`  const data ${plan.constBytes} B (${plan.tables.unique.length} tables), arena ${plan.arenaBytes} B, ${totalOps(plan.totals)} ops per inference`);
    });
}
