import { InvalidArgumentError, type Command } from "commander";
import { DATASET_NAMES, DataError } from "../../datasets/index.js";
import { ARCHS, DEFAULT_BUDGET_OPS, modelNameFor, strongTrainFlags, trainModel, writeTrained, type Arch, type StrongOverrides } from "../../train/index.js";
import { EnvironmentError } from "../errors.js";
import { printJson } from "../output.js";
import { trainProgress } from "../progress.js";
import { nonNegativeInt, positiveInt, SPEC_HELP, specOption } from "../options.js";

interface TrainFlags {
  dataset: string;
  test?: string;
  arch: Arch;
  budgetOps: number;
  seed: number;
  out: string;
  name?: string;
  hidden: number;
  readoutHidden?: number[];
  augment?: boolean;
  tableSlope?: number;
  labelSmoothing?: number;
  readoutLearningRate?: number;
  filters: number[];
  epochs?: number;
  adversarial?: "pgd";
  pgdEps: number;
  pgdSteps: number;
  threads?: number;
  json?: boolean;
}

function oneOf<T extends string>(option: string, values: readonly T[]) {
  return (value: string): T => {
    if ((values as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${option} must be one of ${values.join(", ")}, got "${value}"`);
  };
}

/** A comma-separated list of counts 1..max: "8,16" -> [8, 16]. */
function countList(option: string, max: number, example: string) {
  return (value: string): number[] => {
    const list = value.split(",").map((v) => (v.trim() === "" ? NaN : Number(v)));
    if (list.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
      throw new InvalidArgumentError(`${option} must be comma-separated counts 1..${max} (e.g. ${example}), got "${value}"`);
    }
    return list;
  };
}

/** A label smoothing strength: more than 0, at most 0.5 (half the target off the label). */
function labelSmoothing(value: string): number {
  const s = Number(value);
  if (value.trim() === "" || !Number.isFinite(s) || s <= 0 || s > 0.5) throw new InvalidArgumentError(`--label-smoothing must be a number in (0, 0.5], got "${value}"`);
  return s;
}

/** A learning rate: more than 0, at most 1. */
function learningRate(value: string): number {
  const r = Number(value);
  if (value.trim() === "" || !Number.isFinite(r) || r <= 0 || r > 1) throw new InvalidArgumentError(`--readout-learning-rate must be a number in (0, 1], got "${value}"`);
  return r;
}

function pgdEps(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 255) throw new InvalidArgumentError(`--pgd-eps must be an integer 1..255 (int8 pixel units, E/255), got "${value}"`);
  return n;
}

/**
 * The options that belong to one architecture: `given` is the value when the user gave it (a
 * defaulted option has none, so it never conflicts), `recorded` its words in the reproducing
 * command (builtBy), empty when it is left out; `hiddenReadoutOnly` ones need --readout-hidden.
 */
function archFlags(o: TrainFlags, strong: StrongOverrides): { arch: Arch; flag: string; given?: unknown; recorded: string; hiddenReadoutOnly?: true }[] {
  return [
    ...strongTrainFlags(o.budgetOps, strong).map(({ flag, value, words, hiddenReadoutOnly }) => ({ arch: "strong" as const, flag, given: value, recorded: words, hiddenReadoutOnly })),
    { arch: "dense-mlp", flag: "--hidden", recorded: `--hidden ${o.hidden}` },
    { arch: "cnn", flag: "--filters", recorded: `--filters ${o.filters.join(",")}` },
    { arch: "cnn", flag: "--adversarial", given: o.adversarial, recorded: o.adversarial ? `--adversarial ${o.adversarial} --pgd-eps ${o.pgdEps} --pgd-steps ${o.pgdSteps}` : "" },
  ];
}

/** The strong trainer's options among the flags (the ones given only). */
function strongOverrides(o: TrainFlags): StrongOverrides {
  return {
    ...(o.readoutHidden ? { hidden: o.readoutHidden } : {}),
    ...(o.augment ? { augment: true } : {}),
    ...(o.tableSlope ? { tableSlope: o.tableSlope } : {}),
    ...(o.labelSmoothing ? { labelSmoothing: o.labelSmoothing } : {}),
    ...(o.readoutLearningRate ? { readoutLearningRate: o.readoutLearningRate } : {}),
  };
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train a model: a strong-neuron network grown constructively (default), or the dense MLP / CNN int8 baselines")
    .requiredOption("-d, --dataset <spec>", `training data: ${DATASET_NAMES.join(" | ")} or a data set SPEC (below)`, specOption("--dataset"))
    .option("--test <spec>", "test data (a SPEC; default: the official split, the SPEC's own test part, or a seeded, class-stratified 20% of the data)", specOption("--test"))
    .option("-a, --arch <arch>", `architecture: ${ARCHS.join(" | ")}`, oneOf("--arch", ARCHS), "strong")
    .option("--budget-ops <n>", "strong: planned operations per inference to spend (lookups + min/max + MACs + ...)", positiveInt("--budget-ops"), DEFAULT_BUDGET_OPS)
    .option("--hidden <n>", "dense-mlp: hidden units", positiveInt("--hidden"), 128)
    .option("--readout-hidden <list>", "strong: dense int8 ReLU hidden layers between the features and the classes, their units comma-separated (96, or 96,32 for two), instead of the sparse linear read-out (their MACs come on top of --budget-ops)", countList("--readout-hidden", 4096, "96 or 96,32"))
    .option("--augment", "strong: train the read-out also on every training image shifted one pixel up, down, left and right (5x the images; nothing changes at inference)")
    .option("--table-slope <s>", "strong: slope of the ink / no-ink literal tables (default 1); a steep slope (8) saturates the literals away from the ink threshold, so small pixel perturbations move fewer features (docs/training.md, \"Robust tables\")", positiveInt("--table-slope"))
    .option("--label-smoothing <s>", "strong --readout-hidden: train the hidden read-out on smoothed targets, 1 - s on the label and s / classes on every class (e.g. 0.1; default none)", labelSmoothing)
    .option("--readout-learning-rate <r>", "strong --readout-hidden: the hidden read-out's initial SGD learning rate, decayed to 0 by a cosine schedule (default 0.05)", learningRate)
    .option("--filters <list>", "cnn: filters of each conv-pool stage, comma-separated", countList("--filters", 256, "8,16"), [8, 16])
    .option("--epochs <n>", "training epochs: cnn (default 3), dense-mlp (20), strong: the read-out's (30; 20 with --readout-hidden; 6, or 8 with --readout-hidden, with --augment)", positiveInt("--epochs"))
    .option("--adversarial <method>", "cnn: adversarial training; pgd = train on PGD examples (Madry et al.) instead of clean images", oneOf("--adversarial", ["pgd"] as const))
    .option("--pgd-eps <E>", "cnn --adversarial pgd: radius in int8 pixel units, E means E/255 (ramped up over the first 20% of steps)", pgdEps, 26)
    .option("--pgd-steps <K>", "cnn --adversarial pgd: PGD steps per training image (step size 2.5 E / K)", positiveInt("--pgd-steps"), 3)
    .option("-s, --seed <n>", "random seed (same seed, same model bytes)", nonNegativeInt("--seed"), 1)
    .option("--threads <n>", "worker threads (default: available cores, at most 4)", positiveInt("--threads"))
    .option("--name <id>", "model name (C identifier; default from the output file name)")
    .requiredOption("-o, --out <file>", "model file to write; measured figures go to <file>.metrics.json")
    .option("--json", "print the measured figures as JSON")
    .addHelpText(
      "after",
      `
Examples:
  strongnet train --dataset mnist -o models/mnist_strong.json
  strongnet train --dataset fashion-mnist --budget-ops 10000 --seed 2 -o build/fashion.json
  strongnet train --dataset mnist --budget-ops 30000 --readout-hidden 48 --augment -o build/mnist_strong_deep.json
  strongnet train --dataset mnist --arch dense-mlp -o models/mnist_dense.json
  strongnet train --dataset mnist --arch cnn --filters 8,16 --epochs 3 -o build/mnist_cnn.json
  strongnet train --dataset mnist --arch cnn --adversarial pgd --pgd-eps 77 --pgd-steps 3 --epochs 1 -o build/mnist_cnn_pgd.json
  strongnet train --dataset data/digits.csv --budget-ops 3000 -o build/digits.json
  strongnet train --dataset photos/ --arch dense-mlp --hidden 64 -o build/photos.json
  strongnet train --dataset x_train.npy,y_train.npy --test x_test.npy,y_test.npy -o build/m.json

What the trainers take:
  strong      one-channel (grey) images of at least 5x5 pixels, any height and width, 2-256 classes;
              images under 12 pixels a side get one-group and radius-1 fragments (docs/training.md)
  dense-mlp   any height, width and channel count, 2-256 classes
  cnn         conv-pool stages (5x5 SAME, ReLU, 2x2 max pool) then dense; images of at least 4x4, any
              channel count, 2-256 classes; trained in float, int8 after training (calibrated like
              an imported float ONNX model); --adversarial pgd trains on PGD examples of radius
              --pgd-eps (int8 pixel units) instead of the clean images, seeded and deterministic
  Validation is a seeded, class-stratified 10% of the training split; the test split is only measured.
  The int8 rule and the data set are stated in the model's metadata (inputQuantization,
  inputConversion, datasetSpec) so verify, report and robustness find and convert the test split the same way.
${SPEC_HELP}`,
    )
    .action(async (opts: TrainFlags) => {
      const name = opts.name ?? modelNameFor(opts.out);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidArgumentError(`--name must be a C identifier, got "${name}"`);
      const strong = strongOverrides(opts);
      const flags = archFlags(opts, strong);
      for (const { arch, flag, given } of flags) {
        if (given !== undefined && opts.arch !== arch) throw new InvalidArgumentError(`${flag} applies to --arch ${arch} only, got --arch ${opts.arch}`);
      }
      for (const { flag, given, hiddenReadoutOnly } of flags) {
        if (given !== undefined && hiddenReadoutOnly && !opts.readoutHidden) throw new InvalidArgumentError(`${flag} applies to the hidden read-out only: give --readout-hidden too`);
      }
      const command = ["strongnet train", `--dataset ${opts.dataset}`, ...(opts.test ? [`--test ${opts.test}`] : []), `--arch ${opts.arch}`,
        ...flags.flatMap(({ arch, recorded }) => (arch === opts.arch && recorded ? [recorded] : [])),
        ...(opts.epochs ? [`--epochs ${opts.epochs}`] : []), `--seed ${opts.seed}`, `-o ${opts.out}`].join(" ");
      const epochs = opts.epochs ? { epochs: opts.epochs } : {};
      const bar = trainProgress(!opts.json);
      let result;
      try {
        result = await trainModel({
          dataset: opts.dataset,
          test: opts.test,
          arch: opts.arch,
          seed: opts.seed,
          budgetOps: opts.budgetOps,
          hidden: [opts.hidden],
          strong: { ...strong, ...epochs },
          dense: epochs,
          cnn: {
            filters: opts.filters,
            ...epochs,
            ...(opts.adversarial ? { adversarial: { method: opts.adversarial, eps: opts.pgdEps, steps: opts.pgdSteps } } : {}),
          },
          name,
          threads: opts.threads,
          command,
          onProgress: bar.update,
        });
      } catch (err) {
        if (err instanceof Error && !(err instanceof DataError) && /not found|not installed/.test(err.message)) throw new EnvironmentError(err.message);
        throw err;
      } finally {
        bar.stop();
      }
      const sidecar = writeTrained(opts.out, result.model, result.metrics);
      const m = result.metrics;
      if (opts.json) return printJson({ out: opts.out, metrics: sidecar, ...m });
      console.log(`trained ${name} (${opts.arch}, ${opts.dataset}, seed ${opts.seed}) in ${m.trainSeconds} s -> ${opts.out}, ${sidecar}`);
      console.log(`  data             ${m.split.fit} fit / ${m.split.validation} validation / ${m.split.test.toLocaleString("en-US")} test images; ${m.inputConversion}`);
      console.log(`  accuracy (test, ${m.split.test.toLocaleString("en-US")} images)  float ${m.accuracy.floatTest}%  int8 ${m.accuracy.int8Test}%  (validation int8 ${m.accuracy.int8Validation}%, int8/float agreement ${m.accuracy.int8FloatAgreement}%)`);
      const o = m.plan.ops;
      console.log(`  ops/inference    ${o.total}: ${o.lookups} lookups, ${o.minmax} min/max, ${o.macs} MACs, ${o.requants} requantizations, ${o.compares} compares`);
      console.log(`  memory (plan)    const ${m.plan.constBytes} B, arena ${m.plan.arenaBytes} B`);
    });
}
