/**
 * The strongnet command line. Each subcommand lives in its own file under commands/; this file
 * wires them into commander and turns errors into one-line messages and exit codes CI can use.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { STRONGNET_VERSION } from "../version.js";
import { registerBoards } from "./commands/boards.js";
import { registerCompile } from "./commands/compile.js";
import { registerDemo } from "./commands/demo.js";
import { registerExport } from "./commands/export.js";
import { registerFlash } from "./commands/flash.js";
import { registerImport } from "./commands/import.js";
import { registerReport } from "./commands/report.js";
import { registerRobustness } from "./commands/robustness.js";
import { registerTrain } from "./commands/train.js";
import { registerVerify } from "./commands/verify.js";
import { configureBoards } from "../firmware/boards.js";
import { registerModels } from "./commands/models.js";
import { exitCodeFor, EXIT, formatError } from "./errors.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("strongnet")
    .description(
      "Compile sparse strong-neuron networks and int8 layers into self-contained C99 for Cortex-M, " +
        "prove the firmware bit-exact under QEMU against the TypeScript reference, and report budgets.",
    )
    .version(STRONGNET_VERSION)
    .option("--boards-dir <dir>", "also read board files from this folder (after the bundled boards and ./boards/; its boards replace bundled ones of the same name)")
    .addHelpText(
      "after",
      `
Exit codes:
  ${EXIT.ok}  success
  ${EXIT.checkFailed}  a check failed: firmware output differs from the reference, or over a budget
  ${EXIT.badInput}  bad input: malformed or inconsistent model file, bad data, unknown board, bad option
  ${EXIT.environment}  environment: toolchain or QEMU missing, build failed, emulator crashed or locked up

Boards: the bundled ones, then ./boards/*.json in the current directory, then --boards-dir;
--board also takes a path to a board JSON file. \`strongnet boards --init NAME --from BOARD\`
writes a starting file.

Examples:
  strongnet demo
  strongnet boards
  strongnet compile models/mnist_demo.json --board nucleo-f411re -o build/mnist_demo
  strongnet verify models/mnist_demo.json --board bbc-microbit-v1 --vectors 200
  strongnet export models/mnist_demo.json --board nucleo-f411re --format arduino -o build/mnist_demo-arduino
  strongnet flash models/mnist_demo.json --board arduino-zero --port /dev/ttyACM0
  strongnet robustness models/mnist_demo.json --eps 1,2,4,8,16 --samples 200
  strongnet report models/mnist_demo.json --boards all --html report.html --max-flash 64K`,
    );
  registerImport(program);
  registerCompile(program);
  registerVerify(program);
  registerBoards(program);
  registerModels(program);
  registerDemo(program);
  registerExport(program);
  registerFlash(program);
  registerTrain(program);
  registerRobustness(program);
  registerReport(program);
  // Before any command runs: where boards come from (--boards-dir, ./boards/), and a skipped
  // broken board file is one warning line, not a failure of every command.
  program.hook("preAction", () => {
    const { boardsDir } = program.opts<{ boardsDir?: string }>();
    configureBoards({
      boardsDir: boardsDir ?? [],
      projectDir: process.cwd(),
      onProblem: (p) => process.stderr.write(`strongnet: warning: skipped ${p.message}\n`),
    });
  });
  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // Subcommands copy these settings only when they are created, so set them on each one too:
  // otherwise a bad subcommand option makes commander call process.exit(1) instead of exit 2.
  // A usage error is one line naming the problem and where help is, not the whole help text.
  for (const cmd of [program, ...program.commands]) {
    const path = cmd === program ? "strongnet" : `strongnet ${cmd.name()}`;
    cmd.exitOverride();
    cmd.configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`${path}: ${s.trim().replace(/^error: /, "").replace(/\s*\n\s*/g, " ")} (see \`${path} --help\`)\n`),
    });
  }
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (err) {
    // an option check inside an action (e.g. --adversarial with the wrong --arch): commander
    // prints only the errors of its own parsing, so this one is printed here
    if (err instanceof InvalidArgumentError) {
      process.stderr.write(`strongnet: ${err.message}\n`);
      return EXIT.badInput;
    }
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0; usage errors were printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    process.stderr.write(`strongnet: ${formatError(err)}\n`);
    return exitCodeFor(err);
  }
}
