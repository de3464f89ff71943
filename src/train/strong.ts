/**
 * The constructive trainer of strong-neuron networks (docs/training.md has the reasoning):
 *
 *  1. unsupervised vocabulary: contour fragments (edges, strokes, line ends, corners, bends,
 *     holes) placed on a grid of anchors, each made shift-invariant by a max over 5 shifts —
 *     every candidate is one strong neuron with <= 15 literals (src/train/fragments.ts);
 *  2. growth (supervised selection, "grafting"): starting from nothing, repeatedly add the
 *     candidates whose new weight would most reduce the softmax loss of the current network
 *     (largest gradient norm), retrain the small linear read-out, until the feature part of the
 *     operation budget is spent;
 *  3. a small supervised sparse part: softmax regression on the grown features, pruned to the
 *     terms the budget allows per class, fine-tuned with the pruning mask;
 *  4. int8: the features are already exact int8 (tables + min/max); the read-out becomes one
 *     `summator` (int8 weights, int32 bias, one requantization) followed by `argmax`.
 *
 * Deterministic for a seed: candidate order, ties and shuffles are all fixed, and the parallel
 * kernels write disjoint slices.
 */
import type { Dataset, DatasetSplits } from "../datasets/index.js";
import type { ModelFileInput } from "../format/schema.js";
import { encodeInt8 } from "../ir/index.js";
import { tableFromFunction, toSummatorNeurons } from "../quantize/index.js";
import { graphOf, measureAccuracy, percent, planFigures, splitValidation, VALIDATION_RULE, spreadSubset, type OnProgress, type TrainResult, accuracyOf } from "./common.js";
import { flattenCandidates, fragmentTypes, levelThresholds, generateCandidates, type Candidate, type CandidateSet } from "./fragments.js";
import { hiddenActivations, mlpPredict, rowTopK, trainMlp, type Mlp } from "./mlp.js";
import { Pool } from "./parallel.js";
import { absolute, quantile, quantizeAffine } from "./qlayers.js";
import { quantizeMlpLayers } from "./dense.js";
import { withShiftedCopies } from "./augment.js";

export interface StrongOptions {
  name: string;
  datasetLabel: string;
  seed: number;
  /** planned operations per inference (lookups + min/max + MACs + requantizations + compares) */
  budgetOps: number;
  /** share of the budget spent on the strong (feature) layer; the rest is the summator (default 0.8) */
  featureShare?: number;
  /** images of the fit split used to grow the features (default 8000) */
  selectionImages?: number;
  /** anchor grid step (default 2) and shift radii of the fuzzy OR (default [1, 2]; 0: no shifts) */
  step?: number;
  radii?: number[];
  /**
   * rank candidates by loss reduction per operation (score / ops) instead of by score, so cheap
   * fragments win when they explain almost as much (default false: on MNIST validation it grew
   * many one-group fragments the term budget could not read)
   */
  costAware?: boolean;
  /** intensity levels of the ink / no-ink tables (default 1: threshold at mid-grey) */
  levels?: number;
  /** explicit ink thresholds of the table pairs (overrides `levels`) */
  thresholds?: number[];
  /**
   * slope of the ink / no-ink tables (default 1). Steeper tables saturate the literals away from
   * the threshold, so a small pixel perturbation changes only the literals of pixels near it:
   * robustness for a little accuracy (docs/training.md, "Robust tables")
   */
  tableSlope?: number;
  /** fragment scales: 1 = the contour vocabulary, 2 = the same fragments with offsets doubled (default [1]) */
  scales?: number[];
  /** growth rounds the feature budget is spread over (default 12): each round adds about 1/rounds of it */
  rounds?: number;
  /** read-out training epochs (default 30; 20 with a hidden layer; with `augment` 6, or 8 with a hidden layer) */
  epochs?: number;
  /**
   * ReLU units of each dense int8 hidden layer between the features and the classes (default
   * none: the sparse linear read-out), e.g. [96] or [96, 32]. The features get the same share of
   * `budgetOps` either way; the hidden read-out's MACs (features x hidden + ... + last hidden x
   * classes) come on top of the budget.
   */
  hidden?: number[];
  /**
   * train the read-out also on every fit image shifted one pixel up, down, left and right
   * (src/train/augment.ts; 5x the read-out's training images, nothing changes at inference)
   */
  augment?: boolean;
  /**
   * label smoothing of the hidden read-out's training targets (default 0): 1 - s on the label,
   * s / classes on every class (docs/training.md, "Deeper strong networks")
   */
  labelSmoothing?: number;
  /**
   * the hidden read-out's initial SGD learning rate (default 0.05), decayed to 0 by a cosine
   * schedule over the epochs
   */
  readoutLearningRate?: number;
  threads?: number;
  onProgress?: OnProgress;
}

