/** The board catalogue for the export tests. */
import { loadBoards } from "../../src/firmware/boards.js";
import type { ExportBoard } from "../../src/export/index.js";

export function exportBoards(): ExportBoard[] {
  return loadBoards();
}
