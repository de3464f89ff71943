/**
 * `strongnet report` against the toolchain and QEMU: the reported flash and RAM agree with the
 * ELF (arm-none-eabi-size, the model compiled alone, readelf), the static stack bound
 * (-fstack-usage) is an upper bound of the painted measurement on every core, budgets fail the
 * command naming what went over and by how much, --boards all shows a board the model does not
 * fit as a row, and `verify --junit` writes one test case per check.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import { parseModel } from "../src/format/load.js";
import { BASE_CFLAGS, getBoard } from "../src/firmware/index.js";
import { buildGraph } from "../src/ir/index.js";
import { measureBoard } from "../src/report/collect.js";
import { ReportSchema, type Report } from "../src/report/schema.js";
import { randomModel } from "../test/helpers/random-model.js";
import { strongDenseModel } from "../test/helpers/tiny-models.js";
import { wideArenaModel, writeModel } from "../test/helpers/report-models.js";

const ROOT = join(import.meta.dirname, "..");
const MNIST = join(ROOT, "models", "mnist_demo.json");
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `strongnet-${p}-`));

function runCli(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [join(ROOT, "bin", "strongnet.js"), ...args], { cwd, encoding: "utf8" });
}

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** arm-none-eabi-size -A: section name -> size. */
function sectionSizes(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of tool("arm-none-eabi-size", ["-A", "-d", file]).split("\n")) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+\s*$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

const sum = (m: Map<string, number>, pred: (name: string) => boolean) => [...m].filter(([k]) => pred(k)).reduce((s, [, v]) => s + v, 0);