/** Feature value as the float read-out sees it: (q + 128) / 256 in [0, 1). */
export const FEATURE_SCALE = 1 / 256;

/**
 * The strong layer's tables, a pair per intensity level: ink_k(x) = x - k and
 * noInk_k(x) = k - 1 - x, saturated (slope 1: 1-Lipschitz). A steeper `slope` s scales both,
 * s (x - k) and s (k - 1 - x), so the literals saturate within 128 / s of the threshold: a pixel
 * further than that plus eps from it cannot move under a perturbation of eps (`tableSlope`).
 */
export function strongTables(levels: number | number[] = 1, slope = 1): Int8Array[] {
  return (Array.isArray(levels) ? levels : levelThresholds(levels)).flatMap((k) => [tableFromFunction((x) => slope * (x - k)), tableFromFunction((x) => slope * (k - 1 - x))]);
}

const opsOf = (c: { groups: unknown[][] }): number => 2 * c.groups.reduce((s, g) => s + g.length, 0) - 1;

export async function trainStrong(splits: DatasetSplits, opts: StrongOptions): Promise<TrainResult & { grown: number }> {
  const pool = new Pool(opts.threads);
  try {
    return await train(splits, opts, pool);
  } finally {
    await pool.close();
  }
}

/** Steps 1-2 and the features of every split: what the read-out is trained on. */
export async function growFeatures(splits: DatasetSplits, opts: StrongOptions, pool: Pool) {
  const progress = opts.onProgress ?? (() => {});
  const { fit, validation } = splitValidation(splits.train);
  const [h, w, ch] = splits.train.shape;
  if (ch !== 1) throw new Error(`the strong trainer reads one-channel images; ${splits.train.name} has ${ch} channels`);
  const classes = splits.train.classes;
  const thresholds = opts.thresholds ?? levelThresholds(opts.levels ?? 1);
  const levels = thresholds.length;
  const tables = strongTables(thresholds, opts.tableSlope);
  const types = (opts.scales ?? [1]).flatMap((k) => fragmentTypes(k));
  const candidates = generateCandidates(types, { height: h, width: w, step: opts.step ?? 2, radii: opts.radii ?? [1, 2], levels });
  const featureShare = opts.featureShare ?? 0.8;
  const fixedOps = classes + (classes - 1); // requantizations + argmax compares
  const featureBudget = Math.max(opsOf(candidates[0]!), Math.floor((opts.budgetOps - fixedOps) * featureShare));

  // ---- 1. the unsupervised vocabulary, evaluated on the selection images -------------------
  const sel = spreadSubset(fit, opts.selectionImages ?? 8000, "selection");
  progress({ stage: "evaluate fragments", done: 0, total: 1 });
  const X = await evaluate(pool, flattenCandidates(candidates), tables, sel);
  progress({ stage: "evaluate fragments", done: 1, total: 1 });

  // ---- 2. growth ----------------------------------------------------------------------------
  const candidateOps = Float64Array.from(candidates, opsOf);
  const avgOps = candidates.reduce((s, c) => s + opsOf(c), 0) / candidates.length;
  const batch = Math.max(4, Math.round(featureBudget / avgOps / (opts.rounds ?? 12)));
  const chosen: number[] = [];
  const taken = new Uint8Array(candidates.length);
  const residual = new Float32Array(sel.count * classes);
  const scores = new Float64Array(shared(8 * candidates.length));
  const residualShared = new Float32Array(shared(4 * sel.count * classes));
  let spent = 0;
  let readout: Mlp | undefined;
  let round = 0;
  while (spent < featureBudget) {
    computeResidual(readout, X, chosen, sel, classes, residual);
    residualShared.set(residual);
    await pool.run({ kind: "score", features: X, n: sel.count, residual: residualShared, k: classes, out: scores }, candidates.length);
    const order = rankBy(scores, taken, opts.costAware ? candidateOps : undefined);
    let added = 0;
    for (const j of order) {
      if (added >= batch || spent >= featureBudget) break;
      const cost = opsOf(candidates[j]!);
      if (spent + cost > featureBudget && chosen.length > 0) continue;
      chosen.push(j);
      taken[j] = 1;
      spent += cost;
      added++;
    }
    if (added === 0) break;
    readout = trainMlp(columns(X, chosen, sel.count), sel.labels, [chosen.length, classes], {
      epochs: 3,
      learningRate: 0.1,
      l2: 1e-4,
      seed: opts.seed + round,
      init: readout && grow(readout, chosen.length),
    });
    round++;
    progress({ stage: "grow features", done: Math.min(spent, featureBudget), total: featureBudget });
  }

  // ---- 3. the supervised sparse read-out on all training images -----------------------------
  const grownNeurons = chosen.map((j) => orderForEarlyExit(candidates[j]!, tables, sel));
  // a hidden read-out reads whole 4-input words, so it runs on the blocked dense kernel
  // (src/kinds/dense.ts, packsIntoBlocks): the last 0-3 grown features are left out
  const words = grownNeurons.length >= 4 ? grownNeurons.length - (grownNeurons.length % 4) : grownNeurons.length;
  const neurons = opts.hidden?.length ? grownNeurons.slice(0, words) : grownNeurons;
  const set = flattenCandidates(neurons);
  progress({ stage: "features of all images", done: 0, total: 3 });
  // the read-out's training images: the fit split, with its shifted copies when augmenting
  const readoutFit = opts.augment ? withShiftedCopies(fit) : fit;
  const fFit = toFloat(await evaluate(pool, set, tables, readoutFit), neurons.length, readoutFit.count);
  progress({ stage: "features of all images", done: 1, total: 3 });
  const fVal = toFloat(await evaluate(pool, set, tables, validation), neurons.length, validation.count);
  progress({ stage: "features of all images", done: 2, total: 3 });
  const fTest = toFloat(await evaluate(pool, set, tables, splits.test), neurons.length, splits.test.count);
  progress({ stage: "features of all images", done: 3, total: 3 });

  return { fit, readoutFit, validation, h, w, ch, classes, levels, thresholds, tables, types, candidates, fixedOps, featureBudget, sel, chosen, spent, round, neurons, fFit, fVal, fTest };
}

