/**
 * Adds the firmware measurements to the shipped trained models' sidecars
 * (models/<name>.metrics.json, written by `strongnet train`): for each board, the generated C is
 * built, run under QEMU on the first N test images of the model's data set, checked bit-exact
 * against the reference interpreter, and its instructions per inference (-icount) and image
 * flash / RAM recorded under `measured`.
 *
 *   npx tsx scripts/measure-models.ts [--vectors 200] [model names...]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { datasetNamed } from "../src/datasets/index.js";
import { getBoard } from "../src/firmware/boards.js";
import { loadGraph } from "../src/ir/index.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { verifyModel } from "../src/verify/verify.js";

const { values, positionals } = parseArgs({ options: { vectors: { type: "string", default: "200" } }, allowPositionals: true });
const names = positionals.length ? positionals : ["mnist_strong", "fashion_strong", "mnist_dense", "fashion_dense"];
const vectors = Number(values.vectors);
const BOARDS = ["nucleo-f411re", "bbc-microbit-v1", "nucleo-f767zi"];

for (const name of names) {
  const model = `models/${name}.json`;
  const sidecarPath = `models/${name}.metrics.json`;
  const sidecar = JSON.parse(readFileSync(sidecarPath, "utf8")) as Record<string, unknown>;
  const graph = loadGraph(model);
  const dataset = datasetNamed(graph.metadata?.dataset) ?? null;
  const measured: Record<string, unknown> = {};
  for (const boardName of BOARDS) {
    const board = getBoard(boardName);
    const r = await verifyModel({ graph, board, count: vectors, datasetCount: vectors, dataset });
    measured[boardName] = {
      core: board.core,
      qemuMachine: board.qemu.machine,
      bitExact: r.passed,
      vectors: r.vectors.total,
      instructionsPerInference: { mean: r.instructions.mean, min: r.instructions.min, max: r.instructions.max },
      image: r.image,
      stackBytes: r.stack.usedBytes,
      accuracyOnVectors: r.accuracy,
    };
    process.stderr.write(`${name} on ${boardName}: ${r.passed ? "bit-exact" : "MISMATCH"}, ${r.instructions.mean} instructions, flash ${r.image.flashBytes} B, RAM ${r.image.ramBytes} B\n`);
  }
  sidecar.measured = {
    how: `npx tsx scripts/measure-models.ts: strongnet verify on the first ${vectors} test images per board (QEMU -icount, arm-none-eabi-gcc -O2)`,
    boards: measured,
  };
  writeFileAtomic(sidecarPath, JSON.stringify(sidecar, null, 2) + "\n");
}