describe("strongnet report on the bundled model (nucleo-f411re)", () => {
  const keep = tmp("report-keep");
  const out = tmp("report-out");
  const r = runCli([
    "report", MNIST, "--board", "nucleo-f411re", "--vectors", "6", "--keep", keep, "--json",
    "--max-flash", "1K", "--max-ram", "64K",
    "--junit", join(out, "report.xml"), "--html", join(out, "report.html"), "--markdown", join(out, "report.md"),
  ]);
  const dir = join(keep, "nucleo-f411re");

  it("over the flash budget: exit 1, naming what went over and by how much; the JSON follows the schema", () => {
    expect(r.status, r.stderr).toBe(1);
    const report: Report = ReportSchema.parse(JSON.parse(r.stdout));
    const used = report.primary!.fit.flash.used;
    expect(r.stderr).toBe(`strongnet: over budget: flash on nucleo-f411re: ${used} B (model code + weights + LUTs) is over the budget of 1024 B (1.0 KB) by ${used - 1024} B (${((100 * (used - 1024)) / 1024).toFixed(1)}%)\n`);
    expect(report.budget.violations.map((v) => v.resource)).toEqual(["flash"]);
    expect(report.primary!.verify.passed).toBe(true);
    const junit = readFileSync(join(out, "report.xml"), "utf8");
    expect(junit).toContain('name="flash within 1024 B"');
    expect(junit).toContain('<testcase classname="mnist_demo.nucleo-f411re.budget" name="ram within 65536 B" time="0.000"/>');
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain('data-chart="chart-board-fit"');
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain("| 0 | contours | strong_conv | 14x14x16 |");
  });

  it("flash and RAM agree with the ELF: image totals with arm-none-eabi-size, the model's parts with the model compiled alone", () => {
    const report = ReportSchema.parse(JSON.parse(r.stdout));
    const p = report.primary!;
    const elf = join(dir, "firmware-count.elf");
    const [text, data, bss] = tool("arm-none-eabi-size", ["-B", "-d", elf]).trim().split("\n")[1]!.trim().split(/\s+/).map(Number);
    expect(p.flash.image).toMatchObject({ text, data, total: text! + data! });
    expect(p.ram.image).toEqual({ data, bss, static: data! + bss! });
    expect(p.flash.image.model + p.flash.image.harness + p.flash.image.other).toBe(p.flash.image.total);
    expect(p.flash.image.other).toBeGreaterThanOrEqual(0);
    expect(p.flash.image.other).toBeLessThan(8);

    // the model's C compiled alone, with the same flags: its sections are the model's figures
    const board = getBoard("nucleo-f411re");
    const obj = join(dir, "model-alone.o");
    tool("arm-none-eabi-gcc", [...board.cflags, ...BASE_CFLAGS, "-c", join(dir, "mnist_demo.c"), "-o", obj]);
    const s = sectionSizes(obj);
    expect(p.flash.model.code).toBe(sum(s, (n) => n.startsWith(".text")));
    expect(p.flash.model.luts).toBe(s.get(".rodata.sn_tables"));
    expect(p.flash.model.weights).toBe(sum(s, (n) => n.startsWith(".rodata") && n !== ".rodata.sn_tables"));
    expect(p.flash.model.libraryCode).toBe(0);
    expect(p.ram.model.arena).toBe(s.get(".bss.sn_arena"));
    expect(p.ram.model.static).toBe(sum(s, (n) => (n.startsWith(".bss") || n.startsWith(".data")) && n !== ".bss.sn_arena"));
    // the arena is the planned one (word-aligned), and the per-layer params add up to the weights
    expect(p.ram.model.arena - p.ram.model.arenaPlanned).toBeGreaterThanOrEqual(0);
    expect(p.ram.model.arena - p.ram.model.arenaPlanned).toBeLessThan(4);
    expect(p.layers.reduce((n, l) => n + l.paramBytes, 0)).toBe(p.flash.model.weights);
    for (const l of p.layers) expect(l.paramBytes).toBe(l.paramBytesPlanned);
    // the symbol table says the same
    const symbols = tool("arm-none-eabi-readelf", ["-sW", elf]);
    expect(symbols).toMatch(new RegExp(`\\s${p.flash.model.luts}\\s+OBJECT\\s+LOCAL\\s+DEFAULT\\s+\\d+\\s+sn_tables\\n`));
    expect(symbols).toMatch(new RegExp(`\\s${p.ram.model.arena}\\s+OBJECT\\s+LOCAL\\s+DEFAULT\\s+\\d+\\s+sn_arena\\n`));
    // fit: the model's flash and RAM against the board
    expect(p.fit).toMatchObject({ fits: true, flash: { used: p.flash.model.total, available: board.flashBytes }, ram: { used: p.ram.model.total, available: board.ramBytes } });
  });

  it("stack: the -fstack-usage bound is complete and an upper bound of the painted measurement", () => {
    const p = ReportSchema.parse(JSON.parse(r.stdout)).primary!;
    expect(existsSync(join(dir, "firmware-count.elf-mnist_demo.su"))).toBe(true);
    expect(p.stack.static.image.complete).toBe(true);
    expect(p.stack.static.image.path.map((f) => f.name).slice(0, 2)).toEqual(["sn_reset_handler", "main"]);
    expect(p.stack.painted.usedBytes).toBeGreaterThan(0);
    expect(p.stack.static.image.bytes).toBeGreaterThanOrEqual(p.stack.painted.usedBytes);
    expect(p.stack.static.model.path[0]!.name).toBe("mnist_demo_predict");
    expect(p.ram.model.stack).toBe(p.stack.static.model.bytes);
  });

  it("per-layer instructions from the profile image add up to about the shipping image's count", () => {
    const p = ReportSchema.parse(JSON.parse(r.stdout)).primary!;
    const total = p.layers.reduce((n, l) => n + l.instructions, 0);
    expect(p.layers.reduce((n, l) => n + l.share, 0)).toBeCloseTo(1, 6);
    // different images (the hook changes inlining) and only the first vectors: within 25%
    expect(Math.abs(total - p.instructions.mean) / p.instructions.mean).toBeLessThan(0.25);
    expect(p.latency.estimate).toBe(true);
    expect(p.latency.microseconds).toBeCloseTo((p.instructions.mean * p.latency.cpi) / 100, 6);
  });
});

