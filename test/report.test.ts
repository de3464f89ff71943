/**
 * The report's pieces that need no emulator: budget values and files, budget verdicts, the
 * renderers (terminal, Markdown, HTML, JUnit) on a recorded report, the static stack analysis,
 * the linker-map parser, the JSON schema document, and the CLI's refusals of bad budgets.
 * The fixture test/fixtures/report/wide_arena.report.json is the --json output of
 *   strongnet report wide_arena.json --boards all --max-flash 512 --max-ram 64K --max-latency-us 20ms
 * for the model of test/helpers/report-models.ts (fits 5 boards, not bbc-microbit-v1; arduino-zero
 * is unmeasured because its QEMU machine has half its RAM).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadBoards } from "../src/firmware/boards.js";
import { checkBudget, limitsFor, loadBudgetFile, resolveBudget } from "../src/report/budget.js";
import { estimateLatency, CYCLE_MODEL } from "../src/report/cycle-model.js";
import { parseLinkerMap, type FunctionCode } from "../src/report/elf.js";
import { renderJUnit, reportJUnit, verifyJUnit, xmlEscape } from "../src/report/junit.js";
import { renderHtml } from "../src/report/render-html.js";
import { renderMarkdown } from "../src/report/render-markdown.js";
import { renderText } from "../src/report/render-text.js";
import { failureLines } from "../src/report/report.js";
import { ReportSchema, reportJsonSchema, type Report } from "../src/report/schema.js";
import { analyseStack, exceptionFrameBytes, parseStackUsage } from "../src/report/stack.js";
import { parseMicroseconds, parseSize } from "../src/report/units.js";
import { wideArenaModel, writeModel } from "./helpers/report-models.js";
import type { VerifyReport } from "../src/verify/verify.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURE = join(ROOT, "test", "fixtures", "report", "wide_arena.report.json");
const fixture = (): Report => ReportSchema.parse(JSON.parse(readFileSync(FIXTURE, "utf8")));
const boardNames = loadBoards().map((b) => b.name);
const tmp = () => mkdtempSync(join(tmpdir(), "strongnet-report-test-"));

function runCli(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [join(ROOT, "bin", "strongnet.js"), ...args], { cwd, encoding: "utf8" });
}

describe("budget values", () => {
  it("sizes: bytes and binary K/M suffixes", () => {
    expect(parseSize("65536", "x")).toBe(65536);
    expect(parseSize("64K", "x")).toBe(65536);
    expect(parseSize("64kb", "x")).toBe(65536);
    expect(parseSize("64KiB", "x")).toBe(65536);
    expect(parseSize("1M", "x")).toBe(1048576);
    expect(parseSize("1.5M", "x")).toBe(1572864);
    expect(parseSize("512B", "x")).toBe(512);
    expect(parseSize(4096, "x")).toBe(4096);
  });

  it("sizes: a clear error naming the option", () => {
    expect(() => parseSize("64Q", "--max-flash")).toThrow('--max-flash: "64Q" is not a size; write bytes or a K/M suffix (binary), e.g. 65536, 64K, 1.5M');
    expect(() => parseSize("", "--max-ram")).toThrow("--max-ram");
    expect(() => parseSize("0", "--max-ram")).toThrow("must be more than 0 bytes");
    expect(() => parseSize("1.3K", "--max-ram")).toThrow("not a whole number of bytes");
    expect(() => parseSize("-4K", "--max-ram")).toThrow("is not a size");
  });

  it("durations: microseconds by default, us/µs/ms/s suffixes", () => {
    expect(parseMicroseconds("250", "x")).toBe(250);
    expect(parseMicroseconds("250us", "x")).toBe(250);
    expect(parseMicroseconds("250µs", "x")).toBe(250);
    expect(parseMicroseconds("1.5ms", "x")).toBe(1500);
    expect(parseMicroseconds("0.002s", "x")).toBe(2000);
    expect(() => parseMicroseconds("fast", "--max-latency-us")).toThrow('--max-latency-us: "fast" is not a duration; write microseconds or a us/ms/s suffix, e.g. 250, 250us, 1.5ms');
    expect(() => parseMicroseconds("5min", "--max-latency-us")).toThrow("is not a duration");
  });
});

describe("budget file", () => {
  const write = (content: unknown) => {
    const path = join(tmp(), "strongnet.budget.json");
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    return path;
  };

  it("reads limits with units, per-board overrides; flags win over the file", () => {
    const path = write({ maxFlash: "64K", maxRam: 16384, maxLatencyUs: "5ms", boards: { "bbc-microbit-v1": { maxLatencyUs: "50ms" } } });
    expect(loadBudgetFile(path, boardNames)).toEqual({ primary: { maxFlash: 65536, maxRam: 16384, maxLatencyUs: 5000 }, boards: { "bbc-microbit-v1": { maxLatencyUs: 50000 } } });
    const budget = resolveBudget({ budget: path, maxFlash: "32K" }, boardNames);
    expect(budget.source).toBe(`${path} + flags`);
    expect(limitsFor(budget, "nucleo-f411re", true)).toEqual({ maxFlash: 32768, maxRam: 16384, maxLatencyUs: 5000 });
    expect(limitsFor(budget, "bbc-microbit-v1", false)).toEqual({ maxLatencyUs: 50000 });
    expect(limitsFor(budget, "bbc-microbit-v1", true)).toEqual({ maxFlash: 32768, maxRam: 16384, maxLatencyUs: 50000 });
  });

  it("./strongnet.budget.json is read when present; nothing set means no source", () => {
    const dir = tmp();
    expect(resolveBudget({}, boardNames, dir)).toEqual({ source: null, primary: {}, boards: {} });
    writeFileSync(join(dir, "strongnet.budget.json"), JSON.stringify({ maxRam: "8K" }));
    expect(resolveBudget({}, boardNames, dir)).toMatchObject({ source: `${dir}/strongnet.budget.json`, primary: { maxRam: 8192 } });
  });

  it("errors name the file and the field", () => {
    expect(() => loadBudgetFile(write({ maxFlash: "64Q" }), boardNames)).toThrow(/strongnet\.budget\.json: maxFlash: "64Q" is not a size/);
    expect(() => loadBudgetFile(write({ boards: { "nucleo-f411re": { maxLatencyUs: "soon" } } }), boardNames)).toThrow(/boards\.nucleo-f411re\.maxLatencyUs: "soon" is not a duration/);
    expect(() => loadBudgetFile(write({ maxFlsh: "64K" }), boardNames)).toThrow(/\(top level\): unknown field "maxFlsh" \(allowed: maxFlash, maxRam, maxLatencyUs, boards\)/);
    expect(() => loadBudgetFile(write({ boards: { "nucleo-f411re": { maxStack: 1 } } }), boardNames)).toThrow(/boards\.nucleo-f411re: unknown field "maxStack"/);
    expect(() => loadBudgetFile(write({ boards: { "nucleo-f412": {} } }), boardNames)).toThrow(/boards\.nucleo-f412: unknown board \(known: alif-e7-devkit, arduino-due/);
    expect(() => loadBudgetFile(write("{ maxFlash: 1 }"), boardNames)).toThrow(/strongnet\.budget\.json: not valid JSON/);
    expect(() => loadBudgetFile(write({ maxRam: true }), boardNames)).toThrow(/maxRam: /);
  });
});

describe("budget verdicts", () => {
  it("names what went over and by how much; within budget gives nothing", () => {
    const p = fixture().primary!;
    const flash = p.fit.flash.used;
    const ram = p.fit.ram.used;
    const lat = p.latency.microseconds;
    expect(checkBudget({ maxFlash: flash, maxRam: ram, maxLatencyUs: lat }, p)).toEqual([]);
    const v = checkBudget({ maxFlash: flash - 100, maxRam: ram - 1, maxLatencyUs: lat / 2 }, p);
    expect(v.map((x) => [x.resource, x.over])).toEqual([
      ["flash", 100],
      ["ram", 1],
      ["latency", lat / 2],
    ]);
    expect(v[0]!.message).toBe(
      `flash on nucleo-f411re: ${flash} B (model code + weights + LUTs) is over the budget of ${flash - 100} B (${flash - 100} B) by 100 B (${((100 * 100) / (flash - 100)).toFixed(1)}%)`,
    );
    expect(v[1]!.message).toContain(`RAM on nucleo-f411re: ${ram} B (arena + static data + stack bound) is over the budget of ${ram - 1} B`);
    expect(v[2]!.message).toMatch(/^latency on nucleo-f411re: .* \(estimate: \d+ instructions x 1\.3 CPI at 100 MHz\) is over the budget of .* by .* \(100\.0%\)$/);
  });

  it("the recorded report failed on flash only, and says so", () => {
    const r = fixture();
    expect(r.passed).toBe(false);
    expect(failureLines(r)).toEqual([`over budget: ${r.budget.violations[0]!.message}`]);
    expect(r.budget.violations[0]).toMatchObject({ resource: "flash", limit: 512, over: r.primary!.fit.flash.used - 512 });
  });
});

describe("cycle model", () => {
  it("every core has a CPI inside its range; latency = instructions x CPI / clock, marked as an estimate", () => {
    for (const m of Object.values(CYCLE_MODEL)) expect(m.low <= m.cpi && m.cpi <= m.high).toBe(true);
    const e = estimateLatency(1_000_000, { core: "cortex-m4", clockHz: 100_000_000 });
    expect(e).toMatchObject({ estimate: true, microseconds: 13_000, cycles: 1_300_000, rangeMicroseconds: [11_000, 18_000] });
    expect(e.method).toMatch(/^estimate: /);
  });
});

describe("renderers", () => {
  it("terminal: every figure with how it was obtained, the layer table, the board fit and the budget", () => {
    const r = fixture();
    const text = renderText(r);
    for (const label of ["[measured: ELF linker map + disassembly]", "[measured: QEMU -icount, deterministic]", "ESTIMATE", "[plan]", "painted peak", "static bound", "gcc -fstack-usage"]) {
      expect(text).toContain(label);
    }
    for (const l of r.primary!.layers) expect(text).toMatch(new RegExp(`\\n\\s+${l.index}\\s+${l.id}\\s+${l.kind}\\s+${l.outputShape.join("x")}`));
    expect(text).toMatch(/bbc-microbit-v1 .*DOES NOT FIT: RAM over by 2816 B/);
    expect(text).toMatch(/arduino-zero .*fits by the plan, not measured/);
    expect(text).toContain(`nucleo-f411re: flash <= 512 B: ${r.primary!.fit.flash.used} B OVER by ${r.primary!.fit.flash.used - 512} B`);
    expect(text).toContain("result        FAIL");
  });

  it("Markdown: GitHub tables with the same figures", () => {
    const md = renderMarkdown(fixture());
    expect(md).toMatch(/^# strongnet report: wide_arena on nucleo-f411re/);
    expect(md).toContain("| # | layer | kind | output | params B | LUT B | ops | instructions | share |");
    expect(md).toContain("| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
    expect(md).toContain("**estimate**");
    expect(md).toContain("## Boards");
    expect(md).toContain("- **over budget**: flash on nucleo-f411re");
  });

  it("HTML: self-contained (no external resource, no executable script), five SVG plots, the JSON embedded", () => {
    const r = fixture();
    const html = renderHtml(r);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b|@import|url\(/i);
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual(['<script type="application/json" id="strongnet-report">']);
    for (const id of ["chart-flash", "chart-layer-ops", "chart-layer-instructions", "chart-layer-memory", "chart-board-fit"]) expect(html).toContain(`data-chart="${id}"`);
    const embedded = /<script type="application\/json" id="strongnet-report">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(ReportSchema.parse(JSON.parse(embedded))).toEqual(r);
  });

  it("HTML escapes names", () => {
    const r = fixture();
    r.primary!.layers[0]!.id = `<img src=x onerror="alert(1)">`;
    const html = renderHtml(r);
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });
});

describe("JUnit XML", () => {
  const verifyReport = (): VerifyReport => ({
    model: { name: "m", sha256: "ab".repeat(32) },
    sources: "generated",
    build: { compiler: "arm-none-eabi-gcc 12.2.1", cflags: ["-mcpu=cortex-m4", "-O2"], arena: "static" },
    board: { name: "nucleo-f411re", core: "cortex-m4", clockHz: 100e6, qemuMachine: "mps2-an386", qemuCpu: "cortex-m4", flashBytes: 524288, ramBytes: 131072 },
    vectors: { total: 3, dataset: "mnist", datasetSamples: 1, edge: 1, random: 1 },
    passed: false,
    mismatchedVectors: 1,
    vectorResults: [
      { source: "mnist test image 0", passed: true },
      { source: "all -128", passed: false },
      { source: "random #0 (seed 1)", passed: true },
    ],
    layers: [
      { index: 0, id: "a&b", kind: "lut", mismatchedVectors: 1 },
      { index: 1, id: "out", kind: "argmax", mismatchedVectors: 0 },
    ],
    firstMismatch: { vector: 1, source: "all -128", layer: { index: 0, id: "a&b", kind: "lut" }, index: 5, expected: 3, got: -4, image: "trace" },
    instructions: { min: 10, mean: 11, max: 12, perVector: [10, 11, 12] },
    image: { flashBytes: 1000, ramBytes: 100, text: 996, data: 4, bss: 96 },
    plan: { constBytes: 256, tableBytes: 256, arenaBytes: 0, ops: { lookups: 1, minmax: 0, macs: 0, requants: 0, compares: 0, total: 1 } },
    stack: { usedBytes: 100, availableBytes: 2000 },
    accuracy: null,
  });

  it("verify: one test case per check (fit, each vector, each layer, stack), failures with the first mismatch", () => {
    const xml = renderJUnit([verifyJUnit(verifyReport(), 1.5)]);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="strongnet" tests="7" failures="2" errors="0" skipped="0" time="1.500">/);
    expect(xml).toContain('<testsuite name="strongnet.verify.m.nucleo-f411re" tests="7" failures="2"');
    expect(xml).toContain('<testcase classname="m.nucleo-f411re.vectors" name="vector 0: mnist test image 0" time="0.000"/>');
    expect(xml).toContain(
      '<failure message="first mismatch: vector 1 (all -128), layer 0 &quot;a&amp;b&quot; (lut), byte 5: expected 3, got -4 (trace image)" type="mismatch">',
    );
    expect(xml).toContain('name="layer 0 a&amp;b (lut) bit-exact on 3 vectors"');
    expect(xml).toContain('<failure message="1 of 3 vectors differ at this layer; first: vector 1');
    expect(xml).toContain('<testcase classname="m.nucleo-f411re.layers" name="layer 1 out (argmax) bit-exact on 3 vectors" time="0.000"/>');
    expect(xml).toContain('classname="m.nucleo-f411re.stack" name="stack peak 100 B within the 2000 B left for the stack (painted, measured in QEMU)"');
    // well-formed: every opened element is closed
    const open = (tag: string) => (xml.match(new RegExp(`<${tag}[ >]`, "g")) ?? []).length;
    const closed = (tag: string) => (xml.match(new RegExp(`</${tag}>|<${tag}[^>]*/>`, "g")) ?? []).length;
    for (const tag of ["testsuites", "testsuite", "testcase", "failure", "properties", "property"]) expect(closed(tag), tag).toBe(open(tag));
  });

  it("report: per board the fit and each budget", () => {
    const xml = renderJUnit(reportJUnit(fixture()), "strongnet report");
    expect(xml).toContain('<testsuite name="strongnet.report.wide_arena.bbc-microbit-v1" tests="1" failures="1"');
    expect(xml).toMatch(/<testcase classname="wide_arena\.nucleo-f411re\.budget" name="flash within 512 B" time="0.000">\n\s+<failure message="flash on nucleo-f411re: /);
    expect(xml).toContain('<testcase classname="wide_arena.nucleo-f411re.budget" name="ram within 65536 B" time="0.000"/>');
    expect(xml).toContain('<testcase classname="wide_arena.nucleo-f411re.verify" name="bit-exact on 10 vectors" time="0.000"/>');
  });

  it("escapes XML and drops characters XML cannot carry", () => {
    expect(xmlEscape(`a<b>&"c'\u0001`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
  });
});

