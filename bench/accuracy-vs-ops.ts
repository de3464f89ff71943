/**
 * Accuracy against cost: the strong network at several operation budgets and the dense int8
 * baseline, on MNIST and Fashion-MNIST, all trained by `strongnet train`'s code with the same
 * data, split, quantization and compiler.
 *
 *   npx tsx bench/accuracy-vs-ops.ts [--datasets mnist,fashion-mnist] [--budgets 4000,8000,...]
 *                                    [--seed 1] [--vectors 200] [--reuse]
 *
 * For every model: float and int8 test accuracy (reference interpreter, whole test split),
 * planned operations per inference by kind, QEMU instructions per inference on the Cortex-M4
 * board (nucleo-f411re on mps2-an386, -icount; mean over the first N test images, every one
 * bit-exact against the reference), and flash / RAM of the firmware image.
 * Writes bench/results/accuracy-vs-ops.{json,md,svg}; models go to build/bench/ (--reuse keeps
 * models already there). A run over some of the data sets keeps the other data sets' rows of the
 * committed results, each row saying when it was measured.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { DatasetName } from "../src/datasets/index.js";
import { getBoard } from "../src/firmware/boards.js";
import { loadGraph } from "../src/ir/index.js";
import { trainModel, writeTrained, type Arch } from "../src/train/index.js";
import type { TrainMetrics } from "../src/train/common.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { verifyModel } from "../src/verify/verify.js";

const { values: args } = parseArgs({
  options: {
    datasets: { type: "string", default: "mnist,fashion-mnist" },
    budgets: { type: "string", default: "4000,8000,12000,20000,40000" },
    seed: { type: "string", default: "1" },
    vectors: { type: "string", default: "200" },
    reuse: { type: "boolean", default: false },
  },
});
const datasets = args.datasets.split(",") as DatasetName[];
const budgets = args.budgets.split(",").map(Number);
const seed = Number(args.seed);
const vectors = Number(args.vectors);
const BOARD = "nucleo-f411re";
const MODELS = "build/bench";
const RESULTS = "bench/results";
const short = (d: DatasetName) => (d === "mnist" ? "mnist" : "fashion");
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
const log = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

interface Row {
  dataset: DatasetName;
  model: string;
  arch: Arch;
  budgetOps: number | null;
  floatAccuracy: number;
  int8Accuracy: number;
  int8ValidationAccuracy: number;
  ops: TrainMetrics["plan"]["ops"];
  instructions: number;
  instructionsMin: number;
  instructionsMax: number;
  bitExact: boolean;
  flashBytes: number;
  ramBytes: number;
  arenaBytes: number;
  trainSeconds: number;
  /** images in the test split the accuracies are measured on */
  testImages: number;
  /** the day the row was measured (rows kept from an earlier run keep theirs) */
  measured: string;
}

const today = new Date().toISOString().slice(0, 10);
const DATASET_ORDER: DatasetName[] = ["mnist", "fashion-mnist"];

const rows: Row[] = [];
for (const dataset of datasets) {
  const jobs: { arch: Arch; budget?: number; name: string }[] = [
    { arch: "dense-mlp", name: `${short(dataset)}_dense_bench` },
    ...budgets.map((b) => ({ arch: "strong" as Arch, budget: b, name: `${short(dataset)}_strong_${b}` })),
  ];
  for (const job of jobs) {
    const out = join(MODELS, `${job.name}.json`);
    const sidecar = out.replace(/\.json$/, ".metrics.json");
    let metrics: TrainMetrics;
    if (args.reuse && existsSync(out) && existsSync(sidecar)) {
      metrics = JSON.parse(readFileSync(sidecar, "utf8")) as TrainMetrics;
      log(`${job.name}: reusing ${out}`);
    } else {
      log(`${job.name}: training`);
      const command = `strongnet train --dataset ${dataset} --arch ${job.arch}${job.budget ? ` --budget-ops ${job.budget}` : ""} --seed ${seed} -o ${out}`;
      const r = await trainModel({ dataset, arch: job.arch, seed, budgetOps: job.budget, name: job.name, command });
      writeTrained(out, r.model, r.metrics);
      metrics = r.metrics;
    }
    log(`${job.name}: int8 ${metrics.accuracy.int8Test}%, verifying on ${BOARD}`);
    const report = await verifyModel({ graph: loadGraph(out), board: getBoard(BOARD), count: vectors, datasetCount: vectors, dataset });
    rows.push({
      dataset,
      model: job.name,
      arch: job.arch,
      budgetOps: job.budget ?? null,
      floatAccuracy: metrics.accuracy.floatTest,
      int8Accuracy: metrics.accuracy.int8Test,
      int8ValidationAccuracy: metrics.accuracy.int8Validation,
      ops: metrics.plan.ops,
      instructions: report.instructions.mean,
      instructionsMin: report.instructions.min,
      instructionsMax: report.instructions.max,
      bitExact: report.passed,
      flashBytes: report.image.flashBytes,
      ramBytes: report.image.ramBytes,
      arenaBytes: metrics.plan.arenaBytes,
      trainSeconds: metrics.trainSeconds,
      testImages: metrics.split.test,
      measured: today,
    });
    log(`${job.name}: ${report.instructions.mean} instructions, ${report.passed ? "bit-exact" : "MISMATCH"}`);
  }
}

