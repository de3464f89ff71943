/** The robustness tools' refusal of a model they cannot analyse (the CLI prints it as a usage error). */
export class RobustnessUsageError extends Error {
  override name = "UsageError";
}
