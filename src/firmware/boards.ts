/**
 * The board catalogue: one JSON file per board in `boards/`, validated with zod.
 *
 * A board describes the real hardware (core, clock, flash, RAM, compiler flags, Arduino FQBN)
 * and the QEMU machine that emulates it (or the nearest machine with the same core). The test
 * firmware is linked at the machine's addresses with region lengths min(board, machine), so an
 * image too large for the real board fails to link even when the emulator has more memory.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { formatPath } from "../format/errors.js";

/** The bundled `boards/` folder (inside the installed package, whatever the current directory). */
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

/**
 * Reads and validates one board file. `requireNameMatch` (the default, for files in a boards
 * folder, where the name is how a board is found) also checks that `name` matches the file name.
 */
export function loadBoardFile(path: string, opts: { requireNameMatch?: boolean } = {}): Board {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BoardError(`board file ${path}: ${code === "ENOENT" ? "no such file" : `cannot read it (${code ?? String(err)})`}`, path);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BoardError(`board file ${path}: not valid JSON: ${(err as Error).message}`, path);
  }
  if (opts.requireNameMatch === false) {
    const result = BoardSchema.safeParse(data);
    if (result.success) return result.data;
  }
  return parseBoard(data, path);
}

/** The boards of one folder and the files in it that were skipped, each with the reason. */
export interface BoardScan {
  boards: Board[];
  problems: BoardError[];
}

/**
 * Every valid board file in `dir`, sorted by name. A broken file does not hide the others: it
 * is skipped and returned in `problems` (a BoardError naming the file and the field).
 */
export function scanBoardDir(dir: string): BoardScan {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch (err) {
    throw new BoardError(`boards folder ${dir}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such folder" : `cannot read it (${(err as Error).message})`}`, dir);
  }
  const boards: Board[] = [];
  const problems: BoardError[] = [];
  for (const f of files.sort()) {
    try {
      boards.push(loadBoardFile(join(dir, f)));
    } catch (err) {
      if (!(err instanceof BoardError)) throw err;
      problems.push(err);
    }
  }
  return { boards, problems };
}

/** Where boards come from: the bundled folder, the project's `boards/`, or `--boards-dir`. */
export type BoardOrigin = "bundled" | "project" | "boards-dir";

/** The boards strongnet knows about, where each came from, and the board files it skipped. */
export interface BoardCatalog {
  boards: Board[];
  /** the file each board was read from, by name */
  files: Map<string, string>;
  origins: Map<string, BoardOrigin>;
  problems: BoardError[];
  /** the folders searched, in order (a later folder's board replaces an earlier one of the same name) */
  dirs: { dir: string; origin: BoardOrigin }[];
}

let extraDirs: string[] = [];
let projectRoot: string | undefined;
let warn: ((problem: BoardError) => void) | undefined;
const warned = new Set<string>();

/**
 * Configures the board search path: `boardsDir` (the CLI's --boards-dir) is searched after the
 * bundled boards and the project's `boards/` folder (`<projectDir>/boards`, default the current
 * directory), and its boards replace bundled ones of the same name.
 */
export function configureBoards(opts: { boardsDir?: string | string[]; projectDir?: string; onProblem?: (problem: BoardError) => void }): void {
  if (opts.boardsDir !== undefined) {
    extraDirs = (Array.isArray(opts.boardsDir) ? opts.boardsDir : [opts.boardsDir]).map((d) => resolve(d));
    for (const d of extraDirs) {
      if (!existsSync(d) || !statSync(d).isDirectory()) throw new BoardError(`--boards-dir ${d}: no such folder`, d, "boards-dir");
    }
  }
  if (opts.projectDir !== undefined) projectRoot = resolve(opts.projectDir);
  if (opts.onProblem !== undefined) warn = opts.onProblem;
  cache.clear();
}

const sameDir = (a: string, b: string): boolean => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
};