// rows of the data sets this run skipped, from the committed results
const previousPath = join(RESULTS, "accuracy-vs-ops.json");
if (existsSync(previousPath)) {
  const previous = JSON.parse(readFileSync(previousPath, "utf8")) as { rows: Partial<Row>[] };
  for (const r of previous.rows.filter((x) => !datasets.includes(x.dataset!))) {
    // rows from before testImages was recorded: Fashion-MNIST's test split was always the official 10,000
    // (fields in the order of a fresh row, so a partial rerun leaves the kept rows' JSON unchanged)
    rows.push({ ...r, testImages: r.testImages ?? (r.dataset === "fashion-mnist" ? 10000 : 0), measured: r.measured ?? "before 2026-11-28" } as Row);
  }
}
// keep the data sets in a fixed order in the JSON whichever ones this run measured
rows.sort((a, b) => DATASET_ORDER.indexOf(a.dataset) - DATASET_ORDER.indexOf(b.dataset));
const allDatasets = DATASET_ORDER.filter((d) => rows.some((r) => r.dataset === d));
const testImagesOf = (d: DatasetName) => rows.find((r) => r.dataset === d)!.testImages;
const label = (d: DatasetName) => (d === "mnist" ? "MNIST" : "Fashion-MNIST");

// ---- verdicts: the issue's target per data set -------------------------------------------------
const verdicts = allDatasets.map((dataset) => {
  const dense = rows.find((r) => r.dataset === dataset && r.arch === "dense-mlp")!;
  const strong = rows.filter((r) => r.dataset === dataset && r.arch === "strong");
  const withinHalf = strong.filter((r) => r.int8Accuracy >= dense.int8Accuracy - 0.5);
  const cheapestWithin = withinHalf.sort((a, b) => a.instructions - b.instructions)[0];
  const tenX = strong.filter((r) => r.instructions * 10 <= dense.instructions);
  const bestTenX = tenX.sort((a, b) => b.int8Accuracy - a.int8Accuracy)[0];
  return {
    dataset,
    denseInt8Accuracy: dense.int8Accuracy,
    denseInstructions: dense.instructions,
    met: Boolean(cheapestWithin && cheapestWithin.instructions * 10 <= dense.instructions),
    cheapestWithinHalfPoint: cheapestWithin
      ? { model: cheapestWithin.model, int8Accuracy: cheapestWithin.int8Accuracy, instructions: cheapestWithin.instructions, speedup: round(dense.instructions / cheapestWithin.instructions, 1) }
      : null,
    bestAtTenX: bestTenX
      ? { model: bestTenX.model, int8Accuracy: bestTenX.int8Accuracy, accuracyGap: round(dense.int8Accuracy - bestTenX.int8Accuracy, 2), instructions: bestTenX.instructions }
      : null,
  };
});

const json = {
  board: BOARD,
  machine: "qemu-system-arm mps2-an386 (Cortex-M4), -icount instruction counts, arm-none-eabi-gcc -O2",
  vectorsPerModel: vectors,
  seed,
  accuracyUnit: `percent, whole official test split (${allDatasets.map((d) => `${label(d)}: ${testImagesOf(d).toLocaleString("en-US")} images`).join("; ")})`,
  rows,
  verdicts,
};
writeFileAtomic(join(RESULTS, "accuracy-vs-ops.json"), JSON.stringify(json, null, 2) + "\n");
writeFileAtomic(join(RESULTS, "accuracy-vs-ops.md"), markdown());
writeFileAtomic(join(RESULTS, "accuracy-vs-ops.svg"), svg());
log(`wrote ${RESULTS}/accuracy-vs-ops.{json,md,svg}`);

