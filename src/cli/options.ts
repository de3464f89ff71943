/** Option parsers and option groups shared by several commands. */
import { type Command, InvalidArgumentError } from "commander";
import { DATASET_NAMES, type DatasetName } from "../datasets/index.js";

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

export function datasetOption(value: string): DatasetName | null {
  if (value === "none") return null;
  if ((DATASET_NAMES as readonly string[]).includes(value)) return value as DatasetName;
  throw new InvalidArgumentError(`must be one of ${DATASET_NAMES.join(", ")} or none`);
}

/** The vectors a firmware run gets (see src/verify/vectors.ts): --vectors, --dataset, --seed. */
export function addVectorOptions(cmd: Command, vectors: { help: string; default: number }): Command {
  return cmd
    .option("-n, --vectors <n>", vectors.help, positiveInt("--vectors"), vectors.default)
    .option("--dataset <name>", `where test images come from: ${DATASET_NAMES.join(", ")} or none (default: the model's metadata.dataset)`, datasetOption)
    .option("--seed <n>", "seed of the random vectors", positiveInt("--seed"), 1);
}