describe("static stack bound of the active-inputs kernel's assembly (a naked function)", () => {
  it.each(["nucleo-f411re", "nucleo-f767zi"])("%s: its 44 pushed bytes are its frame, and the bound holds the painted stack", async (boardName) => {
    const graph = buildGraph(parseModel(strongDenseModel(23, 64, 120, 16, false)));
    const r = await measureBoard({ graph, board: getBoard(boardName), vectors: 6, dataset: null, profileVectors: 2 });
    expect(r.verify.passed).toBe(true);
    expect(r.stack.static.model.complete, r.stack.static.model.problems.join("; ")).toBe(true);
    // predict -> the dense layer -> sn_dense_active8 is the deepest call chain of this model
    expect(r.stack.static.model.path.at(-1)).toMatchObject({ name: "sn_dense_active8", bytes: 44, source: "disassembly" });
    expect(r.stack.static.image.bytes).toBeGreaterThanOrEqual(r.stack.painted.usedBytes);
  });
});

describe("static stack bound >= painted stack, on every core", () => {
  const cases: [string, number][] = [
    ["bbc-microbit-v1", 11],
    ["lm3s6965", 12],
    ["nucleo-f411re", 13],
    ["nucleo-f767zi", 14],
    ["lpcxpresso55s69", 15],
    ["alif-e7-devkit", 16], // gcc vectorizes one of this model's loops with MVE (vmin.s8 on q registers)
  ];
  for (const [boardName, seed] of cases) {
    it(`random model ${seed} on ${boardName}`, async () => {
      const graph = buildGraph(parseModel(randomModel(seed)));
      const r = await measureBoard({ graph, board: getBoard(boardName), vectors: 6, dataset: null, profileVectors: 2 });
      expect(r.verify.passed).toBe(true);
      expect(r.stack.static.image.complete, r.stack.static.image.problems.join("; ")).toBe(true);
      expect(r.stack.painted.usedBytes).toBeGreaterThan(0);
      expect(r.stack.static.image.bytes).toBeGreaterThanOrEqual(r.stack.painted.usedBytes);
      expect(r.flash.image.model + r.flash.image.harness + r.flash.image.other).toBe(r.flash.image.total);
      expect(r.flash.image.other).toBeLessThan(8);
      // on the M0 the 64-bit requantization multiplies in a library routine: it counts as model code
      if (boardName === "bbc-microbit-v1") expect(r.flash.model.libraryFunctions).toContain("__aeabi_lmul");
      if (r.flash.model.libraryFunctions.length) expect(r.flash.model.libraryCode).toBeGreaterThan(0);
    });
  }
});