describe("static stack bound", () => {
  const fn = (name: string, calls: string[], pushedBytes = 0, indirectCalls = 0): [string, FunctionCode] => [name, { name, address: 0, size: 4, calls, indirectCalls, pushedBytes }];

  it("-fstack-usage frames (else the disassembly's pushes) along the deepest path", () => {
    const su = parseStackUsage("/w/h.c:1:5:main\t72\tstatic\n/w/m.c:9:6:m_predict\t104\tstatic\n/w/h.c:3:13:sn_putu.part.0\t40\tstatic\n");
    expect(su).toEqual([
      { file: "/w/h.c", function: "main", bytes: 72, qualifier: "static" },
      { file: "/w/m.c", function: "m_predict", bytes: 104, qualifier: "static" },
      { file: "/w/h.c", function: "sn_putu.part.0", bytes: 40, qualifier: "static" },
    ]);
    const funcs = new Map([fn("reset", ["main"], 8), fn("main", ["m_predict", "sn_putu.part.0"]), fn("m_predict", ["__aeabi_lmul"]), fn("sn_putu.part.0", []), fn("__aeabi_lmul", [], 12)]);
    const a = analyseStack(funcs, [...su, { file: "s.c", function: "reset", bytes: 16, qualifier: "static" }]);
    const b = a.bound("reset");
    expect(b.bytes).toBe(16 + 72 + 104 + 12);
    expect(b.path.map((f) => [f.name, f.bytes, f.source])).toEqual([
      ["reset", 16, "stack-usage"],
      ["main", 72, "stack-usage"],
      ["m_predict", 104, "stack-usage"],
      ["__aeabi_lmul", 12, "disassembly"],
    ]);
    expect(b.complete).toBe(true);
  });

  it("a naked function's 0-byte .su entry gives way to its own pushes (the active-inputs kernel's assembly)", () => {
    const funcs = new Map([fn("m_predict", ["sn_dense_active8"]), fn("sn_dense_active8", [], 44)]);
    const su = parseStackUsage("/w/m.c:1:6:m_predict\t96\tstatic\n/w/m.c:50:13:sn_dense_active8\t0\tstatic\n");
    const b = analyseStack(funcs, su).bound("m_predict");
    expect(b.bytes).toBe(96 + 44);
    expect(b.path.map((f) => [f.name, f.bytes, f.source])).toEqual([
      ["m_predict", 96, "stack-usage"],
      ["sn_dense_active8", 44, "disassembly"],
    ]);
  });

  it("recursion, indirect calls and dynamic frames make the bound incomplete, with the reason", () => {
    const funcs = new Map([fn("a", ["b"]), fn("b", ["a"]), fn("c", [], 0, 1), fn("d", [])]);
    const a = analyseStack(funcs, [{ file: "x.c", function: "d", bytes: 8, qualifier: "dynamic" }]);
    expect(a.bound("a")).toMatchObject({ complete: false, problems: ["recursion through a: the stack has no static bound"] });
    expect(a.bound("c").problems).toEqual(["c calls through a register (1x): those callees are not counted"]);
    expect(a.bound("d").problems).toEqual(["d has a dynamic frame (-fstack-usage)"]);
  });

  it("an exception entry: 8 words, 26 with the FPU context, plus alignment", () => {
    expect(exceptionFrameBytes(false)).toBe(36);
    expect(exceptionFrameBytes(true)).toBe(108);
  });
});

