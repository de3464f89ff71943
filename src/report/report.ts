/**
 * The budget report: the detailed figures of one board (--board), the fit of every board asked
 * for (--boards), and the budget verdict. A board the model does not fit is a row that says so
 * (from the plan or the linker), not a crash.
 */
import { join } from "node:path";
import { FirmwareTooLargeError, type Board, type OptLevel } from "../firmware/index.js";
import type { ArenaMode } from "../codegen/index.js";
import type { Graph } from "../ir/index.js";
import { BudgetError } from "../plan/fit.js";
import { STRONGNET_VERSION } from "../version.js";
import { checkBudget, limitsFor, type Budget } from "./budget.js";
import { failedRow, fitRow, measureBoard, type ReportProgress } from "./collect.js";
import { REPORT_SCHEMA_ID, ReportSchema, type BoardFit, type BoardReport, type BudgetViolation, type Report } from "./schema.js";

export interface ReportOptions {
  graph: Graph;
  board: Board;
  /** more boards for the fit chart (the primary board is measured once) */
  boards?: Board[];
  budget: Budget;
  /** vectors verify runs per board (default 10) */
  vectors?: number;
  /** data set SPEC of labelled test images, null for none, undefined: the model's metadata */
  dataset?: string | null;
  /** data set SPEC whose samples are fed instead (labels optional) */
  inputs?: string;
  /** seed of the random vectors (default 1) */
  seed?: number;
  /** keep the firmware builds in <keepDir>/<board> */
  keepDir?: string;
  /** optimisation level of the measured images (default -O2) */
  opt?: OptLevel;
  /**
   * measure the code of this arena mode (as compile's; default "static"). With "external" the
   * arena is the caller's buffer, counted in the model's RAM at the plan's size.
   */
  arena?: ArenaMode;
  onProgress?: (e: ReportProgress) => void;
}

const isFitError = (err: unknown) => err instanceof BudgetError || err instanceof FirmwareTooLargeError;

export async function createReport(opts: ReportOptions): Promise<Report> {
  const { graph, board, budget } = opts;
  const measure = (b: Board) =>
    measureBoard({
      graph,
      board: b,
      vectors: opts.vectors,
      dataset: opts.dataset,
      inputs: opts.inputs,
      seed: opts.seed,
      workDir: opts.keepDir === undefined ? undefined : join(opts.keepDir, b.name),
      opt: opts.opt,
      arena: opts.arena,
      onProgress: opts.onProgress,
    });

  let primary: BoardReport | null = null;
  let primaryRow: BoardFit;
  try {
    primary = await measure(board);
    primaryRow = fitRow(primary);
  } catch (err) {
    // Without other boards there is nothing to report: let the caller print "does not fit" (exit 1).
    if (!isFitError(err) || !opts.boards?.length) throw err;
    primaryRow = failedRow(graph, board, err);
  }

  const rows: BoardFit[] = [];
  const measured: BoardReport[] = primary ? [primary] : [];
  for (const b of opts.boards ?? []) {
    if (b.name === board.name) {
      rows.push(primaryRow);
      continue;
    }
    try {
      const r = await measure(b);
      measured.push(r);
      rows.push(fitRow(r));
    } catch (err) {
      rows.push(failedRow(graph, b, err));
    }
  }
  if (!rows.some((r) => r.board.name === board.name)) rows.unshift(primaryRow);

  const violations: BudgetViolation[] = [];
  if (!primary || !primary.fit.fits) {
    const f = primaryRow.fit;
    violations.push({
      board: board.name,
      resource: "fit",
      limit: f ? (f.flash.margin < 0 ? f.flash.available : f.ram.available) : 0,
      value: f ? (f.flash.margin < 0 ? f.flash.used : f.ram.used) : 0,
      over: f ? Math.max(-f.flash.margin, -f.ram.margin, 0) : 0,
      unit: "bytes",
      message: `the model does not fit ${board.name}: ${primaryRow.reason ?? "over the board's memory"}`,
    });
  }
  const limits = measured.map((r) => ({ board: r.board.name, ...limitsFor(budget, r.board.name, r.board.name === board.name) }));
  for (const r of measured) violations.push(...checkBudget(limitsFor(budget, r.board.name, r.board.name === board.name), r));

  const report: Report = {
    schema: REPORT_SCHEMA_ID,
    tool: { name: "strongnet", version: STRONGNET_VERSION },
    model: {
      name: graph.name,
      sha256: graph.hash,
      inputShape: [...graph.inputShape],
      outputShape: [...graph.outputShape],
      layers: graph.layers.length,
    },
    primary,
    boards: rows,
    budget: {
      source: budget.source,
      limits: limits.filter((l) => l.maxFlash !== undefined || l.maxRam !== undefined || l.maxLatencyUs !== undefined),
      violations,
      passed: violations.length === 0,
    },
    passed: violations.length === 0 && (primary?.verify.passed ?? false),
  };
  // The schema is the contract of --json: never print a report that breaks it.
  return ReportSchema.parse(report);
}

/** One line per reason the report fails: over a budget, not fitting, not bit-exact. */
export function failureLines(r: Report): string[] {
  const lines = r.budget.violations.map((v) => (v.resource === "fit" ? v.message : `over budget: ${v.message}`));
  if (r.primary && !r.primary.verify.passed) {
    lines.push(`not bit-exact on ${r.primary.board.name}: ${r.primary.verify.mismatchedVectors} of ${r.primary.verify.vectors} vectors differ from the reference (first: ${r.primary.verify.firstMismatch}); run \`strongnet verify\` for details`);
  }
  return lines;
}
