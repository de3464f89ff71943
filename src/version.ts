import { readFileSync } from "node:fs";

/** The package version, stamped into generated files and reports. */
export const STRONGNET_VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;