describe("linker map", () => {
  it("input sections by object, names and numbers on one or two lines, fill, load addresses", () => {
    const map = `Archive member included ...
Linker script and memory map

LOAD /tmp/a.o

.text           0x00000000      0x120
 *(.vectors)
 .vectors       0x00000000       0x40 /tmp/a.o
 .text.m_predict
                0x00000040       0x80 /tmp/m.o
                0x00000040                m_predict
 .text          0x000000c0       0x20 /usr/lib/libc_nano.a(lib_a-memset.o)
 *fill*         0x000000e0        0x4 
 .rodata.sn_tables
                0x000000e4       0x3c /tmp/m.o

.data           0x20000000        0x4 load address 0x00000120
 .data.x        0x20000000        0x4 /tmp/a.o

.bss            0x20000004      0x100
 .bss.sn_arena  0x20000004      0x100 /tmp/m.o
`;
    const m = parseLinkerMap(map);
    expect(m.outputs).toEqual([
      { name: ".text", address: 0, size: 0x120 },
      { name: ".data", address: 0x20000000, size: 4, loadAddress: 0x120 },
      { name: ".bss", address: 0x20000004, size: 0x100 },
    ]);
    expect(m.sections.map((s) => [s.output, s.name, s.size, s.object])).toEqual([
      [".text", ".vectors", 0x40, "/tmp/a.o"],
      [".text", ".text.m_predict", 0x80, "/tmp/m.o"],
      [".text", ".text", 0x20, "/usr/lib/libc_nano.a(lib_a-memset.o)"],
      [".text", "*fill*", 4, ""],
      [".text", ".rodata.sn_tables", 0x3c, "/tmp/m.o"],
      [".data", ".data.x", 4, "/tmp/a.o"],
      [".bss", ".bss.sn_arena", 0x100, "/tmp/m.o"],
    ]);
  });
});

