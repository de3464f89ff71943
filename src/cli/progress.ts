/**
 * Progress for long CLI work (firmware builds, QEMU runs, training). Drawn on stderr with
 * cli-progress, and only when stderr is a terminal and the output is not --json, so pipes and
 * CI logs stay clean. Work reports stages; the bar restarts whenever the stage changes.
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

/** `format` is a cli-progress format string; its {placeholders} come from each update's payload. */
export function stageBar(enabled: boolean, format: string): StageBar | undefined {
  if (!enabled || !process.stderr.isTTY) return undefined;
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

const STAGE_LABEL: Record<ProgressEvent["stage"] | "profile" | "analyse", string> = {
  build: "building firmware",
  trace: "QEMU, traced image",
  count: "QEMU, shipping image",
  locate: "locating mismatch",
  profile: "QEMU, per-layer profile",
  analyse: "reading the ELF",
};
const stageLabel = (stage: keyof typeof STAGE_LABEL): string => STAGE_LABEL[stage].padEnd(24);

/** An onProgress callback for verifyModel and a stop function (call it before printing). */
export function verifyProgress(enabled: boolean): { onProgress?: (e: ProgressEvent) => void; stop: () => void } {
  const bar = stageBar(enabled, "{stage} [{bar}] {value}/{total}");
  return { onProgress: bar && ((e) => bar.update(e.stage, e.done, e.total, { stage: stageLabel(e.stage) })), stop: () => bar?.stop() };
}

/** The same for createReport, whose stages run once per board. */
export function reportProgress(enabled: boolean): { onProgress?: (e: ReportProgress) => void; stop: () => void } {
  const bar = stageBar(enabled, "{board} {stage} [{bar}] {value}/{total}");
  return {
    onProgress: bar && ((e) => bar.update(`${e.board}/${e.stage}`, e.done, e.total, { board: e.board.padEnd(16), stage: stageLabel(e.stage) })),
    stop: () => bar?.stop(),
  };
}

/** The same for training, whose stages are free text. */
export function trainProgress(enabled: boolean): { update: (p: TrainProgress) => void; stop: () => void } {
  const bar = stageBar(enabled, "{stage} [{bar}] {percentage}% | {duration_formatted}");
  return { update: (p) => bar?.update(p.stage, p.done, p.total, { stage: p.stage.padEnd(22) }), stop: () => bar?.stop() };
}