describe("report --arena external", () => {
  it("measures predict(in, out, arena): bit-exact, no arena in the model's RAM sections, the caller's arena counted at the plan's size", async () => {
    const graph = buildGraph(parseModel(randomModel(21)));
    const board = getBoard("nucleo-f411re");
    const opts = { graph, board, vectors: 4, dataset: null, profileVectors: 1 } as const;
    const [inside, external] = [await measureBoard(opts), await measureBoard({ ...opts, arena: "external" })];
    expect(inside.verify.passed && external.verify.passed).toBe(true);
    expect(inside.ram.model.arenaMode).toBe("static");
    expect(external.ram.model.arenaMode).toBe("external");
    // the static build's .bss.sn_arena is the plan's arena; the external one counts that many bytes
    // for the caller's buffer, and its model has no static state of its own
    expect(inside.ram.model.arena).toBe(inside.ram.model.arenaPlanned);
    expect(external.ram.model.arena).toBe(inside.ram.model.arenaPlanned);
    expect(external.ram.model.static).toBe(0);
    expect(external.ram.model.total).toBe(external.ram.model.arena + external.ram.model.stack);
  });

  it("the CLI takes --arena and says where the arena is", () => {
    const r = runCli(["report", MNIST, "--vectors", "2", "--arena", "external"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/arena .*the caller passes to predict \(--arena external/);
  });
});

describe("--boards all and budget files", () => {
  const model = writeModel(wideArenaModel());

  it("a board the model does not fit is a row that says so; the command passes on the --board board", () => {
    const r = runCli(["report", model, "--board", "nucleo-f411re", "--boards", "all", "--vectors", "4", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(r.stdout));
    const status = Object.fromEntries(report.boards.map((b) => [b.board.name, b.status]));
    expect(status).toEqual({
      "alif-e7-devkit": "fits",
      "arduino-due": "fits",
      "arduino-zero": "unmeasured", // 32 KB board, but QEMU's microbit has 16 KB
      "bbc-microbit-v1": "does-not-fit",
      lm3s6965: "fits",
      lpcxpresso55s69: "fits",
      netduinoplus2: "fits",
      "nucleo-f411re": "fits",
      "nucleo-f767zi": "fits",
    });
    const microbit = report.boards.find((b) => b.board.name === "bbc-microbit-v1")!;
    expect(microbit.reason).toBe("RAM over by 2816 B (activation arena 19200 B > 16384 B)");
    expect(microbit.fit).toMatchObject({ fits: false, ram: { used: 19200, available: 16384, margin: -2816 } });
  });

  it("the --board board not fitting: exit 1, 'does not fit', naming the resource and the amount", () => {
    const r = runCli(["report", model, "--board", "bbc-microbit-v1"]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe("strongnet: does not fit: activation arena needs 19200 bytes of RAM, board bbc-microbit-v1 has 16384 (over by 2816)\n");
  });

  it("strongnet.budget.json in the working directory: a per-board limit fails that board", () => {
    const cwd = tmp("budget-cwd");
    writeFileSync(join(cwd, "strongnet.budget.json"), JSON.stringify({ maxRam: "64K", boards: { lm3s6965: { maxLatencyUs: "1ms" } } }));
    const r = runCli(["report", model, "--board", "nucleo-f411re", "--boards", "lm3s6965", "--vectors", "4"], cwd);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/(?:^|\n)strongnet: over budget: latency on lm3s6965: \S+ ms \(estimate: \d+ instructions x 1\.4 CPI at 50 MHz\) is over the budget of 1000 us by \S+ ms \(\d+\.\d%\)\n$/);
    expect(r.stdout).toContain(`budget        ${cwd}/strongnet.budget.json`);
    expect(r.stdout).toMatch(/nucleo-f411re: RAM <= 65536 B: \d+ B OK \(margin \d+ B\)/);
  });
});

describe("strongnet verify --junit", () => {
  it("passing: fit, each vector, each layer and the stack are test cases, none failing", () => {
    const file = join(tmp("junit"), "verify.xml");
    const r = runCli(["verify", MNIST, "--vectors", "5", "--junit", file]);
    expect(r.status, r.stderr).toBe(0);
    const xml = readFileSync(file, "utf8");
    expect(xml).toMatch(/<testsuite name="strongnet.verify.mnist_demo.nucleo-f411re" tests="11" failures="0" errors="0" skipped="0" time="[\d.]+">/);
    expect((xml.match(/classname="mnist_demo.nucleo-f411re.vectors"/g) ?? []).length).toBe(5);
    expect((xml.match(/classname="mnist_demo.nucleo-f411re.layers"/g) ?? []).length).toBe(4);
  });

  it("C that differs from the model: the first differing layer's and vectors' test cases fail", () => {
    const model = randomModel(7);
    const graph = buildGraph(parseModel(model));
    // every entry of every table moved by one: any lookup differs
    const mutant = { ...graph, tables: graph.tables.map((t) => t.map((v) => (v === 127 ? 126 : v + 1))) };
    const bad = generateC(mutant);
    const dir = tmp("junit-bad");
    writeFileSync(join(dir, `${graph.name}.c`), bad.source);
    writeFileSync(join(dir, `${graph.name}.h`), bad.header);
    const modelPath = join(dir, "model.json");
    writeFileSync(modelPath, JSON.stringify(model));
    const file = join(dir, "verify.xml");
    const r = runCli(["verify", modelPath, "--vectors", "6", "--dataset", "none", "--sources", dir, "--junit", file]);
    expect(r.status, r.stderr).toBe(1);
    const xml = readFileSync(file, "utf8");
    expect(xml).toMatch(/failures="[1-9]\d*"/);
    expect(xml).toMatch(/<testcase classname="random_7.nucleo-f411re.layers" name="layer 0 features \(strong_conv\) bit-exact on 6 vectors" time="0.000">\n\s+<failure message="\d+ of 6 vectors differ at this layer; first: vector 0/);
    expect(xml).toMatch(/<testcase classname="random_7.nucleo-f411re.vectors" name="vector 0: [^"]+" time="0.000">\n\s+<failure message="first mismatch: vector 0/);
  });
});
