import { DataError } from "../datasets/errors.js";
import { ModelError } from "../format/errors.js";
import { BudgetError } from "../plan/fit.js";

export const EXIT = { ok: 0, checkFailed: 1, badInput: 2, environment: 3 } as const;

/** A problem with the user's input that is not about the model file (unknown board, bad option). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Something outside the user's input failed: a missing tool, a build, the emulator. */
export class EnvironmentError extends Error {
  override name = "EnvironmentError";
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof ModelError || err instanceof UsageError || err instanceof DataError) return EXIT.badInput;
  if (err instanceof BudgetError) return EXIT.checkFailed;
  if (err instanceof Error && (err.name === "UsageError" || err.name === "BoardError")) return EXIT.badInput;
  return EXIT.environment;
}

export function formatError(err: unknown): string {
  if (err instanceof ModelError) return `invalid model: ${err.message}`;
  if (err instanceof BudgetError) return `does not fit: ${err.message}`;
  if (err instanceof DataError) return `bad data: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
