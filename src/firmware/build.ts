/**
 * Builds the test firmware: generated model code + harness + startup + linker script, compiled
 * with arm-none-eabi-gcc for one board, linked for the board's QEMU machine.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ejs from "ejs";
import { linkRegions, type Board } from "./boards.js";
import { CompileError, FirmwareTooLargeError, requireTool } from "./tools.js";

export const FIRMWARE_TEMPLATE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../c-templates");

/**
 * "count": plain model, SysTick around predict. "trace": model built with -DSTRONGNET_TRACE, per-layer hashes.
 * "profile": -DSTRONGNET_TRACE with a hook that times every layer with SysTick (per-layer instructions, used by `report`).
 */
export type FirmwareMode = "count" | "trace" | "profile";

export interface BuildFirmwareOptions {
  board: Board;
  /** the C identifier of the model: files `<name>.c`/`<name>.h`, function `<name>_predict` */
  modelName: string;
  modelSources: { c: string; h: string };
  mode: FirmwareMode;
  /** created if absent; receives the sources and firmware-<mode>.{elf,map,json} (count and trace builds can share it) */
  workDir: string;
  /** the least stack the linker must leave above .data + .bss (default 1024 bytes) */
  stackMinBytes?: number;
  /** extra compiler flags (e.g. -DFOO) */
  extraCflags?: string[];
  /** optimisation level (default -O2) */
  opt?: OptLevel;
}

export interface FirmwareSizes {
  /** arm-none-eabi-size (Berkeley): .text includes vectors, code and read-only data */
  text: number;
  data: number;
  bss: number;
  /** text + data: what the image takes in flash */
  flashBytes: number;
  /** data + bss: static RAM, not counting the stack */
  ramBytes: number;
}

export interface FirmwareBuild {
  board: Board;
  modelName: string;
  mode: FirmwareMode;
  elfPath: string;
  workDir: string;
  inputSize: number;
  outputSize: number;
  layerCount: number;
  sizes: FirmwareSizes;
}

/** Written beside the ELF as firmware-<mode>.json (see metaPath), so runFirmware knows how to talk to it. */
export interface FirmwareMeta {
  board: string;
  modelName: string;
  mode: FirmwareMode;
  inputSize: number;
  outputSize: number;
  layerCount: number;
}