describe("JSON schema", () => {
  it("docs/report.schema.json is the zod schema's JSON Schema (regenerate: npx tsx scripts/report-schema.ts)", () => {
    const doc = JSON.parse(readFileSync(join(ROOT, "docs", "report.schema.json"), "utf8"));
    expect(doc).toEqual(JSON.parse(JSON.stringify(reportJsonSchema())));
  });
});

describe("docs/github-actions.yml", () => {
  it("every strongnet command in the workflow uses options the command has", () => {
    const yml = readFileSync(join(ROOT, "docs", "github-actions.yml"), "utf8").replace(/\\\n\s*/g, " ");
    const commands = [...yml.matchAll(/node bin\/strongnet\.js (\w+) ([^\n]*)/g)].map((m) => ({ name: m[1]!, args: m[2]! }));
    expect(commands.map((c) => c.name)).toEqual(["verify", "report"]);
    for (const c of commands) {
      const help = runCli([c.name, "--help"]).stdout;
      for (const flag of c.args.match(/--[a-z][a-z-]*/g) ?? []) expect(help, `${c.name} ${flag}`).toContain(flag);
    }
    expect(commands[1]!.args).toMatch(/--max-flash \S+ --max-ram \S+ --max-latency-us \S+/);
    expect(commands[0]!.args).toContain("--junit");
  });
});