async function train(splits: DatasetSplits, opts: StrongOptions, pool: Pool): Promise<TrainResult & { grown: number }> {
  const progress = opts.onProgress ?? (() => {});
  const g = await growFeatures(splits, opts, pool);
  if (opts.hidden?.length) return trainHiddenReadout(g, splits, opts);
  const { readoutFit, h, w, ch, classes, levels, thresholds, tables, types, fixedOps, spent, neurons, fFit, fVal, fTest } = g;
  const termBudget = Math.max(classes, opts.budgetOps - fixedOps - spent);
  const termsPerClass = Math.max(1, Math.min(neurons.length, Math.floor(termBudget / classes)));
  const epochs = opts.epochs ?? (opts.augment ? 6 : 30); // augmented: 5x the images per epoch
  const dims = [neurons.length, classes];
  const full = trainMlp(fFit, readoutFit.labels, dims, {
    epochs, learningRate: 0.1, l2: 1e-4, seed: opts.seed,
    onEpoch: (e) => progress({ stage: "train read-out", done: e + 1, total: 2 * epochs }),
  });
  const mask = rowTopK(full.weights[0]!, classes, termsPerClass);
  const sparse = trainMlp(fFit, readoutFit.labels, dims, {
    epochs, learningRate: 0.05, l2: 1e-4, seed: opts.seed + 1, init: full, masks: [mask],
    onEpoch: (e) => progress({ stage: "train read-out", done: epochs + e + 1, total: 2 * epochs }),
  });

  // ---- 4. int8 model: drop features no class reads, quantize the read-out -------------------
  const used = neurons.map((_, j) => Array.from({ length: classes }, (_, c) => mask[c * neurons.length + j]).some(Boolean));
  const keep = neurons.map((_, j) => j).filter((j) => used[j]);
  const model = buildModel(opts, [h, w, ch], tables, keep.map((j) => neurons[j]!), sparse, keep, fFit);

  const typeCounts: Record<string, number> = {};
  for (const j of keep) {
    const c = neurons[j]!;
    const key = `${types[c.type]!.name}/r${c.radius}${levels > 1 ? `/L${c.level}` : ""}`;
    typeCounts[key] = (typeCounts[key] ?? 0) + 1;
  }
  return resultOf(g, splits, opts, model, { mlp: sparse, fVal, fTest }, {
    levels: thresholds,
    radii: opts.radii ?? [1, 2],
    growthRoundsTarget: opts.rounds ?? 12,
    keptFeatures: keep.length,
    termsPerClass,
    fragmentTypes: typeCounts,
    readoutEpochs: epochs,
  });
}

