import type { Command } from "commander";
import { compile } from "../../api.js";
import type { OutputForm } from "../../ir/outputs.js";
import type { ArenaMode } from "../../codegen/index.js";
import { addArenaOption, addOutputsOption, modelArgument } from "../options.js";
import { printJson } from "../output.js";

export function registerCompile(program: Command): void {
  const cmd = program
    .command("compile")
    .description("generate <name>.c and <name>.h (C99, no malloc, no floats) from a model file")
    .argument("<model>", "model file: .json (strongnet-model version 1) or .tflite (imported), or a bundled model's name (see `strongnet models`)", modelArgument)
    .option("-b, --board <name|file>", "board to size against and name in the header comment: a name (see `strongnet boards`) or a board JSON file")
    .option("-o, --out <dir>", "output directory", "build/<name>")
    .option("--json", "print a machine-readable summary instead of text");
  addArenaOption(addOutputsOption(cmd))
    .action((modelPath: string, opts: { board?: string; out: string; json?: boolean; outputs?: OutputForm; arena: ArenaMode }) => {
      const r = compile(modelPath, { board: opts.board, outputs: opts.outputs, outDir: opts.out, arena: opts.arena });
      if (r.stackNote) console.error(`note: ${r.stackNote}`);
      const files = r.files!;
      const summary = {
        model: r.name,
        sha256: r.sha256,
        board: r.board,
        files,
        constBytes: r.constBytes,
        tableBytes: r.tableBytes,
        tables: r.tables,
        arenaBytes: r.arenaBytes,
        arena: r.arena,
        ops: r.ops,
        layers: r.layers,
        stackBytes: r.stackBytes,
        outputs: r.outputs,
      };
      if (opts.json) return printJson(summary);
      console.log(`compiled ${r.name} (${r.layers} layers)${r.board ? ` for ${r.board}` : ""}`);
      console.log(`  ${files.source}\n  ${files.header}`);
      const arena = r.arena.mode === "external" ? `the caller's arena ${r.arena.bytes} B (${r.arena.align}-byte aligned)` : `arena ${r.arenaBytes} B`;
      console.log(`  const data ${r.constBytes} B (${r.tables} tables), ${arena}, ${r.ops.total} ops per inference`);
      if (r.stackBytes !== null) console.log(`  stack of ${r.name}_predict: ${r.stackComplete ? "at most" : "at least"} ${r.stackBytes} B on ${r.board}`);
    });
}
