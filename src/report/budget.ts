/**
 * Budgets CI can gate on: limits on the model's flash, RAM and estimated latency, from
 * `--max-flash/--max-ram/--max-latency-us` and/or a budget file (`strongnet.budget.json`):
 *
 *   {
 *     "maxFlash": "64K", "maxRam": "16K", "maxLatencyUs": "5ms",
 *     "boards": { "bbc-microbit-v1": { "maxLatencyUs": "50ms" } }
 *   }
 *
 * Top-level limits (and the flags, which override them) apply to the --board board; a `boards`
 * entry applies to that board whenever it is measured (--board or --boards) and overrides the
 * top-level limits for it. Sizes take K/M suffixes (binary), durations us/ms/s.
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { formatPath } from "../format/errors.js";
import type { BoardReport, BudgetViolation } from "./schema.js";
import { formatBytes, formatMicroseconds, parseMicroseconds, parseSize, UnitError } from "./units.js";

export const BUDGET_FILE = "strongnet.budget.json";

export interface BudgetLimits {
  maxFlash?: number;
  maxRam?: number;
  maxLatencyUs?: number;
}

export interface Budget {
  /** "flags", the file path, or "<file> + flags"; null when no limit is set */
  source: string | null;
  /** limits of the --board board */
  primary: BudgetLimits;
  /** limits of named boards from the file */
  boards: Record<string, BudgetLimits>;
}

export class BudgetFileError extends Error {
  override name = "UsageError";
}

const withUnit = (parse: (v: string | number, what: string) => number) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    try {
      return parse(v, "value");
    } catch (err) {
      ctx.addIssue({ code: "custom", message: err instanceof UnitError ? err.message.replace(/^value: /, "") : String(err) });
      return z.NEVER;
    }
  });

const LimitsSchema = z.strictObject({
  maxFlash: withUnit(parseSize).optional(),
  maxRam: withUnit(parseSize).optional(),
  maxLatencyUs: withUnit(parseMicroseconds).optional(),
});

export const BudgetFileSchema = LimitsSchema.extend({
  $schema: z.string().optional(),
  boards: z.record(z.string(), LimitsSchema).optional(),
}).strict();

/** Reads and validates a budget file; errors name the file and the field. */
export function loadBudgetFile(path: string, knownBoards: string[]): { primary: BudgetLimits; boards: Record<string, BudgetLimits> } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new BudgetFileError(`${path}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : (err as Error).message}`);
  }
  const parsed = BudgetFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = formatPath(issue.path) || "(top level)";
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} (allowed: maxFlash, maxRam, maxLatencyUs${issue.path.length === 0 ? ", boards" : ""})`
        : issue.message;
    throw new BudgetFileError(`${path}: ${field}: ${message}`);
  }
  const { boards = {}, $schema: _ignored, ...primary } = parsed.data;
  for (const name of Object.keys(boards)) {
    if (!knownBoards.includes(name)) throw new BudgetFileError(`${path}: boards.${name}: unknown board (known: ${knownBoards.join(", ")})`);
  }
  return { primary, boards };
}

export interface BudgetFlags {
  maxFlash?: string;
  maxRam?: string;
  maxLatencyUs?: string;
  /** an explicit budget file; without it ./strongnet.budget.json is read when present */
  budget?: string;
}

export function resolveBudget(flags: BudgetFlags, knownBoards: string[], cwd = process.cwd()): Budget {
  const fromFlags: BudgetLimits = {};
  if (flags.maxFlash !== undefined) fromFlags.maxFlash = parseSize(flags.maxFlash, "--max-flash");
  if (flags.maxRam !== undefined) fromFlags.maxRam = parseSize(flags.maxRam, "--max-ram");
  if (flags.maxLatencyUs !== undefined) fromFlags.maxLatencyUs = parseMicroseconds(flags.maxLatencyUs, "--max-latency-us");
  let filePath = flags.budget;
  if (filePath !== undefined && !existsSync(filePath)) throw new BudgetFileError(`--budget ${filePath}: no such file`);
  if (filePath === undefined && existsSync(`${cwd}/${BUDGET_FILE}`)) filePath = `${cwd}/${BUDGET_FILE}`;
  const file = filePath ? loadBudgetFile(filePath, knownBoards) : { primary: {}, boards: {} };
  const hasFlags = Object.keys(fromFlags).length > 0;
  const source = filePath && hasFlags ? `${filePath} + flags` : filePath ? filePath : hasFlags ? "flags" : null;
  return { source, primary: { ...file.primary, ...fromFlags }, boards: file.boards };
}

/** The limits that apply to a board: its `boards` entry over the top-level ones (for the primary board). */
export function limitsFor(budget: Budget, board: string, isPrimary: boolean): BudgetLimits {
  return { ...(isPrimary ? budget.primary : {}), ...(budget.boards[board] ?? {}) };
}

const pct = (over: number, limit: number) => `${((100 * over) / limit).toFixed(1)}%`;

/** Every limit the board's figures go over, each with a message naming what and by how much. */
export function checkBudget(limits: BudgetLimits, r: BoardReport): BudgetViolation[] {
  const out: BudgetViolation[] = [];
  const board = r.board.name;
  const size = (resource: "flash" | "ram", value: number, limit: number | undefined, what: string) => {
    if (limit === undefined || value <= limit) return;
    const over = value - limit;
    out.push({
      board,
      resource,
      limit,
      value,
      over,
      unit: "bytes",
      message: `${resource === "flash" ? "flash" : "RAM"} on ${board}: ${value} B (${what}) is over the budget of ${limit} B (${formatBytes(limit)}) by ${over} B (${pct(over, limit)})`,
    });
  };
  size("flash", r.fit.flash.used, limits.maxFlash, "model code + weights + LUTs");
  size("ram", r.fit.ram.used, limits.maxRam, "arena + static data + stack bound");
  if (limits.maxLatencyUs !== undefined && r.latency.microseconds > limits.maxLatencyUs) {
    const over = r.latency.microseconds - limits.maxLatencyUs;
    out.push({
      board,
      resource: "latency",
      limit: limits.maxLatencyUs,
      value: r.latency.microseconds,
      over,
      unit: "us",
      message: `latency on ${board}: ${formatMicroseconds(r.latency.microseconds)} (estimate: ${r.instructions.mean} instructions x ${r.latency.cpi} CPI at ${r.board.clockHz / 1e6} MHz) is over the budget of ${formatMicroseconds(limits.maxLatencyUs)} by ${formatMicroseconds(over)} (${pct(over, limits.maxLatencyUs)})`,
    });
  }
  return out;
}
