/**
 * The board catalogue: one JSON file per board in `boards/`, validated with zod.
 *
 * A board describes the real hardware (core, clock, flash, RAM, compiler flags, Arduino FQBN)
 * and the QEMU machine that emulates it (or the nearest machine with the same core). The test
 * firmware is linked at the machine's addresses with region lengths min(board, machine), so an
 * image too large for the real board fails to link even when the emulator has more memory.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { formatPath } from "../format/errors.js";

/** The project's `boards/` folder. */
export const BOARDS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../boards");

export const DEFAULT_BOARD = "nucleo-f411re";

/** Refusal of an unknown board name or a malformed board file; names the file and the field. */
export class BoardError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "BoardError";
  }
}

export const CORES = [
  "cortex-m0",
  "cortex-m0plus",
  "cortex-m1",
  "cortex-m3",
  "cortex-m4",
  "cortex-m7",
  "cortex-m23",
  "cortex-m33",
  "cortex-m55",
] as const;

const positiveInt = z.number().int().positive();

/** A 32-bit address: a number or a hex string such as "0x20000000". */
const address = z
  .union([
    z.number().int().nonnegative(),
    z.string().regex(/^0x[0-9a-fA-F]{1,8}$/, "must be a hex address such as \"0x20000000\""),
  ])
  .transform((v) => (typeof v === "number" ? v : Number.parseInt(v.slice(2), 16)))
  .refine((v) => v <= 0xffffffff, "must fit in 32 bits");

const region = z.strictObject({
  origin: address,
  length: positiveInt.refine((v) => v % 4 === 0, "must be a multiple of 4"),
});

const cflag = z.string().regex(/^-m(cpu|thumb|float-abi|fpu|arch|tune)\b/, "must be an -mcpu/-mthumb/-mfloat-abi/-mfpu flag");

export const BoardSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be a kebab-case id such as \"nucleo-f411re\""),
    title: z.string().min(1),
    mcu: z.string().min(1),
    core: z.enum(CORES),
    fpu: z.boolean(),
    clockHz: positiveInt,
    flashBytes: positiveInt,
    ramBytes: positiveInt,
    cflags: z.array(cflag).min(1),
    qemu: z.strictObject({
      /** the qemu-system-arm -M machine */
      machine: z.string().regex(/^[a-z0-9-]+$/),
      /** the core the machine emulates (may differ from the board's: arduino-zero is an M0+ run on an M0) */
      cpu: z.enum(CORES),
      /**
       * -icount shift: each instruction advances virtual time by 2^shift ns. Chosen per machine so
       * one instruction lasts at least one SysTick period (fine-grained instruction counts).
       */
      icountShift: z.number().int().min(0).max(10).default(0),
      flash: region,
      ram: region,
    }),
    arduinoFqbn: z.string().regex(/^[^:\s]+:[^:\s]+:[^:\s]+(:\S+)?$/, "must be vendor:arch:board[:options]").nullable(),
    notes: z.string(),
  })
  .superRefine((b, ctx) => {
    if (!b.cflags.includes(`-mcpu=${b.core}`)) {
      ctx.addIssue({ code: "custom", path: ["cflags"], message: `must contain -mcpu=${b.core} (the board's core)` });
    }
    if (!b.cflags.includes("-mthumb")) {
      ctx.addIssue({ code: "custom", path: ["cflags"], message: "must contain -mthumb (Cortex-M runs Thumb code only)" });
    }
    const hard = b.cflags.some((f) => f === "-mfloat-abi=hard" || f === "-mfloat-abi=softfp");
    if (hard && !b.fpu) {
      ctx.addIssue({ code: "custom", path: ["cflags"], message: "uses a hardware float ABI but fpu is false" });
    }
  });

export type Board = z.output<typeof BoardSchema>;

/** Parses one board object; `file` is used in error messages. */
export function parseBoard(data: unknown, file: string): Board {
  const result = BoardSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = formatPath(issue.path) || "(root)";
    throw new BoardError(`board file ${file}: field ${field}: ${issue.message}`, file, field);
  }
  const board = result.data;
  const base = file.replace(/^.*[\\/]/, "").replace(/\.json$/, "");
  if (base !== board.name) {
    throw new BoardError(`board file ${file}: field name: "${board.name}" must match the file name (${base}.json)`, file, "name");
  }
  return board;
}

/** Reads and validates one board file. */
export function loadBoardFile(path: string): Board {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new BoardError(`board file ${path}: not valid JSON: ${(err as Error).message}`, path);
  }
  return parseBoard(data, path);
}

const cache = new Map<string, Board[]>();

/** Every board in `dir` (default: the project's boards/), sorted by name. */
export function loadBoards(dir: string = BOARDS_DIR): Board[] {
  const cached = cache.get(dir);
  if (cached) return cached;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  const boards = files.map((f) => loadBoardFile(join(dir, f)));
  cache.set(dir, boards);
  return boards;
}

/** The board called `name`; an unknown name is refused with the list of known names. */
export function getBoard(name: string, dir: string = BOARDS_DIR): Board {
  const boards = loadBoards(dir);
  const board = boards.find((b) => b.name === name);
  if (!board) {
    throw new BoardError(`unknown board "${name}"; known boards: ${boards.map((b) => b.name).join(", ")}`, undefined, "board");
  }
  return board;
}

/** Linker region lengths: min(board, emulating machine). */
export function linkRegions(board: Board): { flash: { origin: number; length: number }; ram: { origin: number; length: number } } {
  return {
    flash: { origin: board.qemu.flash.origin, length: Math.min(board.flashBytes, board.qemu.flash.length) },
    ram: { origin: board.qemu.ram.origin, length: Math.min(board.ramBytes, board.qemu.ram.length) },
  };
}
