/**
 * The static stack bound of `<name>_predict` on a board, for the header comment `compile --board`
 * writes: the model is built once with the board's flags and -fstack-usage, and the frames are
 * summed along the deepest path of the disassembled call graph (stack.ts), as `report` does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFirmware } from "../firmware/build.js";
import type { Board } from "../firmware/boards.js";
import { disassemble, readSymbols } from "./elf.js";
import { analyseStack, readStackUsage } from "./stack.js";

export interface StackBound {
  bytes: number;
  /** false when a frame on some path is dynamic or a call target unknown: then a lower bound */
  complete: boolean;
}

export function predictStackBound(board: Board, modelName: string, sources: { c: string; h: string }): StackBound {
  const workDir = mkdtempSync(join(tmpdir(), "strongnet-stack-"));
  try {
    const build = buildFirmware({ board, modelName, modelSources: sources, mode: "count", workDir, extraCflags: ["-fstack-usage"] });
    const funcs = disassemble(build.elfPath, readSymbols(build.elfPath));
    const bound = analyseStack(funcs, readStackUsage(workDir, "firmware-count.elf")).bound(`${modelName}_predict`);
    return { bytes: bound.bytes, complete: bound.complete };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
