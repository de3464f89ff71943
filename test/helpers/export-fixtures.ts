/** Shared pieces of the export tests: random graphs, temp dirs, the Arduino stub. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseModel } from "../../src/format/load.js";
import { buildGraph, type Graph } from "../../src/ir/index.js";
import { randomModel } from "./random-model.js";

export const ARDUINO_STUB_DIR = join(import.meta.dirname, "..", "fixtures", "arduino-stub");

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `strongnet-${prefix}-`));

export function randomGraph(seed: number): Graph {
  return buildGraph(parseModel(randomModel(seed)));
}

/** Writes the random model of `seed` as a model file and returns its path. */
export function randomModelFile(seed: number, dir = tempDir("model")): string {
  const path = join(dir, `random_${seed}.json`);
  writeFileSync(path, JSON.stringify(randomModel(seed)));
  return path;
}

/** The values of the "output:" line an example prints. */
export function parseOutputLine(text: string): number[] {
  const line = text.split("\n").find((l) => l.startsWith("output:"));
  if (!line) throw new Error(`no "output:" line in:\n${text}`);
  return line.slice("output:".length).trim().split(/\s+/).map(Number);
}
