/**
 * The pre-build fit check: a model whose const data cannot fit the board's flash, or whose
 * activation arena cannot fit its RAM, is refused before anything is compiled. The built
 * image is measured later (verify, report); this check only uses what the plan knows.
 */
import type { Plan } from "./plan.js";

export interface MemoryBudget {
  name: string;
  flashBytes: number;
  ramBytes: number;
}

export interface FitProblem {
  /** "flash" or "ram" */
  resource: "flash" | "ram";
  needed: number;
  available: number;
  message: string;
}

export function checkFit(plan: Plan, board: MemoryBudget): FitProblem[] {
  const problems: FitProblem[] = [];
  if (plan.constBytes > board.flashBytes) {
    problems.push({
      resource: "flash",
      needed: plan.constBytes,
      available: board.flashBytes,
      message: `model constants need ${plan.constBytes} bytes of flash, board ${board.name} has ${board.flashBytes} (over by ${plan.constBytes - board.flashBytes})`,
    });
  }
  if (plan.arenaBytes > board.ramBytes) {
    problems.push({
      resource: "ram",
      needed: plan.arenaBytes,
      available: board.ramBytes,
      message: `activation arena needs ${plan.arenaBytes} bytes of RAM, board ${board.name} has ${board.ramBytes} (over by ${plan.arenaBytes - board.ramBytes})`,
    });
  }
  return problems;
}

export class BudgetError extends Error {
  constructor(readonly problems: FitProblem[]) {
    super(problems.map((p) => p.message).join("; "));
    this.name = "BudgetError";
  }
}
