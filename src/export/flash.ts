/**
 * `strongnet flash`: exports the Arduino library into a sketchbook, then builds and uploads its
 * example with arduino-cli. Without arduino-cli on PATH it stops with what to install and the
 * exact commands it would have run (the library is exported first, so they can be run as printed).
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import type { Graph } from "../ir/index.js";
import { exportPackage, ExportError, packageNames, type ExportBoard, type ExportOptions } from "./package.js";

export interface FlashPlan {
  board: string;
  fqbn: string;
  port: string;
  sketchbook: string;
  libraryDir: string;
  sketchDir: string;
  buildDir: string;
  /** argv of each arduino-cli step, in order; argv[0] is "arduino-cli" */
  commands: string[][];
}

export class ArduinoCliMissingError extends Error {
  override name = "EnvironmentError";
}

export class FlashFailedError extends Error {
  override name = "EnvironmentError";
}

/** The board's FQBN, or a usage error naming the board and the alternatives. */
export function requireFqbn(board: ExportBoard): string {
  if (!board.arduinoFqbn) {
    throw new ExportError(
      `board ${board.name} (${board.title}) has no Arduino core (arduinoFqbn is null), so strongnet cannot flash it with arduino-cli; ` +
        `use \`strongnet export MODEL --board ${board.name} --format cmake -o DIR\` and your vendor's tools instead`,
    );
  }
  return board.arduinoFqbn;
}

/** Exports the Arduino library into <sketchbook>/libraries/<name> and plans the arduino-cli steps. */
export function planFlash(graph: Graph, opts: { board: ExportBoard; port: string; sketchbook?: string; exportOptions?: Omit<ExportOptions, "format" | "board"> }): FlashPlan {
  const fqbn = requireFqbn(opts.board);
  if (!opts.port.trim()) throw new ExportError("--port is empty; give the serial port of the board, e.g. /dev/ttyACM0 or COM3");
  const sketchbook = resolve(opts.sketchbook ?? mkdtempSync(join(tmpdir(), "strongnet-flash-")));
  const pkg = exportPackage(graph, join(sketchbook, "libraries", packageNames(graph.name).libraryName), { ...opts.exportOptions, format: "arduino", board: opts.board });
  const sketchDir = join(pkg.dir, pkg.example);
  const buildDir = join(sketchbook, "build", `${graph.name}_${opts.board.name}`);
  return {
    board: opts.board.name,
    fqbn,
    port: opts.port,
    sketchbook,
    libraryDir: pkg.dir,
    sketchDir,
    buildDir,
    commands: [
      ["arduino-cli", "compile", "--fqbn", fqbn, "--library", pkg.dir, "--build-path", buildDir, sketchDir],
      ["arduino-cli", "upload", "-p", opts.port, "--fqbn", fqbn, "--input-dir", buildDir, sketchDir],
    ],
  };
}

/** The first executable `name` on the PATH, or undefined. */
export function findOnPath(name: string, pathEnv: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (pathEnv ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** "core install" argument of an FQBN: vendor:architecture. */
export const coreOf = (fqbn: string): string => fqbn.split(":").slice(0, 2).join(":");

export function missingCliMessage(plan: FlashPlan): string {
  return [
    "arduino-cli was not found on PATH; strongnet flash needs it to build and upload.",
    "Install it (https://arduino.github.io/arduino-cli/latest/installation/) and the board's core:",
    `  arduino-cli core update-index && arduino-cli core install ${coreOf(plan.fqbn)}`,
    `The Arduino library was exported to ${plan.libraryDir}; strongnet would run:`,
    ...plan.commands.map((argv) => `  ${argv.map(shellQuote).join(" ")}`),
  ].join("\n");
}

/**
 * Runs the plan with arduino-cli at `cli` (found on PATH when omitted). Each step's output goes
 * to the terminal; a failing step stops with an error naming it.
 */
export function runFlash(plan: FlashPlan, cli: string | undefined = findOnPath("arduino-cli"), log: (line: string) => void = console.log): void {
  if (!cli) throw new ArduinoCliMissingError(missingCliMessage(plan));
  for (const [, ...args] of plan.commands) {
    log(`$ ${[cli, ...args].map(shellQuote).join(" ")}`);
    const result = spawnSync(cli, args, { stdio: "inherit" });
    if (result.error) throw new FlashFailedError(`arduino-cli ${args[0]} could not start: ${result.error.message}`);
    if (result.status !== 0) {
      throw new FlashFailedError(`arduino-cli ${args[0]} failed (exit ${result.status ?? result.signal}); the library is at ${plan.libraryDir}`);
    }
  }
}

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
