/** Option parsers and option groups shared by several commands. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { OPT_LEVELS } from "../firmware/build.js";
import { DATASET_NAMES, type DatasetName } from "../datasets/index.js";
import { OUTPUT_FORMS, type OutputForm } from "../ir/outputs.js";

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

/** --opt: the optimisation level firmware images are built with. */
export function addOptOption(cmd: Command, what: string, withDefault = true): Command {
  const option = new Option("--opt <level>", `compiler optimisation of ${what}`).choices([...OPT_LEVELS]);
  return cmd.addOption(withDefault ? option.default("-O2") : option);
}

/** --outputs: what the generated predict function returns (src/ir/outputs.ts). */
export function addOutputsOption(cmd: Command): Command {
  return cmd.option(
    "--outputs <form>",
    "what predict returns: class (the index of the predicted class; needs a final argmax) or scores (one int8 score per class, the final argmax dropped; the header gives their scale and zero point). Default: the model's own output",
    outputsOption,
  );
}

function outputsOption(value: string): OutputForm {
  if ((OUTPUT_FORMS as readonly string[]).includes(value)) return value as OutputForm;
  throw new InvalidArgumentError(`must be one of ${OUTPUT_FORMS.join(", ")}`);
}
