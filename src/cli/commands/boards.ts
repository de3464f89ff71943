import type { Command } from "commander";
import { DEFAULT_BOARD, loadBoards } from "../../firmware/boards.js";
import { formatMemorySize } from "../../report/units.js";
import { printJson } from "../output.js";


export function registerBoards(program: Command): void {
  program
    .command("boards")
    .description("list the boards strongnet can size, build and verify for (boards/*.json)")
    .option("--json", "print the full board records as JSON")
    .action((opts: { json?: boolean }) => {
      const boards = loadBoards();
      if (opts.json) return printJson(boards.map((b) => ({ ...b, default: b.name === DEFAULT_BOARD })));
      const rows = boards.map((b) => [
        b.name + (b.name === DEFAULT_BOARD ? " *" : ""),
        b.core + (b.fpu ? " +FPU" : ""),
        `${b.clockHz / 1e6} MHz`,
        formatMemorySize(b.flashBytes),
        formatMemorySize(b.ramBytes),
        b.qemu.machine + (b.qemu.cpu === b.core ? "" : ` (${b.qemu.cpu})`),
        b.title,
      ]);
      printTable(["board", "core", "clock", "flash", "RAM", "QEMU machine", "title"], rows);
      console.log(`\n* default board. Verify runs each board on its QEMU machine; see docs/boards.md.`);
    });
}

/** Left-aligned columns, two spaces apart. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(r));
}