describe("strongnet report and verify: refusals before anything is built", () => {
  const model = join(ROOT, "models", "mnist_demo.json");

  it("a bad --max-flash / --max-latency-us names the option and the value", () => {
    let r = runCli(["report", model, "--max-flash", "64Q"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe('strongnet: --max-flash: "64Q" is not a size; write bytes or a K/M suffix (binary), e.g. 65536, 64K, 1.5M\n');
    r = runCli(["report", model, "--max-latency-us", "soon"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('--max-latency-us: "soon" is not a duration');
  });

  it("a bad strongnet.budget.json in the working directory names the file and field", () => {
    const dir = tmp();
    writeFileSync(join(dir, "strongnet.budget.json"), JSON.stringify({ boards: { "nucleo-f411re": { maxRam: "lots" } } }));
    const r = runCli(["report", model], dir);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`strongnet: ${dir}/strongnet.budget.json: boards.nucleo-f411re.maxRam: "lots" is not a size; write bytes or a K/M suffix (binary), e.g. 65536, 64K, 1.5M\n`);
  });

  it("verify --junit on a model over the board: exit 1 and a failed fit test case (nothing built)", () => {
    const dir = tmp();
    const file = join(dir, "verify.xml");
    const r = runCli(["verify", writeModel(wideArenaModel(), dir), "--board", "bbc-microbit-v1", "--junit", file]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe("strongnet: does not fit: activation arena needs 19200 bytes of RAM, board bbc-microbit-v1 has 16384 (over by 2816)\n");
    const xml = readFileSync(file, "utf8");
    expect(xml).toContain('<testsuite name="strongnet.verify.wide_arena.bbc-microbit-v1" tests="1" failures="1" errors="0" skipped="0">');
    expect(xml).toContain('<failure message="activation arena needs 19200 bytes of RAM, board bbc-microbit-v1 has 16384 (over by 2816)" type="budget">');
  });

  it("a missing --budget file, an unknown board in --boards", () => {
    let r = runCli(["report", model, "--budget", "/nonexistent/budget.json"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("--budget /nonexistent/budget.json: no such file");
    r = runCli(["report", model, "--boards", "nucleo-f411re,nosuch-board"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("nosuch-board");
  });
});
