import { writeFileAtomic } from "../../util/fs.js";
import cliProgress from "cli-progress";
import { type Command, InvalidArgumentError } from "commander";
import { DATASET_NAMES, takeFirst } from "../../datasets/index.js";
import { loadGraph, type Graph } from "../../ir/index.js";
import { parseEpsList } from "../../robustness/eps.js";
import { loadMilpSolver } from "../../robustness/milp.js";
import { evaluateRobustness, SoundnessError, type ModelRobustness } from "../../robustness/evaluate.js";
import { EPS_UNIT, formatMarkdown, formatText, plotSvg, type RobustnessReport } from "../../robustness/report.js";
import { EXIT, UsageError } from "../errors.js";
import { printJson } from "../output.js";
import { modelArgument, nonNegativeInt, positiveInt, SPEC_HELP, specOption } from "../options.js";
import { modelTestSamples, samplesFor } from "../../verify/vectors.js";

export { parseEpsList };


function verifierName(value: string): "ibp" | "milp" {
  if (value === "ibp" || value === "milp") return value;
  throw new InvalidArgumentError(`--verifier must be ibp or milp, got "${value}"`);
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86400) throw new InvalidArgumentError(`--milp-time must be a number of seconds in (0, 86400], got "${value}"`);
  return n;
}

interface RobustnessFlags {
  dataset?: string;
  eps: number[];
  samples: number;
  queries: number;
  seed: number;
  baseline?: string;
  json?: boolean;
  plot?: string;
  markdown?: string;
  verifier: "ibp" | "milp";
  milpTime: number;
}

function writeOut(path: string, text: string): void {
  writeFileAtomic(path, text);
}

export function registerRobustness(program: Command): void {
  program
    .command("robustness")
    .description("clean, attacked and certified (interval bound propagation) accuracy of the int8 model under L-infinity perturbations")
    .argument("<model>", "model file (.json, strongnet-model version 1) or a bundled model's name: a classifier (argmax output or score vector)", modelArgument)
    .option("--dataset <spec>", `labelled test images: ${DATASET_NAMES.join(", ")} or a data set SPEC (below; its test part, else all of it) (default: the data the model's metadata names)`, specOption("--dataset"))
    .option("--eps <list>", "radii in int8 pixel units, comma-separated: E means ±E of 255 (E/255 of [0,1])", parseEpsList, [1, 2, 4, 8, 16])
    .option("-n, --samples <n>", "evaluate the first N test images (the command prints how many it used)", positiveInt("--samples"), 200)
    .option("--queries <n>", "attack budget: model evaluations per sample and eps", nonNegativeInt("--queries"), 2000)
    .option("--seed <n>", "seed of the attack", nonNegativeInt("--seed"), 1)
    .option("--verifier <name>", "ibp: interval bounds only; milp: also an exact mixed-integer program per sample (HiGHS) where IBP does not certify and the attack does not break", verifierName, "ibp")
    .option("--milp-time <s>", "--verifier milp: time limit per sample and eps in seconds (undecided after it)", positiveSeconds, 10)
    .option("--baseline <model>", "a second model (e.g. a dense baseline) evaluated with identical settings, side by side")
    .option("--json", "print the full report as JSON")
    .option("--plot <file>", "write an SVG plot of accuracy vs eps (clean / attacked / certified, every model)")
    .option("--markdown <file>", "write the report as Markdown")
    .addHelpText(
      "after",
      `
eps: ${EPS_UNIT}.
  MNIST pixels are int8 = byte - 128, so --eps 8 allows every pixel to move by up to 8 of 255 (0.031).

clean      accuracy of the int8 model (reference interpreter) on the first N test images
attacked   correct and not broken by a seeded L-infinity attack on the int8 model itself
           (surrogate-gradient PGD, Square-attack random search, greedy coordinate search;
           --queries evaluations per sample and eps): an upper bound on the robust accuracy
certified  correct and proved robust by interval bound propagation through the int8 graph
           (tables, min/max, summators, requantization, argmax tie rule): a lower bound
certified <= attacked <= clean is checked on every sample; a violation exits 1.
MILP-verified (--verifier milp)  correct and proved robust by IBP or by an exact mixed-integer
           program over the int8 graph (HiGHS, npm highs; tables, min/max, requantization with
           its rounding, clamps, argmax tie rule), one per competing class within --milp-time
           seconds per sample and eps; counterexamples are confirmed on the reference
           interpreter. Samples neither proved nor broken in time are reported as undecided.
           certified <= MILP-verified <= attacked is checked. JSON: results[].milp.

Examples:
  strongnet robustness models/mnist_demo.json --eps 1,2,4,8,16 --samples 200
  strongnet robustness models/mnist_demo.json --baseline models/mnist_dense.json --plot robustness.svg --markdown robustness.md
  strongnet robustness digits.json --dataset data/digits_test.csv --eps 4,8
  strongnet robustness models/mnist_strong.json --baseline models/mnist_dense.json --eps 8 --samples 100 --verifier milp --milp-time 10
${SPEC_HELP}`,
    )
    .action(async (modelPath: string, opts: RobustnessFlags) => {
      const milp = opts.verifier === "milp" ? { solver: await loadMilpSolver(), timeLimit: opts.milpTime } : undefined;
      const graphs: [Graph, string][] = [[loadGraph(modelPath), modelPath]];
      if (opts.baseline !== undefined) graphs.push([loadGraph(opts.baseline), opts.baseline]);
      const first = graphs[0]![0];
      const samples = opts.dataset !== undefined ? samplesFor(first, opts.dataset, true) : modelTestSamples(first);
      if (typeof samples === "string") throw new UsageError(`--dataset: model "${first.name}": ${samples}; pass --dataset SPEC (${DATASET_NAMES.join(", ")}, a file or a folder)`);
      const data = takeFirst(samples.data, opts.samples);
      for (const [g, path] of graphs) {
        if (g.inputShape.join("x") !== data.shape.join("x")) {
          throw new UsageError(`${path}: model input ${g.inputShape.join("x")} does not match ${samples.name} images ${data.shape.join("x")}`);
        }
      }
      const bar =
        !opts.json && process.stderr.isTTY
          ? new cliProgress.SingleBar(
              { format: "{model} [{bar}] {value}/{total} samples", stream: process.stderr, hideCursor: true, clearOnComplete: true },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      const models: ModelRobustness[] = [];
      try {
        for (const [g, path] of graphs) {
          bar?.start(data.count, 0, { model: g.name });
          models.push(
            evaluateRobustness(
              g,
              data,
              { eps: opts.eps, samples: opts.samples, queries: opts.queries, seed: opts.seed, milp, onProgress: (done) => bar?.update(done) },
              path,
            ),
          );
          bar?.stop();
        }
      } catch (err) {
        bar?.stop();
        if (err instanceof SoundnessError) {
          process.stderr.write(`strongnet: ${err.message}\n`);
          process.exitCode = EXIT.checkFailed;
          return;
        }
        throw err;
      }
      const report: RobustnessReport = { epsUnit: EPS_UNIT, models };
      if (opts.plot) writeOut(opts.plot, plotSvg(report));
      if (opts.markdown) writeOut(opts.markdown, formatMarkdown(report));
      if (opts.json) return printJson(report);
      process.stdout.write(formatText(report));
      if (opts.plot) console.log(`plot: ${opts.plot}`);
      if (opts.markdown) console.log(`markdown: ${opts.markdown}`);
    });
}