function markdown(): string {
  const lines = [
    "# Accuracy against cost: strong networks vs the dense int8 baseline",
    "",
    `Generated by \`npx tsx bench/accuracy-vs-ops.ts\` (seed ${seed}). Instructions: QEMU \`-icount\` on ${BOARD}`,
    `(mps2-an386, Cortex-M4), mean over the first ${vectors} test images, generated C built with arm-none-eabi-gcc -O2;`,
    "every run bit-exact against the reference interpreter. Accuracy: whole test split; int8 = reference interpreter.",
    "Ops are planned operations per inference: table lookups, min/max, multiply-accumulates (MACs), requantizations, compares.",
    "",
  ];
  for (const dataset of allDatasets) {
    const measured = [...new Set(rows.filter((x) => x.dataset === dataset).map((x) => x.measured))].join(", ");
    lines.push(`## ${dataset}`, "", `Test split: ${testImagesOf(dataset).toLocaleString("en-US")} images. Measured: ${measured}.`, "");
    lines.push("| model | budget | float acc | int8 acc | val int8 | lookups | min/max | MACs | other | ops total | M4 instructions | flash B | RAM B | train s |");
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of rows.filter((x) => x.dataset === dataset)) {
      lines.push(
        `| ${r.model} | ${r.budgetOps ?? "-"} | ${r.floatAccuracy.toFixed(2)} | ${r.int8Accuracy.toFixed(2)} | ${r.int8ValidationAccuracy.toFixed(2)} | ${r.ops.lookups} | ${r.ops.minmax} | ${r.ops.macs} | ${r.ops.requants + r.ops.compares} | ${r.ops.total} | ${r.instructions}${r.bitExact ? "" : " (MISMATCH)"} | ${r.flashBytes} | ${r.ramBytes} | ${r.trainSeconds} |`,
      );
    }
    const v = verdicts.find((x) => x.dataset === dataset)!;
    lines.push("");
    lines.push(`Target (int8 accuracy within 0.5 points of the dense baseline's ${v.denseInt8Accuracy.toFixed(2)}% with at least 10x fewer instructions than its ${v.denseInstructions}): **${v.met ? "met" : "not met"}**.`);
    if (v.cheapestWithinHalfPoint) {
      const c = v.cheapestWithinHalfPoint;
      lines.push(`Cheapest strong network within 0.5 points: ${c.model}, ${c.int8Accuracy.toFixed(2)}%, ${c.instructions} instructions (${c.speedup}x fewer).`);
    } else {
      lines.push("No strong network in this sweep is within 0.5 points of the dense baseline.");
    }
    const val = rows.filter((x) => x.dataset === dataset);
    const denseVal = val.find((x) => x.arch === "dense-mlp")!.int8ValidationAccuracy;
    const valWithin = val.filter((x) => x.arch === "strong" && x.int8ValidationAccuracy >= denseVal - 0.5 && x.instructions * 10 <= v.denseInstructions);
    lines.push(`On the validation split (dense ${denseVal.toFixed(2)}%) the target is ${valWithin.length ? `met by ${valWithin.map((x) => x.model).join(", ")}` : "met by no budget of the sweep"}.`);
    if (v.bestAtTenX) {
      const b = v.bestAtTenX;
      lines.push(`Best strong network with >= 10x fewer instructions: ${b.model}, ${b.int8Accuracy.toFixed(2)}% (${b.accuracyGap >= 0 ? `${b.accuracyGap.toFixed(2)} points below` : `${(-b.accuracyGap).toFixed(2)} points above`} the baseline), ${b.instructions} instructions.`);
    }
    lines.push("");
  }
  lines.push("The plot (accuracy-vs-ops.svg) shows int8 test accuracy against M4 instructions per inference (log scale).", "");
  return lines.join("\n");
}

