/**
 * Reads one CMSIS-NN unit-test data folder (Tests/UnitTest/TestCases/TestData/<case>): every
 * `#define NAME value` and every `const <type> name[N] = { ... };` array of the headers the
 * folder's test_data.h includes (or of every header, without a test_data.h). Pointer aliases
 * (`const int32_t *const a = b;`) resolve to b's values and `= NULL` pointers are recorded as
 * absent, so `array("biases")` is undefined for a case without a bias.
 *
 * Names are looked up without the case prefix: `define("OUT_CH")` reads `CONV_2_OUT_CH` in the
 * folder conv_2, `array("weights")` reads `conv_2_weights`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

export interface CmsisTestData {
  /** the folder's name, e.g. "conv_2" */
  name: string;
  /** every #define, by its full name; the value as written (a number, or a word such as SAME) */
  defines: Map<string, string>;
  /** every array by its full name; null for a NULL pointer */
  arrays: Map<string, number[] | null>;
  /** the headers read, in include order */
  files: string[];
  /** the #define NAME_<name> as a number; throws if it is missing or not a number */
  define(name: string): number;
  /** the #define NAME_<name> as written, or undefined */
  word(name: string): string | undefined;
  /** the array name_<name>; undefined if it is missing or NULL */
  array(name: string): number[] | undefined;
}

const ARRAY = /const\s+(u?int(?:8|16|32|64)_t)\s+(\w+)\s*\[\s*(\d+)\s*\]\s*=\s*\{([^}]*)\}\s*;/g;
const POINTER = /const\s+u?int(?:8|16|32|64)_t\s*\*\s*(?:const\s+)?(\w+)\s*=\s*(\w+)\s*;/g;
const DEFINE = /^[ \t]*#define[ \t]+(\w+)[ \t]+([^\n]*?)[ \t]*$/gm;

const RANGES: Record<string, [bigint, bigint]> = {
  int8_t: [-(2n ** 7n), 2n ** 7n - 1n],
  int16_t: [-(2n ** 15n), 2n ** 15n - 1n],
  int32_t: [-(2n ** 31n), 2n ** 31n - 1n],
  int64_t: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8_t: [0n, 2n ** 8n - 1n],
  uint16_t: [0n, 2n ** 16n - 1n],
  uint32_t: [0n, 2n ** 32n - 1n],
  uint64_t: [0n, 2n ** 64n - 1n],
};

/** The headers test_data.h includes, or every .h in the folder. */
function headersOf(dir: string): string[] {
  const testData = join(dir, "test_data.h");
  if (!existsSync(testData)) return readdirSync(dir).filter((f) => f.endsWith(".h")).sort();
  return Array.from(readFileSync(testData, "utf8").matchAll(/^#include\s+"([^"]+)"/gm), (m) => m[1]!);
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
}

export function readCmsisTestData(dir: string): CmsisTestData {
  const name = basename(dir);
  const defines = new Map<string, string>();
  const arrays = new Map<string, number[] | null>();
  const aliases = new Map<string, string>();
  const files = headersOf(dir);
  const seen = new Set<string>();
  const set = <T>(map: Map<string, T>, key: string, value: T, file: string) => {
    if (seen.has(key)) throw new Error(`${name}/${file}: ${key} is defined twice`);
    seen.add(key);
    map.set(key, value);
  };
  for (const file of files) {
    const text = stripComments(readFileSync(join(dir, file), "utf8"));
    for (const m of text.matchAll(DEFINE)) set(defines, m[1]!, m[2]!, file);
    for (const m of text.matchAll(ARRAY)) {
      const [lo, hi] = RANGES[m[1]!]!;
      const values = m[4]!
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "")
        .map((s) => {
          if (!/^-?\d+$/.test(s)) throw new Error(`${name}/${file}: ${m[2]} holds ${JSON.stringify(s)}, not an integer`);
          const v = BigInt(s);
          if (v < lo || v > hi) throw new Error(`${name}/${file}: ${m[2]} holds ${s}, outside ${m[1]}`);
          return Number(v);
        });
      if (values.length !== Number(m[3])) throw new Error(`${name}/${file}: ${m[2]} has ${values.length} values, declared ${m[3]}`);
      set(arrays, m[2]!, values, file);
    }
    for (const m of text.matchAll(POINTER)) {
      if (m[2] === "NULL") set(arrays, m[1]!, null, file);
      else set(aliases, m[1]!, m[2]!, file);
    }
  }
  for (const [alias, target] of aliases) {
    if (!arrays.has(target)) throw new Error(`${name}: ${alias} points to ${target}, which is not an array of the folder`);
    arrays.set(alias, arrays.get(target)!);
  }

  const definePrefix = `${name.toUpperCase()}_`;
  const arrayPrefix = `${name}_`;
  return {
    name,
    defines,
    arrays,
    files,
    define(field) {
      const raw = defines.get(definePrefix + field);
      if (raw === undefined) throw new Error(`${name}: no #define ${definePrefix}${field}`);
      if (!/^-?\d+$/.test(raw)) throw new Error(`${name}: #define ${definePrefix}${field} is ${raw}, not a number`);
      return Number(raw);
    },
    word: (field) => defines.get(definePrefix + field),
    array: (field) => arrays.get(arrayPrefix + field) ?? undefined,
  };
}
