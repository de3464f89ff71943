import { join } from "node:path";
import type { Command } from "commander";
import { generateC, toTarget, writeGenerated } from "../../codegen/index.js";
import { DEFAULT_BOARD, getBoard } from "../../firmware/boards.js";
import { loadGraph } from "../../ir/index.js";
import { DEMO_MODEL_NAME, MODELS_DIR } from "../../models/bundled.js";
import { verifyModel } from "../../verify/verify.js";
import { EXIT } from "../errors.js";
import { printJson } from "../output.js";
import { verifyProgress } from "../progress.js";
import { printVerifyReport } from "../verify-report.js";
import { positiveInt } from "../options.js";

/** The bundled MNIST strong network (models/README.md, docs/training.md: how it was trained and measured). */
export const DEMO_MODEL = join(MODELS_DIR, `${DEMO_MODEL_NAME}.json`);

interface DemoFlags {
  board: string;
  images: number;
  out: string;
  json?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("the main job on the bundled MNIST model: compile for the default board, verify under QEMU on test images, print accuracy, instructions and flash/RAM")
    .option("-b, --board <name|file>", "board: a name (see `strongnet boards`) or a board JSON file", DEFAULT_BOARD)
    .option("--images <n>", "MNIST test images to run in the emulator (plus 10 edge and random vectors)", positiveInt("--images"), 100)
    .option("-o, --out <dir>", "where the generated C goes", "build/demo")
    .option("--json", "print the verify report as JSON")
    .action(async (opts: DemoFlags) => {
      const graph = loadGraph(DEMO_MODEL);
      const board = getBoard(opts.board);
      const files = writeGenerated(opts.out, graph.name, generateC(graph, toTarget(board)));
      const progress = verifyProgress(!opts.json);
      const report = await verifyModel({
        graph,
        board,
        count: opts.images + 10,
        datasetCount: opts.images,
        dataset: "mnist",
        workDir: join(opts.out, "firmware"),
        onProgress: progress.onProgress,
      }).finally(progress.stop);
      if (!report.passed) process.exitCode = EXIT.checkFailed;
      if (opts.json) return printJson({ generated: files, ...report });
      console.log(`strongnet demo: ${graph.name} -> ${files.source}, ${files.header}`);
      printVerifyReport(report);
      console.log(`  firmware      ${join(opts.out, "firmware")} (ELF, map, the exact arm-none-eabi-gcc commands)`);
    });
}