/** The trainer's result for a finished model: its accuracies (int8 and float) and plan figures. */
function resultOf(
  g: Grown,
  splits: DatasetSplits,
  opts: StrongOptions,
  model: ModelFileInput,
  readout: { mlp: Mlp; fVal: Float32Array; fTest: Float32Array },
  details: Record<string, unknown>,
): TrainResult & { grown: number } {
  const { fit, validation } = g;
  const graph = graphOf(model);
  const accuracy = measureAccuracy(graph, { test: splits.test, validation, fit }, mlpPredict(readout.mlp, readout.fTest), opts.onProgress ?? (() => {}));
  return {
    model,
    floatTestScores: hiddenActivations(readout.mlp, readout.fTest, readout.mlp.dims.length - 1),
    grown: g.chosen.length,
    metrics: {
      arch: "strong",
      dataset: opts.datasetLabel,
      seed: opts.seed,
      budgetOps: opts.budgetOps,
      split: { fit: fit.count, validation: validation.count, test: splits.test.count, rule: VALIDATION_RULE },
      accuracy,
      plan: planFigures(graph),
      details: {
        candidates: g.candidates.length,
        selectionImages: g.sel.count,
        growthRounds: g.round,
        grownFeatures: g.chosen.length,
        featureOpsBudget: g.featureBudget,
        ...details,
        augment: Boolean(opts.augment),
        tableSlope: opts.tableSlope ?? 1,
        floatValidation: percent(accuracyOf(mlpPredict(readout.mlp, readout.fVal), validation.labels)),
      },
    },
  };
}

type Grown = Awaited<ReturnType<typeof growFeatures>>;

/**
 * The read-out with a hidden layer: the grown features -> dense ReLU (opts.hidden units) ->
 * dense (classes) -> argmax, trained in float on all fit images and quantized like the dense
 * baseline (src/train/dense.ts), with the features' exact scale 1/256 as the input scale.
 * Measured on MNIST validation it beats the sparse linear read-out by about 0.9 points at the
 * same features (docs/training.md, "Deeper strong networks").
 */
function trainHiddenReadout(g: Grown, splits: DatasetSplits, opts: StrongOptions): TrainResult & { grown: number } {
  const progress = opts.onProgress ?? (() => {});
  const { h, w, ch, classes, tables, featureBudget, neurons, fFit, fVal, fTest } = g;
  const epochs = opts.epochs ?? (opts.augment ? 8 : 20); // augmented: 5x the images per epoch
  const hidden = opts.hidden!;
  const dims = [neurons.length, ...hidden, classes];
  const labelSmoothing = opts.labelSmoothing ?? 0;
  const learningRate = opts.readoutLearningRate ?? 0.05;
  const mlp = trainMlp(fFit, g.readoutFit.labels, dims, {
    epochs, learningRate, l2: 1e-4, seed: opts.seed, labelSmoothing,
    onEpoch: (e) => progress({ stage: "train hidden read-out", done: e + 1, total: epochs }),
  });
  const { layers, logitScale } = quantizeMlpLayers(mlp, fFit, { input: "features", inputScale: FEATURE_SCALE });
  const model: ModelFileInput = {
    format: "strongnet-model",
    version: 1,
    name: opts.name,
    description:
      `Strong-neuron network grown by strongnet train (constructive, feature budget ${featureBudget} ops) on ${opts.datasetLabel}: ` +
      `${neurons.length} shift-invariant contour-fragment neurons (max over shifts of min over ink/no-ink literals), ` +
      `${hidden.length === 1 ? "a dense int8 ReLU hidden layer" : `${hidden.length} dense int8 ReLU hidden layers`} of ${hidden.join(" then ")} units, a dense int8 layer per class, argmax.`,
    input: { shape: [h, w, ch] },
    maxLiterals: 16,
    tables: tables.map(encodeInt8),
    layers: [{ id: "features", kind: "strong", input: "input", neurons: neurons.map((c) => ({ groups: c.groups })) }, ...layers],
    output: "class",
    metadata: { outputQuantization: { scale: logitScale, zeroPoint: 0 } },
  };
  return resultOf(g, splits, opts, model, { mlp, fVal, fTest }, { readout: `dense ${dims.join("-")} (ReLU)`, readoutEpochs: epochs, readoutLearningRate: learningRate, labelSmoothing });
}

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(8, bytes));
}

