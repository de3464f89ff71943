import type { Command } from "commander";
import { planFlash, runFlash } from "../../export/index.js";
import { getBoard } from "../../firmware/boards.js";
import { loadGraph } from "../../ir/index.js";
import { BudgetError, checkFit } from "../../plan/fit.js";
import { generateC, toTarget } from "../../codegen/index.js";
import { modelArgument } from "../options.js";
import { addPackageOptions, packageOptions, type PackageOptionValues } from "./export.js";

export function registerFlash(program: Command): void {
  const cmd = program
    .command("flash")
    .description("build the Arduino example for a board with arduino-cli and upload it (prints results and cycles over Serial)")
    .argument("<model>", "model file: .json (strongnet-model version 1) or .tflite (imported), or a bundled model's name (see `strongnet models`)", modelArgument)
    .requiredOption("-b, --board <name|file>", "board with an Arduino core: a name (see `strongnet boards`) or a board JSON file")
    .requiredOption("-p, --port <port>", "serial port of the board, e.g. /dev/ttyACM0 or COM3")
    .option("--sketchbook <dir>", "where to export the library and build (default: a new temp directory)");
  addPackageOptions(cmd).action((modelPath: string, opts: PackageOptionValues & { board: string; port: string; sketchbook?: string }) => {
    const graph = loadGraph(modelPath);
    const board = getBoard(opts.board);
    const problems = checkFit(generateC(graph, toTarget(board)).plan, board);
    if (problems.length) throw new BudgetError(problems);
    const plan = planFlash(graph, { board, port: opts.port, sketchbook: opts.sketchbook, exportOptions: packageOptions(opts) });
    runFlash(plan);
    console.log(`flashed ${graph.name} to ${board.name} on ${opts.port}; open the serial monitor at 115200 baud:`);
    console.log(`  arduino-cli monitor -p ${opts.port} -c baudrate=115200`);
  });
}
