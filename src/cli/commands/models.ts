import type { Command } from "commander";
import { bundledModels, DEMO_MODEL_NAME, MODELS_DIR } from "../../models/bundled.js";
import { printJson } from "../output.js";
import { printTable } from "./boards.js";

export function registerModels(program: Command): void {
  program
    .command("models")
    .description("list the models bundled with strongnet and where they are (give the path to compile, verify, report, ...)")
    .option("--json", "print the list as JSON")
    .action((opts: { json?: boolean }) => {
      const models = bundledModels();
      if (opts.json) return printJson(models.map((m) => ({ ...m, demo: m.name === DEMO_MODEL_NAME })));
      printTable(
        ["model", "data set", "int8 test accuracy", "path"],
        models.map((m) => [
          m.name + (m.name === DEMO_MODEL_NAME ? " *" : ""),
          m.dataset ?? "-",
          m.int8TestAccuracy === null ? "-" : `${m.int8TestAccuracy.toFixed(2)} %`,
          m.path,
        ]),
      );
      console.log(`\n* the demo's model. Descriptions and measured figures: ${MODELS_DIR}/README.md`);
    });
}