/** All candidates on all images of `ds`: candidate-major int8 in shared memory. */
async function evaluate(pool: Pool, set: CandidateSet, tables: Int8Array[], ds: Dataset): Promise<Int8Array> {
  const pixels = new Int8Array(shared(ds.pixels.length));
  pixels.set(ds.pixels);
  const out = new Int8Array(shared(set.count * ds.count));
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  await pool.run({ kind: "evaluate", set, tables, pixels, imageSize: size, n: ds.count, out }, set.count);
  return out;
}

/** Unchosen candidates by descending score, or score per op (ties: lower index first). */
function rankBy(scores: Float64Array, taken: Uint8Array, cost?: Float64Array): number[] {
  const key = cost ? Float64Array.from(scores, (s, j) => s / cost[j]!) : scores;
  const idx: number[] = [];
  for (let j = 0; j < scores.length; j++) if (!taken[j] && scores[j]! > 0) idx.push(j);
  return idx.sort((a, b) => key[b]! - key[a]! || a - b);
}

/** Sample-major float features of the chosen columns of a candidate-major int8 matrix. */
function columns(X: Int8Array, chosen: number[], n: number): Float32Array {
  const d = chosen.length;
  const out = new Float32Array(n * d);
  chosen.forEach((j, k) => {
    const row = j * n;
    for (let i = 0; i < n; i++) out[i * d + k] = (X[row + i]! + 128) * FEATURE_SCALE;
  });
  return out;
}

function toFloat(X: Int8Array, d: number, n: number): Float32Array {
  return columns(X, Array.from({ length: d }, (_, j) => j), n);
}

/** A read-out for more inputs: the old weights, zeros for the new inputs. */
function grow(m: Mlp, inputs: number): Mlp {
  const [din, dout] = m.dims as [number, number];
  const wt = new Float32Array(dout * inputs);
  for (let o = 0; o < dout; o++) wt.set(m.weights[0]!.subarray(o * din, (o + 1) * din), o * inputs);
  return { dims: [inputs, dout], weights: [wt], biases: [m.biases[0]!.slice()] };
}

/** softmax(read-out) - one-hot, per selection image (the loss gradient w.r.t. the logits). */
function computeResidual(m: Mlp | undefined, X: Int8Array, chosen: number[], ds: Dataset, classes: number, out: Float32Array): void {
  const n = ds.count;
  if (!m) {
    const prior = new Float64Array(classes);
    for (let i = 0; i < n; i++) prior[ds.labels[i]!]! += 1 / n;
    for (let i = 0; i < n; i++) for (let c = 0; c < classes; c++) out[i * classes + c] = prior[c]! - (ds.labels[i] === c ? 1 : 0);
    return;
  }
  const d = chosen.length;
  const z = new Float64Array(classes);
  const W = m.weights[0]!;
  const b = m.biases[0]!;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < classes; c++) z[c] = b[c]!;
    for (let k = 0; k < d; k++) {
      const v = (X[chosen[k]! * n + i]! + 128) * FEATURE_SCALE;
      if (v === 0) continue;
      for (let c = 0; c < classes; c++) z[c]! += W[c * d + k]! * v;
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, z[c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += z[c] = Math.exp(z[c]! - max);
    for (let c = 0; c < classes; c++) out[i * classes + c] = z[c]! / sum - (ds.labels[i] === c ? 1 : 0);
  }
}

