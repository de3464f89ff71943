/**
 * The C runtime: the helpers generated layers call (requantization, padded reads, table lookups,
 * literal codes, the strong-neuron group loop) are plain C files in c-templates/runtime/ that
 * compile and are unit-tested on their own (test/c-runtime.test.ts).
 *
 * The generated `<name>.c` stays self-contained: their text is pasted into it, and only the
 * pieces its code actually uses (found by name in the rendered layers and arrays, and in the
 * pieces those use), so no helper or macro is ever unused. `#include <stdint.h>` and the includes of
 * other runtime files, there only so a runtime file compiles on its own, are dropped when pasting
 * (`<name>.h` includes <stdint.h>; required pieces are pasted first); other includes
 * (<arm_acle.h> under #if SN_DSP) stay.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const RUNTIME_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "c-templates", "runtime");

/** The runtime files, in the order they are pasted, each with the name that marks a use. */
export const RUNTIME_PIECES: readonly { file: string; name: string }[] = [
  { file: "mve.h", name: "SN_MVE" },
  { file: "mve_in_order.h", name: "SN_MVE_IN_ORDER" },
  { file: "lookup.h", name: "SN_LOOKUP" },
  { file: "code.h", name: "SN_CODE" },
  { file: "lookup_input.h", name: "SN_LOOKUP_INPUT" },
  { file: "lookup_code.h", name: "SN_LOOKUP_CODE" },
  { file: "strong_groups.h", name: "SN_STRONG_GROUPS" },
  { file: "strong_fixed.h", name: "SN_STRONG_GROUP" },
  { file: "load_word.h", name: "sn_load_word" },
  { file: "sxtb16.h", name: "sn_int8x4" },
  { file: "requantize.c", name: "sn_requantize" },
  { file: "requantize_double_right.c", name: "sn_requantize_double_right" },
  { file: "requantize_double.c", name: "sn_requantize_double" },
  { file: "requantize_double_x4.c", name: "sn_requantize_double_x4" },
  { file: "requantize_single_x4.c", name: "sn_requantize_single_x4" },
  { file: "clamp.c", name: "sn_clamp" },
  { file: "read_padded.c", name: "sn_read_padded" },
  { file: "simd_s8.c", name: "sn_load_s8x4" },
  { file: "smlad_s8.c", name: "sn_smlad" },
  { file: "column_s8.c", name: "sn_columns_s8" },
  { file: "dot_s8_2x2.c", name: "sn_dot_s8_2x2" },
  { file: "dot_s8_1x2.c", name: "sn_dot_s8_1x2" },
  { file: "dot_s8_filters.c", name: "sn_dot_s8_filters" },
  { file: "mac_halves_s8.c", name: "sn_mac_s8x4" },
  { file: "fixed_point.c", name: "sn_fp_mul" },
  { file: "dsp.h", name: "SN_DSP" },
  { file: "dense_block.c", name: "sn_dense_block4" },
  { file: "dense_active.c", name: "sn_dense_active8" },
];

/** The text of a runtime file as pasted into a model: without `#include <stdint.h>` or `#include "piece"`. */
export function runtimeText(file: string): string {
  const text = readFileSync(join(RUNTIME_DIR, file), "utf8");
  return text
    .split("\n")
    .filter((line) => !/^#include\s*(<stdint\.h>|")/.test(line))
    .join("\n")
    .trim();
}

/**
 * The runtime text a model's code needs, ready to paste into `<name>.c` ("" when none): the
 * pieces whose name its C (comments aside) mentions.
 */
export function runtimeFor(code: string): string {
  return piecesFor(code)
    .map((p) => runtimeText(p.file))
    .join("\n\n");
}

/**
 * The standard headers the layers' own code needs at the top of `<name>.c`: <string.h> when it
 * copies with memcpy / memset. (Pasted pieces keep their own includes in place.)
 */
export function runtimeHeaders(code: string): string[] {
  return /\bmem(cpy|set)\s*\(/.test(code.replace(/\/\*[\s\S]*?\*\//g, " ")) ? ["string.h"] : [];
}

/** The pieces `code` names (comments aside), and the pieces those name, in pasting order. */
function piecesFor(code: string): (typeof RUNTIME_PIECES)[number][] {
  const uses = (text: string, p: { name: string }) => new RegExp(`\\b${p.name}\\b`).test(text.replace(/\/\*[\s\S]*?\*\//g, " "));
  const chosen = new Set(RUNTIME_PIECES.filter((p) => uses(code, p)));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of RUNTIME_PIECES) {
      if (!chosen.has(p) && [...chosen].some((q) => uses(readFileSync(join(RUNTIME_DIR, q.file), "utf8"), p))) {
        chosen.add(p);
        grew = true;
      }
    }
  }
  return RUNTIME_PIECES.filter((p) => chosen.has(p));
}
