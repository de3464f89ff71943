import { type Command, InvalidArgumentError } from "commander";
import { DEFAULT_BOARD, getBoard, loadBoards, type Board } from "../../firmware/boards.js";
import type { OptLevel } from "../../firmware/build.js";
import type { ArenaMode } from "../../codegen/index.js";
import { loadGraph } from "../../ir/index.js";
import { withOutputs, type OutputForm } from "../../ir/outputs.js";
import { resolveBudget, BUDGET_FILE } from "../../report/budget.js";
import { renderJUnit, reportJUnit } from "../../report/junit.js";
import { renderHtml } from "../../report/render-html.js";
import { renderMarkdown } from "../../report/render-markdown.js";
import { renderText } from "../../report/render-text.js";
import { createReport, failureLines } from "../../report/report.js";
import { writeFileAtomic } from "../../util/fs.js";
import { EXIT, UsageError } from "../errors.js";
import { addArenaOption, addOptOption, addOutputsOption, addVectorOptions, modelArgument, SPEC_HELP } from "../options.js";
import { printJson } from "../output.js";
import { reportProgress } from "../progress.js";

interface ReportFlags {
  board: string;
  boards?: string;
  vectors: number;
  dataset?: string | null;
  inputs?: string;
  seed: number;
  json?: boolean;
  markdown?: string;
  html?: string;
  junit?: string;
  maxFlash?: string;
  maxRam?: string;
  maxLatencyUs?: string;
  budget?: string;
  keep?: string;
  outputs?: OutputForm;
  opt: OptLevel;
  arena: ArenaMode;
}

/** "all" or a comma-separated list of board names. */
function boardList(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError(`must be "all" or board names separated by commas`);
  return value;
}

function resolveBoards(value: string | undefined): Board[] | undefined {
  if (value === undefined) return undefined;
  if (value === "all") return loadBoards();
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => getBoard(name));
}

export function registerReport(program: Command): void {
  const cmd = program
    .command("report")
    .description("budget report: flash, RAM, stack, ops, instructions and estimated latency of a model on a board, per layer, with fit and budget verdicts")
    .argument("<model>", "model file: .json (strongnet-model version 1) or .tflite (imported), or a bundled model's name (see `strongnet models`)", modelArgument)
    .option("-b, --board <name|file>", "board to report in detail: a name (see `strongnet boards`) or a board JSON file", DEFAULT_BOARD)
    .option("--boards <list>", 'also measure these boards for the fit chart: "all" or names separated by commas', boardList);
  addVectorOptions(cmd, { help: "vectors verify runs per board (bit-exactness, instruction counts)", default: 10 })
    .option("--json", "print the report as JSON (schema strongnet-report/1, docs/report.md) instead of the table")
    .option("--markdown <file>", "also write the report as Markdown (- for stdout instead of the table)")
    .option("--html <file>", "also write a self-contained HTML page with plots")
    .option("--junit <file>", "also write JUnit XML: fit and each budget per board, bit-exactness")
    .option("--max-flash <size>", "budget: most flash the model may take, e.g. 64K, 1M, 65536")
    .option("--max-ram <size>", "budget: most RAM the model may take (arena + static + stack bound), e.g. 16K")
    .option("--max-latency-us <time>", "budget: most estimated latency per inference, e.g. 250us, 1.5ms, 250 (us)")
    .option("--budget <file>", `budget file (default: ./${BUDGET_FILE} when present)`)
    .option("--keep <dir>", "build the firmware in <dir>/<board> and keep it (ELF, map, .su files, build commands)");
  addArenaOption(addOptOption(addOutputsOption(cmd), "the measured images"))
    .addHelpText(
      "after",
      `
Every figure says how it was obtained: flash and RAM measured from the built ELF (linker map,
symbols, disassembly), stack painted in QEMU and bounded statically (gcc -fstack-usage), ops from
the plan, instructions counted by QEMU -icount (deterministic), latency ESTIMATED from a per-core
cycle model (docs/report.md).
Exit code 0 when the model fits, is bit-exact and within every budget; 1 otherwise, with one line
per problem naming what went over and by how much; 2 on a bad option or budget file.

Examples:
  strongnet report models/mnist_demo.json --board nucleo-f411re
  strongnet report models/mnist_demo.json --boards all --html report.html --markdown report.md
  strongnet report models/mnist_demo.json --max-flash 16K --max-ram 8K --max-latency-us 5ms --junit report.xml
  strongnet report digits.json --inputs data/digits_test.csv --vectors 20
${SPEC_HELP}`,
    )
    .action(async (modelPath: string, opts: ReportFlags) => {
      const graph = withOutputs(loadGraph(modelPath), opts.outputs);
      const board = getBoard(opts.board);
      const boards = resolveBoards(opts.boards);
      const budget = resolveBudget(opts, loadBoards().map((b) => b.name));
      if (opts.markdown === "-" && opts.json) throw new UsageError("--markdown - and --json both want stdout; write one of them to a file");
      const progress = reportProgress(!opts.json);
      const report = await createReport({
        graph,
        board,
        boards,
        budget,
        vectors: opts.vectors,
        dataset: opts.dataset,
        inputs: opts.inputs,
        seed: opts.seed,
        keepDir: opts.keep,
        opt: opts.opt,
        arena: opts.arena,
        onProgress: progress.onProgress,
      }).finally(progress.stop);
      const markdown = opts.markdown === undefined ? undefined : renderMarkdown(report);
      if (opts.markdown && opts.markdown !== "-") writeFileAtomic(opts.markdown, markdown!);
      if (opts.html) writeFileAtomic(opts.html, renderHtml(report));
      if (opts.junit) writeFileAtomic(opts.junit, renderJUnit(reportJUnit(report), "strongnet report"));
      if (opts.json) printJson(report);
      else if (opts.markdown === "-") process.stdout.write(markdown!);
      else process.stdout.write(renderText(report));
      if (!report.passed) {
        for (const line of failureLines(report)) process.stderr.write(`strongnet: ${line}\n`);
        process.exitCode = EXIT.checkFailed;
      }
    });
}