/**
 * Reorders a neuron for the generated code's early exit (the value is unchanged: min and max are
 * commutative): inside a group, the literal most often low comes first; groups most often high
 * come first, so the max rises early and later groups stop after one lookup.
 */
function orderForEarlyExit(c: Candidate, tables: Int8Array[], ds: Dataset): Candidate {
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const mean = (input: number, table: number) => {
    let s = 0;
    for (let i = 0; i < ds.count; i++) s += tables[table]![ds.pixels[i * size + input]! + 128]!;
    return s / ds.count;
  };
  const groups = c.groups.map((g) => {
    const lits = g.map((l) => ({ ...l, m: mean(l.input, l.table) }));
    lits.sort((a, b) => a.m - b.m || a.input - b.input || a.table - b.table);
    return { lits: lits.map(({ input, table }) => ({ input, table })), m: Math.min(...lits.map((l) => l.m)) };
  });
  groups.sort((a, b) => b.m - a.m);
  return { ...c, groups: groups.map((g) => g.lits) };
}

function buildModel(
  opts: StrongOptions,
  shape: [number, number, number],
  tables: Int8Array[],
  kept: Candidate[],
  readout: Mlp,
  keep: number[],
  fFit: Float32Array,
): ModelFileInput {
  let neurons = kept;
  const classes = readout.dims[1]!;
  const din = readout.dims[0]!;
  const W = new Float32Array(classes * keep.length);
  for (let c = 0; c < classes; c++) keep.forEach((j, k) => (W[c * keep.length + k] = readout.weights[0]![c * din + j]!));
  // logit scale: the 99.9th percentile of |logit| on the fit images maps to 127
  const n = fFit.length / din;
  const logits = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < classes; c++) {
      let s = readout.biases[0]![c]!;
      for (let j = 0; j < din; j++) s += readout.weights[0]![c * din + j]! * fFit[i * din + j]!;
      logits[i * classes + c] = s;
    }
  }
  const outScale = quantile(absolute(logits), 0.999) / 127 || 1;
  let q = quantizeAffine(W, readout.biases[0]!, classes, keep.length, FEATURE_SCALE, outScale, 0);
  // a feature whose every weight rounded to zero is read by no summator: drop it and requantize
  const live = keep.map((_, k) => Array.from({ length: classes }, (_, c) => q.weights[c * keep.length + k]).some((v) => v !== 0));
  if (live.some((v) => !v) && live.some(Boolean)) {
    const kk = keep.map((_, k) => k).filter((k) => live[k]);
    const W2 = new Float32Array(classes * kk.length);
    for (let c = 0; c < classes; c++) kk.forEach((k, m) => (W2[c * kk.length + m] = W[c * keep.length + k]!));
    q = quantizeAffine(W2, readout.biases[0]!, classes, kk.length, FEATURE_SCALE, outScale, 0);
    neurons = kk.map((k) => neurons[k]!);
  }
  const summands = toSummatorNeurons(q, neurons.length).map((s) => (s.terms.length ? s : { ...s, terms: [{ input: 0, weight: 0 }] }));
  return {
    format: "strongnet-model",
    version: 1,
    name: opts.name,
    description:
      `Strong-neuron network grown by strongnet train (constructive, budget ${opts.budgetOps} ops) on ${opts.datasetLabel}: ` +
      `${neurons.length} shift-invariant contour-fragment neurons (max over shifts of min over ink/no-ink literals), ` +
      `a sparse int8 summator per class, argmax.`,
    input: { shape },
    maxLiterals: 16,
    tables: tables.map(encodeInt8),
    layers: [
      { id: "features", kind: "strong", input: "input", neurons: neurons.map((c) => ({ groups: c.groups })) },
      { id: "classes", kind: "summator", input: "features", requant: q.requant, neurons: summands },
      { id: "class", kind: "argmax", input: "classes" },
    ],
    output: "class",
    // the scores' int8 quantization (what `compile --outputs scores` returns): real logit = scale * (q - zeroPoint)
    metadata: { outputQuantization: { scale: outScale, zeroPoint: 0 } },
  };
}
