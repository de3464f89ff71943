/**
 * Robustness of one model on a data set: clean accuracy, accuracy under the attack and certified
 * accuracy at every eps, with the invariant certified <= attacked <= clean checked per sample.
 *
 * Per sample, eps values are processed in increasing order: a perturbation that breaks the model
 * at eps also lies in every larger box, so it is reused (the attack then has nothing to do), and
 * the best perturbation found at one eps starts the search at the next. A sample the attack
 * breaks while the certifier proved it robust would be a soundness bug: it throws.
 */
import type { Dataset } from "../datasets/types.js";
import type { Graph } from "../ir/index.js";
import { predict } from "../reference/interpreter.js";
import { Rng } from "../util/random.js";
import { attack } from "./attack.js";
import { runFlat, scoresOf, type FlatGraph } from "./flat.js";
import { flattenGraph } from "./flatten.js";
import { certifiedClass, inputBox, meanWidths, propagate } from "./ibp.js";
import { lipschitzReport, type LipschitzReport } from "./lipschitz.js";
import { firstMaxIndex } from "../kinds/argmax.js";
import { verifyMilp, type HighsSolver, type MilpStatus } from "./milp.js";

export interface RobustnessOptions {
  /** radii in int8 pixel units (E means ±E of 255), any order; evaluated sorted */
  eps: number[];
  /** the first `samples` images of the data set */
  samples: number;
  /** attack queries per sample and eps */
  queries: number;
  seed: number;
  /** per-neuron enumeration cap of the certifier */
  enumerationCap?: number;
  /**
   * Also verify with the complete MILP verifier (src/robustness/milp.ts): every clean-correct
   * sample that IBP does not certify and the attack does not break gets a MILP with a time limit.
   */
  milp?: { solver: HighsSolver; timeLimit: number };
  onProgress?: (done: number, total: number) => void;
}

export interface EpsResult {
  eps: number;
  /** correct under the attack (clean-correct and not broken) */
  attacked: number;
  attackedAccuracy: number;
  /** correct and certified by IBP */
  certified: number;
  certifiedAccuracy: number;
  /** samples whose clean prediction (right or wrong) is certified */
  certifiedPredictions: number;
  /** mean queries the attack spent on the samples it broke at this eps (0 when reused) */
  meanQueriesToBreak: number | null;
  /** mean IBP interval width of each layer's output (argmax excluded), over the samples */
  meanWidth: Record<string, number>;
  /** the MILP verifier's outcome over the clean-correct samples (with --verifier milp) */
  milp?: MilpEps;
}

export interface MilpEps {
  /** correct and proved robust: by IBP, or by a MILP shown infeasible (a lower bound, tighter than certified) */
  verified: number;
  verifiedAccuracy: number;
  /** of which IBP alone proved */
  byIbp: number;
  /** correct but shown not robust: broken by the attack, or a MILP counterexample confirmed by the reference */
  falsified: number;
  /** of which only the MILP found the counterexample */
  falsifiedByMilp: number;
  /** correct, neither proved nor broken within the time limit */
  undecided: number;
  /** robust accuracy is within [verifiedAccuracy, verifiedAccuracy + undecided %] */
  upperAccuracy: number;
  /** MILPs built (samples neither certified by IBP nor broken by the attack) and their mean wall time */
  solved: number;
  meanSeconds: number | null;
  timeLimit: number;
}

export interface ModelRobustness {
  model: string;
  sha256: string;
  file?: string;
  dataset: string;
  samples: number;
  queries: number;
  seed: number;
  clean: number;
  cleanAccuracy: number;
  results: EpsResult[];
  lipschitz: LipschitzReport;
  /** "milp" when the MILP verifier ran too (results[].milp) */
  verifier: "ibp" | "milp";
  seconds: number;
}

export class SoundnessError extends Error {
  override name = "SoundnessError";
}

const pct = (k: number, n: number) => (n === 0 ? 0 : Math.round((10000 * k) / n) / 100);

