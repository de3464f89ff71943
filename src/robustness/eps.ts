/** Parsing of eps lists, shared by the CLI and the benchmark. */
import { InvalidArgumentError } from "commander";

/** "1,2,4" -> [1, 2, 4]: integers 0..255 on the int8 pixel scale (E means ±E of 255). */
export function parseEpsList(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === "")) {
    throw new InvalidArgumentError(`--eps must be a comma-separated list of integers 0..255, got "${value}"`);
  }
  return parts.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || !Number.isInteger(n) || n > 255) {
      throw new InvalidArgumentError(
        `--eps: "${p}" is not an integer in 0..255; eps is in int8 pixel units (E means ±E of 255, e.g. --eps 8 for 8/255 ≈ 0.031)`,
      );
    }
    return n;
  });
}
