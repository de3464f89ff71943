/**
 * The active-inputs dense kernel (c-templates/runtime/dense_active.c) against the blocked dense
 * kernel it replaces after strong layers, on the deep strong networks of bench/strong-vs-cnn.ts,
 * per core. Both kernels compile the same model; the blocked one is forced by clearing the
 * layer's `activeInputs`. Writes bench/results/dense-active.{md,json}.
 *
 *   npx tsx bench/dense-active.ts [--images N] [--boards b1,b2,...]
 *
 * Instructions are QEMU -icount counts per inference of the whole model (`strongnet verify`'s
 * firmware), every output checked against the reference: the mean, min and max over N official
 * test images, and the max over the verifier's synthetic vectors (constant images -128, 0, 127 and
 * random ones), where many more features are on than in any digit.
 */
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { getBoard } from "../src/firmware/index.js";
import { loadGraph, type Graph } from "../src/ir/index.js";
import type { DenseLayer } from "../src/kinds/dense.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { verifyModel } from "../src/verify/verify.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench", "results");
const { values } = parseArgs({
  options: { images: { type: "string", default: "50" }, boards: { type: "string", default: "bbc-microbit-v1,lm3s6965,nucleo-f411re,nucleo-f767zi,alif-e7-devkit" } },
});
const IMAGES = Number(values.images);
const MODELS = [
  { path: "bench/results/strong-vs-cnn-models/mnist_strong_deep.json", dataset: "mnist" },
  { path: "bench/results/strong-vs-cnn-models/fashion_strong_deep.json", dataset: "fashion-mnist" },
];

interface Cell {
  model: string;
  board: string;
  core: string;
  kernel: "active" | "blocked";
  images: { mean: number; min: number; max: number };
  syntheticMax: number;
}

/** The same graph with every dense layer on the blocked (or one-unit) kernel. */
const withoutActiveInputs = (graph: Graph): Graph => ({
  ...graph,
  layers: graph.layers.map((l) => (l.kind === "dense" ? ({ ...l, activeInputs: false } as DenseLayer) : l)),
});

async function measure(graph: Graph, boardName: string, dataset: string): Promise<Pick<Cell, "images" | "syntheticMax">> {
  const board = getBoard(boardName);
  const images = await verifyModel({ graph, board, count: IMAGES, dataset, datasetCount: IMAGES, seed: 1 });
  const synthetic = await verifyModel({ graph, board, count: 8, dataset: null, seed: 1 });
  if (!images.passed || !synthetic.passed) throw new Error(`${graph.name} on ${boardName}: firmware differs from the reference`);
  const { mean, min, max } = images.instructions;
  return { images: { mean: Math.round(mean), min, max }, syntheticMax: synthetic.instructions.max };
}

const cells: Cell[] = [];
for (const { path, dataset } of MODELS) {
  const active = loadGraph(join(ROOT, path));
  for (const boardName of values.boards!.split(",")) {
    for (const [kernel, graph] of [["active", active], ["blocked", withoutActiveInputs(active)]] as const) {
      process.stderr.write(`${active.name} on ${boardName}, ${kernel} kernel ...\n`);
      cells.push({ model: active.name, board: boardName, core: getBoard(boardName).core, kernel, ...(await measure(graph, boardName, dataset)) });
    }
  }
}

const fmt = (n: number) => n.toLocaleString("en-US");
const rows = cells
  .filter((c) => c.kernel === "active")
  .map((a) => {
    const b = cells.find((c) => c.kernel === "blocked" && c.model === a.model && c.board === a.board)!;
    return `| ${a.model} | ${a.core} | ${fmt(b.images.mean)} | ${fmt(a.images.mean)} | ${(a.images.mean / b.images.mean).toFixed(2)} | ${fmt(a.images.min)}-${fmt(a.images.max)} | ${fmt(b.syntheticMax)} | ${fmt(a.syntheticMax)} |`;
  });
const md = `# Active-inputs dense kernel against the blocked dense kernel

Measured ${new Date().toISOString().slice(0, 10)} with \`npx tsx bench/dense-active.ts --images ${IMAGES}\`: QEMU -icount instructions per
inference of the whole model, every output bit-exact with the reference. A dense layer that reads strong neurons lists
the inputs that are not -128 and multiplies only those (src/kinds/dense.ts, takesActiveInputs); "blocked" is the same model
with that layer on the blocked kernel. Images: ${IMAGES} official test images. Synthetic max: the slowest of 8 synthetic
vectors (constant -128 / 0 / 127 images and random ones), where far more features are on than in real images: the
active-inputs kernel's cost grows with the inputs that are on, the blocked kernel's does not.

| model | core | blocked, mean | active, mean | ratio | active, min-max | blocked, synthetic max | active, synthetic max |
|---|---|---:|---:|---:|---:|---:|---:|
${rows.join("\n")}
`;
writeFileAtomic(join(OUT, "dense-active.md"), md);
writeFileAtomic(join(OUT, "dense-active.json"), JSON.stringify({ images: IMAGES, cells }, null, 1) + "\n");
process.stdout.write(md);
