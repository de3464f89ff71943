/**
 * Progress for long CLI work (firmware builds, QEMU runs). Drawn on stderr with cli-progress,
 * and only when stderr is a terminal and the output is not --json, so pipes and CI logs stay clean.
 */
import cliProgress from "cli-progress";
import type { ProgressEvent } from "../verify/verify.js";

const STAGE_LABEL: Record<ProgressEvent["stage"], string> = {
  build: "building firmware (count + trace)",
  trace: "QEMU, traced image  ",
  count: "QEMU, shipping image",
  locate: "locating mismatch   ",
};

/** Returns an onProgress callback for verifyModel and a stop function (call it before printing). */
export function verifyProgress(enabled: boolean): { onProgress?: (e: ProgressEvent) => void; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: "{stage} [{bar}] {value}/{total}", stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let stage: ProgressEvent["stage"] | undefined;
  return {
    onProgress: (e) => {
      if (e.stage !== stage) {
        if (stage) bar.stop();
        stage = e.stage;
        bar.start(e.total, e.done, { stage: STAGE_LABEL[e.stage] });
      } else {
        bar.update(e.done);
      }
    },
    stop: () => {
      if (stage) bar.stop();
    },
  };
}