/** The folders searched for boards, in order: bundled, the project's boards/ (when present), --boards-dir. */
export function boardDirs(): { dir: string; origin: BoardOrigin }[] {
  const dirs: { dir: string; origin: BoardOrigin }[] = [{ dir: BOARDS_DIR, origin: "bundled" }];
  const project = join(projectRoot ?? process.cwd(), "boards");
  if (existsSync(project) && statSync(project).isDirectory()) dirs.push({ dir: project, origin: "project" });
  for (const dir of extraDirs) dirs.push({ dir, origin: "boards-dir" });
  return dirs.filter((d, i) => dirs.findIndex((e) => sameDir(e.dir, d.dir)) === i);
}

const cache = new Map<string, BoardCatalog>();

/** The board catalogue over boardDirs(); skipped files are passed to the configured onProblem once each. */
export function boardCatalog(): BoardCatalog {
  const dirs = boardDirs();
  const key = dirs.map((d) => d.dir).join("\0");
  let catalog = cache.get(key);
  if (!catalog) {
    const byName = new Map<string, Board>();
    const files = new Map<string, string>();
    const origins = new Map<string, BoardOrigin>();
    const problems: BoardError[] = [];
    for (const { dir, origin } of dirs) {
      const scan = scanBoardDir(dir);
      problems.push(...scan.problems);
      for (const b of scan.boards) {
        byName.set(b.name, b);
        files.set(b.name, join(dir, `${b.name}.json`));
        origins.set(b.name, origin);
      }
    }
    const boards = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    catalog = { boards, files, origins, problems, dirs };
    cache.set(key, catalog);
  }
  for (const p of catalog.problems) {
    if (warn && !warned.has(p.message)) {
      warned.add(p.message);
      warn(p);
    }
  }
  return catalog;
}

/**
 * The boards in `dir`, or, without `dir`, every board of the catalogue (bundled, project,
 * --boards-dir), sorted by name. Broken files are skipped (see boardCatalog / scanBoardDir).
 */
export function loadBoards(dir?: string): Board[] {
  if (dir === undefined) return boardCatalog().boards;
  return scanBoardDir(dir).boards;
}

/** True when a --board value names a file rather than a catalogue board. */
export const isBoardPath = (value: string): boolean => value.endsWith(".json") || value.includes("/") || value.includes("\\");

/**
 * The board `nameOrPath` names: a path to a board JSON file (anything ending in .json or with a
 * path separator; its `name` need not match the file name), or the name of a board in the
 * catalogue (or in `dir` only, when given). An unknown name is refused with the closest known
 * name ("did you mean") and the list of known names; a name whose file was skipped as broken is
 * refused with that file's problem.
 */
export function getBoard(nameOrPath: string, dir?: string): Board {
  if (isBoardPath(nameOrPath)) return loadBoardFile(nameOrPath, { requireNameMatch: false });
  const { boards, problems } = dir === undefined ? boardCatalog() : scanBoardDir(dir);
  const board = boards.find((b) => b.name === nameOrPath);
  if (board) return board;
  const broken = problems.find((p) => p.file !== undefined && basename(p.file, ".json") === nameOrPath);
  if (broken) throw new BoardError(`board "${nameOrPath}" cannot be used: ${broken.message}`, broken.file, broken.field);
  const names = boards.map((b) => b.name);
  const guess = closest(nameOrPath, names);
  throw new BoardError(
    `unknown board "${nameOrPath}"${guess ? ` (did you mean "${guess}"?)` : ""}; known boards: ${names.join(", ")} ` +
      `(or give a path to a board JSON file; see \`strongnet boards\`)`,
    undefined,
    "board",
  );
}

/** The known name nearest to `name` by edit distance, when near enough to be a typo. */
export function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  if (best !== undefined && (bestDistance <= Math.max(2, Math.floor(name.length / 3)) || (name.length >= 3 && best.includes(name)))) return best;
  return undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Linker region lengths: min(board, emulating machine). */
export function linkRegions(board: Board): { flash: { origin: number; length: number }; ram: { origin: number; length: number } } {
  return {
    flash: { origin: board.qemu.flash.origin, length: Math.min(board.flashBytes, board.qemu.flash.length) },
    ram: { origin: board.qemu.ram.origin, length: Math.min(board.ramBytes, board.qemu.ram.length) },
  };
}
