/** Worker thread entry of the training pool (see parallel.ts): runs one kernel per message. */
import { parentPort } from "node:worker_threads";
import { runKernel, type KernelTask } from "./kernels.js";

parentPort!.on("message", (task: KernelTask) => {
  try {
    runKernel(task);
    parentPort!.postMessage({ ok: true });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
