import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { DEFAULT_BOARD, getBoard } from "../../firmware/boards.js";
import type { OptLevel } from "../../firmware/build.js";
import { loadGraph } from "../../ir/index.js";
import { withOutputs, type OutputForm } from "../../ir/outputs.js";
import { BudgetError } from "../../plan/fit.js";
import { fitFailureJUnit, renderJUnit, verifyJUnit } from "../../report/junit.js";
import { writeFileAtomic } from "../../util/fs.js";
import { verifyModel } from "../../verify/verify.js";
import type { ArenaMode } from "../../codegen/index.js";
import { EXIT, UsageError } from "../errors.js";
import { addArenaOption, addOptOption, addOutputsOption, addVectorOptions, modelArgument, SPEC_HELP } from "../options.js";
import { printJson } from "../output.js";
import { verifyProgress } from "../progress.js";
import { printVerifyReport } from "../verify-report.js";

function readSources(dir: string, name: string): { c: string; h: string } {
  const read = (file: string) => {
    const path = join(dir, file);
    if (!existsSync(path)) throw new UsageError(`--sources ${dir}: no ${file} there (model "${name}" needs ${name}.c and ${name}.h)`);
    return readFileSync(path, "utf8");
  };
  return { c: read(`${name}.c`), h: read(`${name}.h`) };
}

interface VerifyFlags {
  board: string;
  vectors: number;
  dataset?: string | null;
  inputs?: string;
  seed: number;
  sources?: string;
  keep?: string;
  json?: boolean;
  junit?: string;
  outputs?: OutputForm;
  opt: OptLevel;
  arena: ArenaMode;
}

export function registerVerify(program: Command): void {
  const cmd = program
    .command("verify")
    .description("build a test firmware for a board, run it in qemu-system-arm and compare every output byte with the reference")
    .argument("<model>", "model file: .json (strongnet-model version 1) or .tflite (imported), or a bundled model's name (see `strongnet models`)", modelArgument)
    .option("-b, --board <name|file>", "board to build for: a name (see `strongnet boards`) or a board JSON file", DEFAULT_BOARD);
  addVectorOptions(cmd, { help: "input vectors to run: ~90% data set test images, the rest edge and random int8", default: 100 })
    .option("--sources <dir>", "verify the C files <dir>/<name>.c and <name>.h (e.g. committed output of `compile`) instead of generating them")
    .option("--keep <dir>", "build the firmware in this directory and keep it (sources, ELF, map, build commands)")
    .option("--json", "print the full report as JSON")
    .option("--junit <file>", "also write JUnit XML for CI: one test case per check (fit, each vector, each layer, stack)");
  addArenaOption(addOptOption(addOutputsOption(cmd), "both images"))
    .addHelpText(
      "after",
      `
Two images are built from the same generated C: the shipping one (outputs compared, instructions
counted with QEMU -icount) and a traced one (-DSTRONGNET_TRACE: a hash of every layer's output),
so a mismatch is reported as the first layer, byte index, expected and received value.
Exit code 0 only when every byte matches; 1 on a mismatch or when the model does not fit the board;
2 on bad input, including bad data in --dataset / --inputs.
${SPEC_HELP}

Examples:
  strongnet verify models/mnist_demo.json --board nucleo-f411re --vectors 200
  strongnet verify digits.json --dataset data/digits_test.csv --vectors 50
  strongnet verify model.tflite --inputs samples.npy --vectors 20
  strongnet verify mnist_strong --arena external   # the reentrant predict(in, out, arena)`,
    )
    .action(async (modelPath: string, opts: VerifyFlags) => {
      const graph = withOutputs(loadGraph(modelPath), opts.outputs);
      const board = getBoard(opts.board);
      const sources = opts.sources === undefined ? undefined : readSources(opts.sources, graph.name);
      const progress = verifyProgress(!opts.json);
      const started = Date.now();
      const report = await verifyModel({
        graph,
        board,
        sources,
        count: opts.vectors,
        dataset: opts.dataset,
        inputs: opts.inputs,
        seed: opts.seed,
        workDir: opts.keep,
        opt: opts.opt,
        arena: opts.arena,
        onProgress: progress.onProgress,
      })
        .catch((err: unknown) => {
          if (opts.junit && err instanceof BudgetError) writeFileAtomic(opts.junit, renderJUnit([fitFailureJUnit(graph.name, board.name, err.problems)]));
          throw err;
        })
        .finally(progress.stop);
      if (opts.junit) writeFileAtomic(opts.junit, renderJUnit([verifyJUnit(report, (Date.now() - started) / 1000)]));
      if (opts.json) printJson(report);
      else printVerifyReport(report);
      if (!report.passed) process.exitCode = EXIT.checkFailed;
    });
}
