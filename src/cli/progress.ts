/**
 * Progress for long CLI work (firmware builds, QEMU runs, training), on stderr and never with
 * --json. On a terminal it is a cli-progress bar that restarts whenever the stage changes; when
 * stderr is not a terminal (CI logs, pipes) it is one plain line per stage, so a log shows where
 * a long run is without a flood of redraws.
 */
import cliProgress from "cli-progress";
import type { ReportProgress } from "../report/collect.js";
import type { TrainProgress } from "../train/common.js";
import type { ProgressEvent } from "../verify/verify.js";

/** A bar that restarts for each new stage key; undefined when progress is not drawn. */
export interface StageBar {
  update(stageKey: string, done: number, total: number, payload: Record<string, string>): void;
  stop(): void;
}

/**
 * `format` is a cli-progress format string; its {placeholders} come from each update's payload.
 * `line` formats the one line per stage written instead when stderr is not a terminal
 * ({placeholders} from the payload, plus {total}).
 */
export function stageBar(enabled: boolean, format: string, line: string): StageBar | undefined {
  if (!enabled) return undefined;
  if (!process.stderr.isTTY) return stageLines(line);
  const bar = new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let key: string | undefined;
  return {
    update: (stageKey, done, total, payload) => {
      if (stageKey !== key) {
        if (key) bar.stop();
        key = stageKey;
        bar.start(total, done, payload);
      } else {
        bar.update(done);
      }
    },
    stop: () => {
      if (key) bar.stop();
    },
  };
}

/** One line per stage on stderr, e.g. "strongnet: building firmware (2)". */
function stageLines(format: string): StageBar {
  let key: string | undefined;
  return {
    update: (stageKey, _done, total, payload) => {
      if (stageKey === key) return;
      key = stageKey;
      const text = format.replace(/\{(\w+)\}/g, (_, name: string) => (name === "total" ? String(total) : (payload[name] ?? "")));
      process.stderr.write(`strongnet: ${text.replace(/\s+/g, " ").trim()}\n`);
    },
    stop: () => {},
  };
}

const STAGE_LABEL: Record<ProgressEvent["stage"] | "profile" | "analyse", string> = {
  build: "building firmware",
  trace: "QEMU, traced image",
  count: "QEMU, shipping image",
  locate: "locating mismatch",
  profile: "QEMU, per-layer profile",
  analyse: "reading the ELF",
};
const stageLabel = (stage: keyof typeof STAGE_LABEL): string => STAGE_LABEL[stage].padEnd(24);
/** What a stage's total counts, for the one-line form: "(2 images)", "(110 vectors)". */
const stageDetail = (stage: keyof typeof STAGE_LABEL, total: number): string =>
  stage === "build" ? `(${total} images)` : stage === "trace" || stage === "count" ? `(${total} vectors)` : "";

/** An onProgress callback for verifyModel and a stop function (call it before printing). */
export function verifyProgress(enabled: boolean): { onProgress?: (e: ProgressEvent) => void; stop: () => void } {
  const bar = stageBar(enabled, "{stage} [{bar}] {value}/{total}", "{stage} {detail}");
  return {
    onProgress: bar && ((e) => bar.update(e.stage, e.done, e.total, { stage: stageLabel(e.stage), detail: stageDetail(e.stage, e.total) })),
    stop: () => bar?.stop(),
  };
}

/** The same for createReport, whose stages run once per board. */
export function reportProgress(enabled: boolean): { onProgress?: (e: ReportProgress) => void; stop: () => void } {
  const bar = stageBar(enabled, "{board} {stage} [{bar}] {value}/{total}", "{board}: {stage} {detail}");
  return {
    onProgress: bar && ((e) => bar.update(`${e.board}/${e.stage}`, e.done, e.total, { board: e.board.padEnd(16), stage: stageLabel(e.stage), detail: stageDetail(e.stage, e.total) })),
    stop: () => bar?.stop(),
  };
}

/** The same for training, whose stages are free text. */
export function trainProgress(enabled: boolean): { update: (p: TrainProgress) => void; stop: () => void } {
  const bar = stageBar(enabled, "{stage} [{bar}] {percentage}% | {duration_formatted}", "{stage}");
  return { update: (p) => bar?.update(p.stage, p.done, p.total, { stage: p.stage.padEnd(22) }), stop: () => bar?.stop() };
}
