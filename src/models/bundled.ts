/**
 * The models shipped in the package's `models/` folder, found relative to the installed package
 * (never the current directory), so `strongnet models` and `strongnet demo` work from anywhere.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The bundled `models/` folder. */
export const MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../models");

/** The model `strongnet demo` compiles and verifies (models/README.md, docs/training.md). */
export const DEMO_MODEL_NAME = "mnist_strong";

export interface BundledModel {
  name: string;
  /** absolute path of the model file */
  path: string;
  description: string | null;
  /** metadata.dataset of the model, when it names one */
  dataset: string | null;
  /** int8 test accuracy in percent, from the model's metadata (measured when it was trained) */
  int8TestAccuracy: number | null;
  /** the `<name>.metrics.json` sidecar, when present */
  metricsPath: string | null;
}

/** Every bundled model, sorted by name (metadata only; the layers are not validated here). */
export function bundledModels(): BundledModel[] {
  return readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".metrics.json"))
    .sort()
    .map((f) => {
      const path = join(MODELS_DIR, f);
      const m = JSON.parse(readFileSync(path, "utf8")) as { name?: string; description?: string; metadata?: Record<string, unknown> };
      const metrics = join(MODELS_DIR, f.replace(/\.json$/, ".metrics.json"));
      const dataset = typeof m.metadata?.dataset === "string" ? m.metadata.dataset.split(/[ (]/)[0]! : null;
      const acc = m.metadata?.int8TestAccuracy;
      return {
        name: m.name ?? f.replace(/\.json$/, ""),
        path,
        description: m.description ?? null,
        dataset,
        int8TestAccuracy: typeof acc === "number" ? acc : null,
        metricsPath: existsSync(metrics) ? metrics : null,
      };
    });
}

/** The path of the bundled model called `name`, or undefined. */
export function bundledModelPath(name: string): string | undefined {
  const path = join(MODELS_DIR, `${name}.json`);
  return !name.includes("/") && !name.includes("\\") && existsSync(path) ? path : undefined;
}
