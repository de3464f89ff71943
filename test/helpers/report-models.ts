/**
 * Models for the report tests: one whose activation arena (19,200 bytes) is over the 16 KB of
 * RAM of bbc-microbit-v1 and fits every other board, so `--boards all` has a board it does not fit.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelFileInput } from "../../src/format/schema.js";
import { encodeInt8 } from "../../src/ir/index.js";

export function wideArenaModel(name = "wide_arena"): ModelFileInput {
  const ramp = Array.from({ length: 256 }, (_, i) => Math.max(-128, Math.min(127, i - 128 + ((i * 7) % 13) - 6)));
  const templates = Array.from({ length: 12 }, (_, t) => ({ groups: [[{ dy: 0, dx: 0, c: 0, table: t % 2 }]] }));
  return {
    format: "strongnet-model",
    version: 1,
    name,
    input: { shape: [40, 40, 1] },
    tables: [encodeInt8(ramp), encodeInt8(ramp.map((v) => Math.max(-128, Math.min(127, -v))))],
    layers: [
      { id: "features", kind: "strong_conv", input: "input", kernel: [1, 1], templates },
      { id: "pool", kind: "maxpool", input: "features", pool: [2, 2] },
    ],
    output: "pool",
  } as ModelFileInput;
}

export function writeModel(model: ModelFileInput, dir = mkdtempSync(join(tmpdir(), "strongnet-report-model-"))): string {
  const path = join(dir, `${model.name}.json`);
  writeFileSync(path, JSON.stringify(model));
  return path;
}
