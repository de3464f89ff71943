/**
 * Section placement macros: the generated `<name>.c` puts SN_CONST_SECTION on every constant
 * array and SN_ARENA_SECTION on its static arena. Compiled with both defined (arm-none-eabi-gcc
 * for a Cortex-M4, and the host gcc), the object's symbol table (objdump -t) shows every one of
 * those symbols in the named sections and none left in .rodata / .bss / .data; empty by default.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC, type ArenaMode } from "../src/codegen/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph, loadGraph, type Graph } from "../src/ir/index.js";
import { CONV_CASES, convCaseModel } from "./helpers/conv-path-models.js";
import { STRICT_FLAGS } from "./helpers/host-c.js";

const ROOT = join(import.meta.dirname, "..");
const strong = loadGraph(join(ROOT, "models", "mnist_strong.json"));
const dense = loadGraph(join(ROOT, "models", "mnist_dense.json"));
const conv = buildGraph(parseModel({ ...convCaseModel(CONV_CASES[10]!, 3), name: "conv_sections" }));

const SECTION_FLAGS = ["-DSN_CONST_SECTION=__attribute__((section(\".sn_model_const\")))", "-DSN_ARENA_SECTION=__attribute__((section(\".sn_model_arena\")))"];

const hasArm = spawnSync("arm-none-eabi-gcc", ["--version"]).status === 0;

/** symbol -> section, for the data objects of an object file (objdump -t: flag O). */
function objectSections(objdump: string, object: string): Map<string, string> {
  const out = execFileSync(objdump, ["-t", object], { encoding: "utf8" });
  const map = new Map<string, string>();
  for (const line of out.split("\n")) {
    // 00000000 l     O .sn_model_const	00000200 sn_tables
    const m = /^[0-9a-f]+ .* O (\S+)\t[0-9a-f]+ (\S+)$/.exec(line);
    if (m) map.set(m[2]!, m[1]!);
  }
  return map;
}

/** The constant arrays the generated C defines: sn_tables and every `<layer>_<role>` array (class names aside). */
function constArrays(source: string): string[] {
  return [...new Set([...source.matchAll(/^static const (?:int8_t|uint8_t|int16_t|uint16_t|int32_t|uint32_t) (\w+)\[/gm)].map((m) => m[1]!))];
}

function build(compiler: string, flags: string[], g: Graph, arena: ArenaMode, extra: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "strongnet-sections-"));
  const { source, header } = generateC(g, undefined, {}, { arena });
  writeFileSync(join(dir, `${g.name}.c`), source);
  writeFileSync(join(dir, `${g.name}.h`), header);
  const object = join(dir, `${g.name}.o`);
  execFileSync(compiler, [...flags, ...STRICT_FLAGS, "-O2", "-fdata-sections", ...extra, "-c", join(dir, `${g.name}.c`), "-o", object], { stdio: ["ignore", "pipe", "pipe"] });
  return object;
}

const toolchains = [
  ...(hasArm ? [{ name: "arm-none-eabi-gcc (cortex-m4)", cc: "arm-none-eabi-gcc", objdump: "arm-none-eabi-objdump", flags: ["-mcpu=cortex-m4", "-mthumb"] }] : []),
  { name: "host gcc", cc: "gcc", objdump: "objdump", flags: [] as string[] },
];

describe.each(toolchains)("section macros with $name", ({ cc, objdump, flags }) => {
  it.each([strong, dense, conv].map((g) => [g.name, g] as [string, Graph]))("%s (static arena): every constant array in SN_CONST_SECTION, the arena in SN_ARENA_SECTION", (_n, g) => {
    const { source } = generateC(g);
    const arrays = constArrays(source);
    expect(arrays.length).toBeGreaterThan(1);
    const sections = objectSections(objdump, build(cc, flags, g, "static", SECTION_FLAGS));
    for (const a of arrays) {
      // gcc drops an array it could fold into the code; any that is emitted is in the section
      if (sections.has(a)) expect(sections.get(a), a).toBe(".sn_model_const");
    }
    expect([...sections.values()].filter((s) => s === ".sn_model_const").length).toBeGreaterThan(1);
    expect(sections.get("sn_arena")).toBe(".sn_model_arena");
    const elsewhere = [...sections].filter(([, s]) => /^\.(rodata|bss|data|sbss|sdata)/.test(s));
    expect(elsewhere).toEqual([]);
  });

  it("by default the constants are in .rodata and the arena in .bss", () => {
    const sections = objectSections(objdump, build(cc, flags, strong, "static", []));
    const constants = constArrays(generateC(strong).source).filter((a) => sections.has(a));
    expect(constants).toContain("classes_weights");
    for (const a of constants) expect(sections.get(a), a).toMatch(/^\.rodata/);
    expect(sections.get("sn_arena")).toMatch(/^\.bss/);
  });

  it("external arena: the constants in SN_CONST_SECTION; no arena, so SN_ARENA_SECTION is unused", () => {
    const sections = objectSections(objdump, build(cc, flags, conv, "external", SECTION_FLAGS));
    expect(sections.size).toBeGreaterThan(1);
    expect([...new Set(sections.values())]).toEqual([".sn_model_const"]);
  });
});
