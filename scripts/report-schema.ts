/** Writes docs/report.schema.json, the JSON Schema of `strongnet report --json`, from the zod schema. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { reportJsonSchema } from "../src/report/schema.js";

const path = join(import.meta.dirname, "..", "docs", "report.schema.json");
writeFileSync(path, JSON.stringify(reportJsonSchema(), null, 2) + "\n");
console.log(`wrote ${path}`);
