/**
 * The `verify`, `demo` and `boards` commands as CI runs them: exit codes, --json output, and
 * errors that name what is wrong.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import { loadBoards } from "../src/firmware/index.js";
import { loadGraph } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";
import { testVectors } from "../src/verify/vectors.js";
import { predictedClass } from "../src/kinds/argmax.js";

const ROOT = join(import.meta.dirname, "..");
const DEMO = join(ROOT, "models", "mnist_demo.json");

function cli(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [join(ROOT, "bin", "strongnet.js"), ...args], { cwd, encoding: "utf8" });
}

/** A board file like nucleo-f411re's, changed by `mutate`. */
function boardJson(mutate: (b: Record<string, any>) => void = () => {}): string {
  const b = JSON.parse(readFileSync(join(ROOT, "boards", "nucleo-f411re.json"), "utf8"));
  mutate(b);
  return JSON.stringify(b, null, 2);
}

describe("strongnet boards", () => {
  it("--json lists every board file, with one default and an M0, M3, M4, M7, M33 and M55 core", () => {
    const r = cli(["boards", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const boards = JSON.parse(r.stdout) as { name: string; core: string; default: boolean }[];
    expect(boards.map((b) => b.name)).toEqual(loadBoards().map((b) => b.name));
    expect(boards.filter((b) => b.default)).toHaveLength(1);
    for (const core of ["cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]) expect(boards.some((b) => b.core === core)).toBe(true);
  });

  it("prints a table with a row per board", () => {
    const r = cli(["boards"]);
    expect(r.status, r.stderr).toBe(0);
    for (const b of loadBoards()) expect(r.stdout).toMatch(new RegExp(`^${b.name}\\b.*${b.qemu.machine}`, "m"));
  });
});

describe("strongnet boards: your own boards", () => {
  it("--init writes ./boards/NAME.json from a board; the project's boards/ joins the catalogue and a broken file there is skipped with a warning", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-cli-boards-"));
    const init = cli(["boards", "--init", "my-board", "--from", "bbc-microbit-v1"], dir);
    expect(init.status, init.stderr).toBe(0);
    expect(init.stdout).toContain(join(dir, "boards", "my-board.json"));
    const written = JSON.parse(readFileSync(join(dir, "boards", "my-board.json"), "utf8"));
    expect(written).toMatchObject({ name: "my-board", core: "cortex-m0", qemu: { machine: "microbit", ram: { origin: "0x20000000" } } });
    expect(cli(["boards", "--init", "my-board"], dir).status).toBe(2); // exists
    writeFileSync(join(dir, "boards", "broken.json"), boardJson((b) => (b.name = "broken", delete b.clockHz)));
    const r = cli(["boards", "--json"], dir);
    expect(r.status, r.stderr).toBe(0);
    const boards = JSON.parse(r.stdout) as { name: string; origin: string }[];
    expect(boards.find((b) => b.name === "my-board")?.origin).toBe("project");
    expect(boards.some((b) => b.name === "nucleo-f411re")).toBe(true);
    expect(r.stderr).toMatch(/^strongnet: warning: skipped board file .*broken\.json: field clockHz:/m);
    const used = cli(["compile", DEMO, "--board", "broken", "-o", join(dir, "out")], dir);
    expect(used.status).toBe(2);
    expect(used.stderr).toMatch(/board "broken" cannot be used: .*field clockHz/);
  });

  it("--boards-dir adds a folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-cli-boards-dir-"));
    mkdirSync(join(dir, "hw"));
    writeFileSync(join(dir, "hw", "lab-m4.json"), boardJson((b) => (b.name = "lab-m4")));
    const r = cli(["boards", "--boards-dir", join(dir, "hw")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^lab-m4\b/m);
    expect(cli(["boards", "--boards-dir", join(dir, "nope")]).stderr).toMatch(/--boards-dir .*nope: no such folder/);
  });
});

describe("strongnet verify", () => {
  it("--json: passes with exit 0 and reports instructions, image sizes and accuracy", () => {
    const r = cli(["verify", DEMO, "--board", "bbc-microbit-v1", "--vectors", "20", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ passed: true, firstMismatch: null, board: { name: "bbc-microbit-v1", qemuMachine: "microbit" } });
    expect(report.vectors).toMatchObject({ total: 20, dataset: "mnist", datasetSamples: 16, edge: 3, random: 1 });
    const graph = loadGraph(DEMO);
    const labelled = testVectors(graph, { count: 20 }).vectors.filter((v) => v.label !== undefined);
    const correct = labelled.filter((v) => predictedClass(predict(graph, v.input)) === v.label).length;
    expect(report.accuracy).toMatchObject({ dataset: "mnist", correct, total: 16 });
    expect(report.instructions.perVector).toHaveLength(20);
  });

  it("exit 1 and the first mismatch when given C that differs from the model", () => {
    const graph = loadGraph(DEMO);
    const dir = mkdtempSync(join(tmpdir(), "strongnet-cli-verify-"));
    const { source, header } = generateC(graph);
    // add 100000 to the first summator bias: that class score, and so the output, differs
    const broken = source.replace(/(static const int32_t \w+_bias\[\d+\](?: SN_CONST_SECTION)? = \{\s*)(-?\d+)/, (_, head: string, v: string) => `${head}${Number(v) + 100000}`);
    expect(broken).not.toBe(source);
    writeFileSync(join(dir, `${graph.name}.c`), broken);
    writeFileSync(join(dir, `${graph.name}.h`), header);
    const r = cli(["verify", DEMO, "--sources", dir, "--vectors", "8"]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAIL: \d+ of 8 vectors differ from the reference; first: vector 0 \(mnist test image 0\), layer \d+ "\w+" \(summator\), byte \d+: expected -?\d+, got -?\d+/);
  });

  it("a model too big for the board exits 1 before building, naming the resource and the excess", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-cli-big-"));
    const units = 20_000; // a 20,000-byte activation: more than the micro:bit's 16 KB of RAM
    const model = {
      format: "strongnet-model",
      version: 1,
      name: "too_big",
      input: { shape: [1, 1, 1] },
      tables: [],
      layers: [
        {
          id: "wide",
          kind: "dense",
          input: "input",
          units,
          weights: Buffer.alloc(units, 1).toString("base64"),
          bias: new Array(units).fill(0),
          requant: { multiplier: 1, shift: 0, offset: 0 },
        },
        { id: "narrow", kind: "dense", input: "wide", units: 1, weights: Buffer.alloc(units, 1).toString("base64"), bias: [0], requant: { multiplier: 1, shift: 8, offset: 0 } },
      ],
      output: "narrow",
    };
    const file = join(dir, "too_big.json");
    writeFileSync(file, JSON.stringify(model));
    const r = cli(["verify", file, "--board", "bbc-microbit-v1", "--keep", join(dir, "fw")]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/does not fit: activation arena needs \d+ bytes of RAM, board bbc-microbit-v1 has 16384 \(over by \d+\)/);
    expect(existsSync(join(dir, "fw"))).toBe(false);
  });

  it("--board takes a path to a board file, whatever its name", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-cli-board-path-"));
    writeFileSync(join(dir, "myboard.json"), boardJson((b) => (b.name = "my-board")));
    const r = cli(["verify", DEMO, "--board", join(dir, "myboard.json"), "--vectors", "3", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ passed: true, board: { name: "my-board" } });
  });

  it("a memory map the QEMU machine does not have locks the CPU up: exit 3 with a hint naming the origins", () => {
    const dir = mkdtempSync(join(tmpdir(), "strongnet-cli-lockup-"));
    writeFileSync(join(dir, "bad-ram.json"), boardJson((b) => (b.name = "bad-ram", (b.qemu.ram.origin = "0x30000000"))));
    const r = cli(["verify", DEMO, "--board", join(dir, "bad-ram.json"), "--vectors", "2"]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/locked up in QEMU .*RAM at 0x30000000 \(qemu\.ram\.origin\); QEMU machine mps2-an386 has flash at 0x00000000 and RAM at 0x20000000/);
    expect(r.stderr).not.toMatch(/^R00=/m); // no register dump
  });

  it("without a terminal, progress is one stderr line per stage", () => {
    const r = cli(["verify", DEMO, "--vectors", "3"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trim().split("\n")).toEqual([
      "strongnet: building firmware (2 images)",
      "strongnet: QEMU, traced image (3 vectors)",
      "strongnet: QEMU, shipping image (3 vectors)",
    ]);
  });

  it("a bad option value is one line that says where help is, not the whole help", () => {
    const r = cli(["verify", DEMO, "--vectors", "zero"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`strongnet verify: option '-n, --vectors <n>' argument 'zero' is invalid. --vectors must be a positive integer, got "zero" (see \`strongnet verify --help\`)\n`);
  });

  it("a mistyped board name gets a did-you-mean", () => {
    const r = cli(["verify", DEMO, "--board", "nucleo-f41re"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown board "nucleo-f41re" \(did you mean "nucleo-f411re"\?\)/);
  });

  it.each([
    [["--board", "no-such-board"], "no-such-board"],
    [["--vectors", "zero"], "--vectors must be a positive integer"],
    [["--dataset", "cifar"], "--dataset"],
    [["--sources", "/nonexistent-dir"], "no mnist_demo.c there"],
  ])("bad input %j exits 2 naming the problem", (args, message) => {
    const r = cli(["verify", DEMO, ...args]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe("strongnet models", () => {
  it("lists the bundled models with their paths, from any folder", () => {
    const r = cli(["models", "--json"], tmpdir());
    expect(r.status, r.stderr).toBe(0);
    const models = JSON.parse(r.stdout) as { name: string; path: string; demo: boolean }[];
    expect(models.find((m) => m.demo)?.name).toBe("mnist_strong");
    for (const m of models) expect(existsSync(m.path), m.path).toBe(true);
  });

  it("a bundled model's name stands for its path when no such file exists", () => {
    const out = mkdtempSync(join(tmpdir(), "strongnet-cli-named-"));
    const r = cli(["compile", "mnist_demo", "-o", out], out);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, "mnist_demo.c"))).toBe(true);
  });
});

describe("strongnet demo", () => {
  it("--json: compiles the bundled model for the default board and verifies it on test images", () => {
    const out = mkdtempSync(join(tmpdir(), "strongnet-demo-"));
    const r = cli(["demo", "--images", "12", "-o", out, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.passed).toBe(true);
    expect(report.board.name).toBe("nucleo-f411re");
    expect(report.vectors).toMatchObject({ total: 22, datasetSamples: 12 });
    expect(report.accuracy.total).toBe(12);
    expect(report.generated.source).toBe(join(out, `${report.model.name}.c`));
  });
});
