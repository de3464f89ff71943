import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { boardCatalog, BoardError, DEFAULT_BOARD, getBoard, isBoardPath, loadBoardFile } from "../../firmware/boards.js";
import { formatMemorySize } from "../../report/units.js";
import { writeFileAtomic } from "../../util/fs.js";
import { UsageError } from "../errors.js";
import { printJson } from "../output.js";

interface BoardsFlags {
  json?: boolean;
  init?: string;
  from: string;
  force?: boolean;
}

export function registerBoards(program: Command): void {
  program
    .command("boards")
    .description("list the boards strongnet can size, build and verify for (bundled, ./boards/*.json, --boards-dir), or write a new board file")
    .option("--json", "print the full board records as JSON")
    .option("--init <name>", "write a starting board file <name>.json into ./boards/ (or --boards-dir) to edit for your board")
    .option("--from <board>", "with --init: the board to copy (a name or a board JSON file)", DEFAULT_BOARD)
    .option("--force", "with --init: overwrite an existing file")
    .addHelpText(
      "after",
      `
Boards are read from the bundled boards/ folder, then ./boards/*.json in the current directory,
then --boards-dir (global option: strongnet --boards-dir DIR ...); a later board replaces an
earlier one of the same name. A broken board file is reported and skipped. --board on every
command also takes a path to a board JSON file. The fields are described in docs/boards.md.

Examples:
  strongnet boards --init my-board --from nucleo-f411re     # writes ./boards/my-board.json
  strongnet verify models/mnist_demo.json --board my-board
  strongnet verify models/mnist_demo.json --board ./boards/my-board.json`,
    )
    .action((opts: BoardsFlags, cmd: Command) => {
      if (opts.init !== undefined) return initBoard(opts, cmd.parent?.opts<{ boardsDir?: string }>().boardsDir);
      const catalog = boardCatalog();
      const { boards } = catalog;
      if (opts.json) {
        return printJson(boards.map((b) => ({ ...b, default: b.name === DEFAULT_BOARD, origin: catalog.origins.get(b.name), file: catalog.files.get(b.name) })));
      }
      const rows = boards.map((b) => [
        b.name + (b.name === DEFAULT_BOARD ? " *" : ""),
        b.core + (b.fpu ? " +FPU" : ""),
        `${b.clockHz / 1e6} MHz`,
        formatMemorySize(b.flashBytes),
        formatMemorySize(b.ramBytes),
        b.qemu.machine + (b.qemu.cpu === b.core ? "" : ` (${b.qemu.cpu})`),
        b.title + (catalog.origins.get(b.name) === "bundled" ? "" : ` [${catalog.files.get(b.name)}]`),
      ]);
      printTable(["board", "core", "clock", "flash", "RAM", "QEMU machine", "title"], rows);
      console.log(`\n* default board. Verify runs each board on its QEMU machine; see docs/boards.md.`);
      console.log(`Board folders: ${catalog.dirs.map((d) => `${d.dir} (${d.origin})`).join(", ")}`);
      if (catalog.problems.length) console.log(`Skipped ${catalog.problems.length} broken board file(s); see the warnings above.`);
    });
}

/** `boards --init NAME --from BOARD`: a copy of BOARD's file under the new name, to edit. */
function initBoard(opts: BoardsFlags, boardsDir: string | undefined): void {
  const name = opts.init!;
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new UsageError(`--init ${name}: a board name must be kebab-case, such as "my-board" (lower-case letters, digits, dashes)`);
  // the source file as written (hex addresses stay hex), validated through the catalogue
  const from = getBoard(opts.from);
  const fromFile = isBoardPath(opts.from) ? opts.from : boardCatalog().files.get(from.name)!;
  const raw = JSON.parse(readFileSync(fromFile, "utf8")) as Record<string, unknown>;
  const dir = resolve(boardsDir ?? "boards");
  const file = join(dir, `${name}.json`);
  if (existsSync(file) && !opts.force) throw new UsageError(`${file} exists; choose another name or add --force to overwrite it`);
  const out = {
    ...raw,
    name,
    title: `${String(raw.title)} (copy: describe your board)`,
    notes: `Started from ${from.name} by \`strongnet boards --init\`. Edit title, mcu, core, fpu, clockHz, flashBytes, ramBytes and cflags for your board; qemu names the emulated machine and its memory map (keep it unless you know the machine's flash and RAM origins). docs/boards.md describes every field.`,
  };
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(file, JSON.stringify(out, null, 2) + "\n");
  try {
    loadBoardFile(file);
  } catch (err) {
    // cannot happen for a valid source; say so rather than leave a broken file unexplained
    if (err instanceof BoardError) throw new UsageError(`wrote ${file}, but it does not validate: ${err.message}`);
    throw err;
  }
  console.log(`wrote ${file} (a copy of ${from.name}: ${from.core}, ${formatMemorySize(from.flashBytes)} flash, ${formatMemorySize(from.ramBytes)} RAM, QEMU ${from.qemu.machine})`);
  console.log(`edit it for your board, then: strongnet verify MODEL --board ${name}${boardsDir ? ` --boards-dir ${boardsDir}` : ""}`);
}

/** Left-aligned columns, two spaces apart. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(r));
}