/** The base compiler flags every firmware is built with (after the board's cflags); -O2 unless `opt` says otherwise. */
export const BASE_CFLAGS = ["-std=c99", "-O2", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra"];

/** Optimisation levels verify, report and export accept (`--opt`). */
export const OPT_LEVELS = ["-Os", "-O2", "-O3"] as const;
export type OptLevel = (typeof OPT_LEVELS)[number];

/** The flags a firmware's C is compiled with: the board's, then the base flags at `opt`. */
export function firmwareCflags(board: Board, opt: OptLevel = "-O2"): string[] {
  return [...board.cflags, ...BASE_CFLAGS.map((f) => (f === "-O2" ? opt : f))];
}

let gccVersion: string | undefined;

/** "arm-none-eabi-gcc 12.2.1", for reports that state how the figures were built. */
export function compilerVersion(): string {
  if (gccVersion === undefined) {
    requireTool("arm-none-eabi-gcc");
    const r = spawnSync("arm-none-eabi-gcc", ["-dumpfullversion"], { encoding: "utf8" });
    gccVersion = `arm-none-eabi-gcc ${r.stdout.trim() || "(unknown version)"}`;
  }
  return gccVersion;
}

function render(template: string, data: Record<string, unknown>): string {
  const path = join(FIRMWARE_TEMPLATE_DIR, template);
  return ejs.render(readFileSync(path, "utf8"), data, { filename: path });
}

/**
 * True when the header declares `<name>_predict(const int8_t *in, int8_t *out, void *arena)`
 * (`compile --arena external`), false for the static arena's `<name>_predict(in, out)`.
 */
export function predictTakesArena(header: string, modelName: string): boolean {
  return new RegExp(`\\b${modelName}_predict\\s*\\(\\s*const int8_t \\*\\s*\\w+\\s*,\\s*int8_t \\*\\s*\\w+\\s*,\\s*void \\*\\s*\\w+\\s*\\)`).test(header);
}

function headerMacro(header: string, macro: string): number {
  const m = new RegExp(`^\\s*#\\s*define\\s+${macro}\\s+\\(?\\s*(\\d+)u?\\s*\\)?\\s*$`, "m").exec(header);
  if (!m) throw new CompileError("(header)", `the model header defines no numeric ${macro}`);
  return Number(m[1]);
}

export function firmwareSizes(elfPath: string): FirmwareSizes {
  requireTool("arm-none-eabi-size");
  const r = spawnSync("arm-none-eabi-size", ["-B", "-d", elfPath], { encoding: "utf8" });
  if (r.status !== 0) throw new CompileError("(size)", r.stderr || String(r.error));
  const line = r.stdout.trim().split("\n")[1];
  const [text, data, bss] = (line ?? "").trim().split(/\s+/).map(Number);
  if (text === undefined || data === undefined || bss === undefined || [text, data, bss].some(Number.isNaN)) {
    throw new CompileError("(size)", `cannot parse arm-none-eabi-size output:\n${r.stdout}`);
  }
  return { text, data, bss, flashBytes: text + data, ramBytes: data + bss };
}

/**
 * Writes the sources into `workDir` and links `workDir/firmware-<mode>.elf`.
 * Throws ToolMissingError, CompileError (compiler stderr) or FirmwareTooLargeError.
 */
export function buildFirmware(opts: BuildFirmwareOptions): FirmwareBuild {
  const { board, modelName, mode, opt } = opts;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(modelName)) {
    throw new CompileError(board.name, `model name "${modelName}" is not a C identifier`);
  }
  requireTool("arm-none-eabi-gcc");
  const workDir = resolve(opts.workDir);
  mkdirSync(workDir, { recursive: true });
  const NAME = modelName.toUpperCase();
  const inputSize = headerMacro(opts.modelSources.h, `${NAME}_INPUT_SIZE`);
  const outputSize = headerMacro(opts.modelSources.h, `${NAME}_OUTPUT_SIZE`);
  const layerCount = headerMacro(opts.modelSources.h, `${NAME}_LAYER_COUNT`);
  // `compile --arena external`: predict takes the caller's arena, which the harness then provides
  const externalArena = predictTakesArena(opts.modelSources.h, modelName);

  const regions = linkRegions(board);
  const hex = (v: number) => `0x${v.toString(16).padStart(8, "0")}`;
  const data = { board, name: modelName, NAME, mode, externalArena, hex, flashLength: regions.flash.length, ramLength: regions.ram.length, stackMinBytes: opts.stackMinBytes ?? 1024 };
  writeFileSync(join(workDir, `${modelName}.c`), opts.modelSources.c);
  writeFileSync(join(workDir, `${modelName}.h`), opts.modelSources.h);
  writeFileSync(join(workDir, "sn_semihost.h"), render("semihost.h.ejs", data));
  writeFileSync(join(workDir, "startup.c"), render("startup.c.ejs", data));
  writeFileSync(join(workDir, `harness-${mode}.c`), render("harness.c.ejs", data));
  writeFileSync(join(workDir, "linker.ld"), render("linker.ld.ejs", data));

  const elfPath = join(workDir, `firmware-${mode}.elf`);
  const args = [
    ...firmwareCflags(board, opt ?? "-O2"),
    ...(mode !== "count" ? ["-DSTRONGNET_TRACE"] : []),
    ...(opts.extraCflags ?? []),
    "-I",
    workDir,
    join(workDir, "startup.c"),
    join(workDir, `harness-${mode}.c`),
    join(workDir, `${modelName}.c`),
    "-nostartfiles",
    "--specs=nano.specs",
    "-Wl,--gc-sections",
    `-Wl,-T,${join(workDir, "linker.ld")}`,
    `-Wl,-Map,${elfPath.replace(/\.elf$/, ".map")}`,
    "-o",
    elfPath,
    "-lgcc",
  ];
  writeFileSync(join(workDir, `build-${mode}.sh`), `#!/bin/sh\n# how strongnet built firmware-${mode}.elf\narm-none-eabi-gcc ${args.map((a) => `'${a}'`).join(" ")}\n`);
  const r = spawnSync("arm-none-eabi-gcc", args, { encoding: "utf8", cwd: workDir });
  if (r.error) throw new CompileError(board.name, String(r.error));
  if (r.status !== 0) {
    const stderr = r.stderr ?? "";
    const overflow = /region [`']?(FLASH|RAM)'? overflowed by (\d+) bytes/.exec(stderr);
    if (overflow) {
      const region = overflow[1] as "FLASH" | "RAM";
      throw new FirmwareTooLargeError(board.name, region, Number(overflow[2]), region === "RAM" ? regions.ram.length : regions.flash.length, stderr);
    }
    if (/strongnet: RAM overflow/.test(stderr)) {
      throw new FirmwareTooLargeError(board.name, "RAM", undefined, regions.ram.length, stderr);
    }
    throw new CompileError(board.name, stderr);
  }
  const meta: FirmwareMeta = { board: board.name, modelName, mode, inputSize, outputSize, layerCount };
  writeFileSync(metaPath(elfPath), JSON.stringify(meta, null, 2) + "\n");
  return { board, modelName, mode, elfPath, workDir, inputSize, outputSize, layerCount, sizes: firmwareSizes(elfPath) };
}

/** Where the FirmwareMeta of an ELF is kept. */
export function metaPath(elfPath: string): string {
  return elfPath.replace(/\.elf$/, "") + ".json";
}