/** int8 accuracy against instructions (log x), one panel per data set, plain SVG. */
function svg(): string {
  const W = 480;
  const H = 320;
  const pad = { l: 56, r: 16, t: 28, b: 44 };
  const panels = allDatasets.map((dataset, i) => {
    const rs = rows.filter((r) => r.dataset === dataset);
    const xs = rs.map((r) => Math.log10(r.instructions));
    const ys = rs.map((r) => r.int8Accuracy);
    const x0 = Math.floor(Math.min(...xs) * 2) / 2;
    const x1 = Math.ceil(Math.max(...xs) * 2) / 2;
    const y0 = Math.floor(Math.min(...ys) - 0.5);
    const y1 = Math.ceil(Math.max(...ys) + 0.5);
    const px = (v: number) => pad.l + ((Math.log10(v) - x0) / (x1 - x0 || 1)) * (W - pad.l - pad.r);
    const py = (v: number) => pad.t + (1 - (v - y0) / (y1 - y0 || 1)) * (H - pad.t - pad.b);
    const strong = rs.filter((r) => r.arch === "strong").sort((a, b) => a.instructions - b.instructions);
    const dense = rs.find((r) => r.arch === "dense-mlp")!;
    const parts: string[] = [];
    parts.push(`<g transform="translate(${i * W},0)">`);
    parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${dataset}: int8 test accuracy vs M4 instructions</text>`);
    parts.push(`<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="black"/>`);
    parts.push(`<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="black"/>`);
    for (let e = Math.ceil(x0); e <= x1; e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (Math.log10(v) < x0 || Math.log10(v) > x1) continue;
        parts.push(`<line x1="${px(v)}" y1="${H - pad.b}" x2="${px(v)}" y2="${H - pad.b + 4}" stroke="black"/>`);
        parts.push(`<text x="${px(v)}" y="${H - pad.b + 16}" text-anchor="middle" font-size="10">${v >= 1e6 ? `${v / 1e6}M` : `${v / 1e3}k`}</text>`);
      }
    }
    for (let y = y0; y <= y1; y++) {
      parts.push(`<line x1="${pad.l - 4}" y1="${py(y)}" x2="${pad.l}" y2="${py(y)}" stroke="black"/>`);
      parts.push(`<text x="${pad.l - 6}" y="${py(y) + 3}" text-anchor="end" font-size="10">${y}%</text>`);
    }
    parts.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="11">QEMU instructions per inference (log scale)</text>`);
    // the target region: within 0.5 points of dense and 10x fewer instructions
    parts.push(`<line x1="${pad.l}" y1="${py(dense.int8Accuracy - 0.5)}" x2="${W - pad.r}" y2="${py(dense.int8Accuracy - 0.5)}" stroke="#888" stroke-dasharray="4 3"/>`);
    parts.push(`<line x1="${px(dense.instructions / 10)}" y1="${pad.t}" x2="${px(dense.instructions / 10)}" y2="${H - pad.b}" stroke="#888" stroke-dasharray="4 3"/>`);
    parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${strong.map((r) => `${px(r.instructions)},${py(r.int8Accuracy)}`).join(" ")}"/>`);
    for (const r of strong) {
      parts.push(`<circle cx="${px(r.instructions)}" cy="${py(r.int8Accuracy)}" r="4" fill="#1f77b4"/>`);
      parts.push(`<text x="${px(r.instructions) + 6}" y="${py(r.int8Accuracy) + 12}" font-size="9">${r.budgetOps} ops</text>`);
    }
    parts.push(`<rect x="${px(dense.instructions) - 4}" y="${py(dense.int8Accuracy) - 4}" width="8" height="8" fill="#d62728"/>`);
    parts.push(`<text x="${px(dense.instructions) - 8}" y="${py(dense.int8Accuracy) - 8}" text-anchor="end" font-size="10">dense MLP</text>`);
    parts.push(`<text x="${pad.l + 6}" y="${pad.t + 12}" font-size="10" fill="#1f77b4">strong network (budgets)</text>`);
    parts.push(`<text x="${pad.l + 6}" y="${pad.t + 24}" font-size="10" fill="#888">dashed: dense - 0.5 points, dense / 10 instructions</text>`);
    parts.push("</g>");
    return parts.join("\n");
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * allDatasets.length}" height="${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${panels.join("\n")}\n</svg>\n`;
}