export function evaluateRobustness(graph: Graph, data: Dataset, opts: RobustnessOptions, file?: string): ModelRobustness {
  const t0 = performance.now();
  const fg: FlatGraph = flattenGraph(graph);
  const epsList = [...new Set(opts.eps)].sort((a, b) => a - b);
  const n = Math.min(opts.samples, data.count);
  const attacked = new Array<number>(epsList.length).fill(0);
  const certified = new Array<number>(epsList.length).fill(0);
  const certifiedPredictions = new Array<number>(epsList.length).fill(0);
  const breakQueries = epsList.map(() => ({ sum: 0, count: 0 }));
  const widthSums = epsList.map(() => new Array<number>(fg.layers.length).fill(0));
  let clean = 0;
  const milpTally = epsList.map(() => ({ verified: 0, byIbp: 0, falsified: 0, falsifiedByMilp: 0, undecided: 0, solved: 0, seconds: 0 }));

  for (let s = 0; s < n; s++) {
    const x0 = data.images[s]!;
    const label = data.labels[s]!;
    const predicted = firstMaxIndex(scoresOf(fg, runFlat(fg, x0)));
    const reference = fg.endsInArgmax ? predict(graph, x0)[0]! : firstMaxIndex(predict(graph, x0));
    if (predicted !== reference) throw new Error(`robustness: lowered graph disagrees with the reference on sample ${s}`);
    const correct = predicted === label;
    if (correct) clean++;
    const rng = new Rng((opts.seed * 1000003 + s) >>> 0);
    let broken: Int8Array | undefined;
    let warm: Int8Array | undefined;
    // MILP status per eps; a counterexample at one eps lies in every larger box
    const status: (MilpStatus | undefined)[] = epsList.map(() => undefined);
    const how: ("ibp" | "attack" | "milp" | undefined)[] = epsList.map(() => undefined);
    let milpBroken = false;
    epsList.forEach((eps, e) => {
      const prop = propagate(fg, inputBox(x0, eps), { enumerationCap: opts.enumerationCap });
      const isCertified = certifiedClass(fg, prop, predicted);
      meanWidths(prop).forEach((w, k) => (widthSums[e]![k]! += w));
      if (isCertified) certifiedPredictions[e]!++;
      if (!correct) return;
      if (isCertified) certified[e]!++;
      if (!broken) {
        const result = attack(fg, x0, label, { eps, queries: opts.queries, rng, init: warm });
        warm = result.best;
        if (result.adversarial) {
          broken = result.adversarial;
          breakQueries[e]!.sum += result.queries;
          breakQueries[e]!.count++;
        }
      }
      if (broken && isCertified) {
        throw new SoundnessError(
          `soundness violation: model "${graph.name}" sample ${s} is certified at eps ${eps} but the attack changed its class ` +
            `(perturbation ${JSON.stringify(Array.from(broken))})`,
        );
      }
      if (!broken) attacked[e]!++;
      if (opts.milp) {
        if (isCertified) [status[e], how[e]] = ["verified", "ibp"];
        else if (broken) [status[e], how[e]] = ["falsified", "attack"];
        else if (milpBroken) [status[e], how[e]] = ["falsified", "milp"];
        else {
          const r = verifyMilp(opts.milp.solver, fg, x0, eps, { timeLimit: opts.milp.timeLimit }, graph);
          milpTally[e]!.solved++;
          milpTally[e]!.seconds += r.seconds;
          status[e] = r.status;
          how[e] = "milp";
          if (r.status === "falsified") milpBroken = true;
        }
      }
    });
    if (opts.milp && correct) {
      // a box proved at eps contains every smaller box
      for (let e = epsList.length - 2; e >= 0; e--) if (status[e + 1] === "verified" && status[e] !== "verified") {
        if (status[e] === "falsified") throw new SoundnessError(`soundness violation: model "${graph.name}" sample ${s} is MILP-verified at eps ${epsList[e + 1]} but falsified at eps ${epsList[e]}`);
        [status[e], how[e]] = ["verified", "milp"];
      }
      epsList.forEach((_, e) => {
        const t = milpTally[e]!;
        if (status[e] === "verified") {
          t.verified++;
          if (how[e] === "ibp") t.byIbp++;
        } else if (status[e] === "falsified") {
          t.falsified++;
          if (how[e] === "milp") t.falsifiedByMilp++;
        } else t.undecided++;
      });
    }
    opts.onProgress?.(s + 1, n);
  }

  const results: EpsResult[] = epsList.map((eps, e) => {
    const r: EpsResult = {
      eps,
      attacked: attacked[e]!,
      attackedAccuracy: pct(attacked[e]!, n),
      certified: certified[e]!,
      certifiedAccuracy: pct(certified[e]!, n),
      certifiedPredictions: certifiedPredictions[e]!,
      meanQueriesToBreak: breakQueries[e]!.count ? Math.round(breakQueries[e]!.sum / breakQueries[e]!.count) : null,
      meanWidth: Object.fromEntries(
        fg.layers.map((l, k) => [l.id, Math.round((100 * widthSums[e]![k]!) / Math.max(n, 1)) / 100]),
      ),
    };
    if (opts.milp) {
      const t = milpTally[e]!;
      r.milp = {
        verified: t.verified,
        verifiedAccuracy: pct(t.verified, n),
        byIbp: t.byIbp,
        falsified: t.falsified,
        falsifiedByMilp: t.falsifiedByMilp,
        undecided: t.undecided,
        upperAccuracy: pct(t.verified + t.undecided, n),
        solved: t.solved,
        meanSeconds: t.solved ? Math.round((100 * t.seconds) / t.solved) / 100 : null,
        timeLimit: opts.milp.timeLimit,
      };
      if (!(r.certified <= t.verified && t.verified <= r.attacked)) {
        throw new SoundnessError(`invariant certified <= MILP-verified <= attacked broken at eps ${eps}: ${r.certified} / ${t.verified} / ${r.attacked}`);
      }
    }
    if (!(r.certified <= r.attacked && r.attacked <= clean)) {
      throw new SoundnessError(`invariant certified <= attacked <= clean broken at eps ${eps}: ${r.certified} / ${r.attacked} / ${clean}`);
    }
    return r;
  });
  return {
    model: graph.name,
    sha256: graph.hash,
    file,
    dataset: data.name,
    samples: n,
    queries: opts.queries,
    seed: opts.seed,
    clean,
    cleanAccuracy: pct(clean, n),
    results,
    lipschitz: lipschitzReport(fg),
    verifier: opts.milp ? "milp" : "ibp",
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}
