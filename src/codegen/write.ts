import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import type { GeneratedModel } from "./generate.js";

/** Writes `<name>.c` and `<name>.h` into dir, each atomically; returns their paths. */
export function writeGenerated(dir: string, name: string, generated: GeneratedModel): { source: string; header: string } {
  const header = join(dir, `${name}.h`);
  const source = join(dir, `${name}.c`);
  writeFileAtomic(header, generated.header);
  writeFileAtomic(source, generated.source);
  return { source, header };
}
