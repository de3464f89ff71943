import { type Command, Option } from "commander";
import { EXPORT_FORMATS, exportPackage, readTestInput, type ExportFormat } from "../../export/index.js";
import { getBoard } from "../../firmware/boards.js";
import { loadGraph } from "../../ir/index.js";
import { withOutputs, type OutputForm } from "../../ir/outputs.js";
import { BudgetError, checkFit } from "../../plan/fit.js";
import { generateC, toTarget } from "../../codegen/index.js";
import { addArenaOption, addOptOption, addOutputsOption, modelArgument } from "../options.js";
import type { ArenaMode } from "../../codegen/index.js";
import type { OptLevel } from "../../firmware/build.js";
import { printJson } from "../output.js";

export interface PackageOptionValues {
  input?: string;
  libVersion?: string;
  author?: string;
  url?: string;
}

/** Options shared by export and flash: what goes into the package besides the model. */
export function addPackageOptions(cmd: Command): Command {
  return cmd
    .option("--input <file>", "test input embedded in the example: JSON array of int8, or raw bytes (default: metadata.exampleInput, else test image 0 of metadata.dataset, else a fixed pseudo-random vector)")
    .option("--lib-version <semver>", "library version", "1.0.0")
    .option("--author <text>", "library author and maintainer", "strongnet")
    .option("--url <url>", "library home page (default: the paper the model family follows)");
}

export function packageOptions(opts: PackageOptionValues) {
  return {
    input: opts.input === undefined ? undefined : readTestInput(opts.input),
    version: opts.libVersion,
    author: opts.author,
    url: opts.url,
  };
}

export function registerExport(program: Command): void {
  const cmd = program
    .command("export")
    .description("write a ready library for a board: Arduino (spec 1.5), PlatformIO, or CMake")
    .argument("<model>", "model file: .json (strongnet-model version 1) or .tflite (imported), or a bundled model's name (see `strongnet models`)", modelArgument)
    .requiredOption("-b, --board <name|file>", "board to build for: a name (see `strongnet boards`) or a board JSON file")
    .addOption(new Option("-f, --format <format>", "package format").choices([...EXPORT_FORMATS]).default("arduino"))
    .option("-o, --out <dir>", "output directory (replaced atomically)", "build/<name>-<format>")
    .option("--json", "print a machine-readable summary instead of text");
  addArenaOption(addOptOption(addOutputsOption(cmd), "the model's C in the CMake and PlatformIO packages (Arduino uses its core's flags); default: none added", false));
  addPackageOptions(cmd).action(
    (modelPath: string, opts: PackageOptionValues & { board: string; format: ExportFormat; out: string; json?: boolean; outputs?: OutputForm; opt?: OptLevel; arena: ArenaMode }) => {
      const graph = withOutputs(loadGraph(modelPath), opts.outputs);
      const board = getBoard(opts.board);
      const problems = checkFit(generateC(graph, toTarget(board)).plan, board);
      if (problems.length) throw new BudgetError(problems);
      const dir = opts.out.replace("<name>", graph.name).replace("<format>", opts.format);
      const pkg = exportPackage(graph, dir, { ...packageOptions(opts), format: opts.format, board, arena: opts.arena, ...(opts.opt ? { opt: opts.opt } : {}) });
      if (opts.json) return printJson({ model: graph.name, sha256: graph.hash, board: board.name, ...pkg, expectedOutput: Array.from(pkg.expectedOutput) });
      console.log(`exported ${graph.name} for ${board.name} (${opts.format} package): ${pkg.dir}`);
      for (const f of pkg.files) console.log(`  ${f}`);
      console.log(`  example ${pkg.example}: expected output ${Array.from(pkg.expectedOutput).join(" ")}`);
    },
  );
}
