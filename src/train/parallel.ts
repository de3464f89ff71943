/**
 * A tiny worker_threads pool for the trainer's data-parallel kernels (candidate evaluation and
 * scoring). Inputs and outputs live in SharedArrayBuffers; every task writes a disjoint slice
 * that depends only on its own index range, so results are identical for any number of threads.
 * With one thread (or `STRONGNET_THREADS=1`) the kernels run inline.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { runKernel, type KernelTask } from "./kernels.js";

/** A kernel task without its range (the pool splits the range). */
export type KernelInput = KernelTask extends infer T ? (T extends KernelTask ? Omit<T, "from" | "to"> : never) : never;

export function defaultThreads(): number {
  const env = Number(process.env.STRONGNET_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, Math.min(4, availableParallelism()));
}

export class Pool {
  private workers: Worker[] = [];

  constructor(readonly threads = defaultThreads()) {}

  private spawn(): Worker[] {
    if (this.workers.length === 0 && this.threads > 1) {
      const url = new URL("./worker-entry.mjs", import.meta.url);
      for (let i = 0; i < this.threads; i++) this.workers.push(new Worker(url));
    }
    return this.workers;
  }

  /** Runs the kernel over [0, count) split into one contiguous range per thread. */
  async run(task: KernelInput, count: number): Promise<void> {
    const workers = this.spawn();
    if (workers.length === 0 || count < 2) {
      runKernel({ ...task, from: 0, to: count } as KernelTask);
      return;
    }
    const per = Math.ceil(count / workers.length);
    await Promise.all(
      workers.map((w, k) => {
        const from = Math.min(count, k * per);
        const to = Math.min(count, from + per);
        if (from >= to) return Promise.resolve();
        return new Promise<void>((resolve, reject) => {
          const onMessage = (m: { ok: boolean; error?: string }) => {
            w.off("error", onError);
            if (m.ok) resolve();
            else reject(new Error(`training worker: ${m.error}`));
          };
          const onError = (e: Error) => {
            w.off("message", onMessage);
            reject(e);
          };
          w.once("message", onMessage);
          w.once("error", onError);
          w.postMessage({ ...task, from, to });
        });
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
