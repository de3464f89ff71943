/**
 * `--arena external` under QEMU: verify proves the external-arena code bit-exact (with the
 * harness's arena refilled with a pattern before every call), and a firmware that calls predict
 * from an interrupt while the main loop is inside predict of the same model shows it reentrant:
 * every output of both contexts equals the reference, on M0 and M4.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ejs from "ejs";
import { afterAll, describe, expect, it } from "vitest";
import { compile, loadModel, verify } from "../src/api.js";
import { predict } from "../src/reference/interpreter.js";
import { FIRMWARE_TEMPLATE_DIR, firmwareCflags, getBoard, linkRegions, qemuArgs, type Board } from "../src/firmware/index.js";
import { buildGraph, type Graph } from "../src/ir/index.js";
import { parseModel } from "../src/format/load.js";
import { CONV_CASES, convCaseModel } from "../test/helpers/conv-path-models.js";

const ROOT = join(import.meta.dirname, "..");
const root = mkdtempSync(join(tmpdir(), "strongnet-arena-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Model A: strong neurons (arena scratch: table planes), scores out. Model B: conv2d + depthwise (im2col and row-ring scratch). */
const strong = loadModel(join(ROOT, "models", "mnist_strong.json"), { outputs: "scores" });
const convCase = CONV_CASES.findIndex((c) => c.name.startsWith("depthwise 3x3 SAME, 8 channels"));
const conv = buildGraph(parseModel({ ...convCaseModel(CONV_CASES[convCase]!, 11), name: "conv_b" }));

function randomVectors(size: number, count: number, seed: number): Int8Array[] {
  let s = seed;
  return Array.from({ length: count }, () =>
    Int8Array.from({ length: size }, () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return ((s >>> 16) & 0xff) - 128;
    }),
  );
}

const cArray = (name: string, rows: Int8Array[]) =>
  `static const int8_t ${name}[${rows.length}][${rows[0]!.length}] = {\n${rows.map((r) => `    { ${Array.from(r).join(", ")} }`).join(",\n")}\n};\n`;

/**
 * The test program: the main loop runs A (its own arena) over the vectors; a SysTick interrupt
 * every RELOAD ticks runs A again with a second arena, then B with a third, on other vectors,
 * and counts how often it landed inside the main loop's call of A. Each context compares its
 * outputs with the reference outputs compiled in.
 */
function mainC(vectors: { a: Int8Array[]; aOut: Int8Array[]; b: Int8Array[]; bOut: Int8Array[] }, reload: number): string {
  return `#include <stdint.h>
#include "sn_semihost.h"
#include "mnist_strong.h"
#include "conv_b.h"

#define VECTORS ${vectors.a.length}u
#define ROUNDS 3u
${cArray("a_in", vectors.a)}${cArray("a_expected", vectors.aOut)}${cArray("b_in", vectors.b)}${cArray("b_expected", vectors.bOut)}
static uint32_t arena_main[MNIST_STRONG_ARENA_BYTES / 4];
static uint32_t arena_isr_a[MNIST_STRONG_ARENA_BYTES / 4];
static uint32_t arena_isr_b[CONV_B_ARENA_BYTES / 4];

static volatile uint32_t in_main_predict, isr_runs, isr_nested, isr_failures;
volatile uint32_t sn_systick_wraps; /* the startup code's; unused here */

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define ICSR (*(volatile uint32_t *)0xE000ED04u)

static uint32_t differs(const int8_t *a, const int8_t *b, uint32_t n)
{
    uint32_t i;
    for (i = 0; i < n; ++i) {
        if (a[i] != b[i]) {
            return 1u;
        }
    }
    return 0u;
}

void arena_test_systick(void);
void arena_test_systick(void)
{
    int8_t a_out[MNIST_STRONG_OUTPUT_SIZE], b_out[CONV_B_OUTPUT_SIZE];
    const uint32_t k = isr_runs % VECTORS;
    if (in_main_predict != 0u) {
        isr_nested++;
    }
    mnist_strong_predict(a_in[VECTORS - 1u - k], a_out, arena_isr_a);
    isr_failures += differs(a_out, a_expected[VECTORS - 1u - k], MNIST_STRONG_OUTPUT_SIZE);
    conv_b_predict(b_in[k], b_out, arena_isr_b);
    isr_failures += differs(b_out, b_expected[k], CONV_B_OUTPUT_SIZE);
    isr_runs++;
    /* the next interrupt comes RELOAD ticks after this one ends, not at once */
    SYST_CVR = 0u;
    ICSR = 1u << 25; /* PENDSTCLR */
}

static void put(const char *label, uint32_t v)
{
    char text[40];
    int n = 0;
    char digits[11];
    int d = 0;
    while (*label != '\\0' && n < 24) {
        text[n++] = *label++;
    }
    do {
        digits[d++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (d > 0) {
        text[n++] = digits[--d];
    }
    text[n++] = ' ';
    text[n] = '\\0';
    sn_write0(text);
}

int main(void)
{
    int8_t out[MNIST_STRONG_OUTPUT_SIZE];
    uint32_t round, k, main_runs = 0u, main_failures = 0u;
    SYST_RVR = ${reload}u;
    SYST_CVR = 0u;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
    for (round = 0u; round < ROUNDS; ++round) {
        for (k = 0u; k < VECTORS; ++k) {
            in_main_predict = 1u;
            mnist_strong_predict(a_in[k], out, arena_main);
            in_main_predict = 0u;
            main_failures += differs(out, a_expected[k], MNIST_STRONG_OUTPUT_SIZE);
            main_runs++;
        }
    }
    SYST_CSR = 0u;
    sn_write0("arena-test ");
    put("main_runs=", main_runs);
    put("main_failures=", main_failures);
    put("isr_runs=", isr_runs);
    put("isr_nested=", isr_nested);
    put("isr_failures=", isr_failures);
    sn_write0("\\n");
    return (main_failures + isr_failures) == 0u ? 0 : 1;
}
`;
}

function render(template: string, data: Record<string, unknown>): string {
  const path = join(FIRMWARE_TEMPLATE_DIR, template);
  return ejs.render(readFileSync(path, "utf8"), data, { filename: path });
}

function buildAndRun(board: Board, models: Graph[], main: string, dir: string, extraCflags: string[] = []) {
  const sources: string[] = [];
  for (const g of models) {
    const c = compile(g, { arena: "external" });
    writeFileSync(join(dir, `${g.name}.c`), c.source);
    writeFileSync(join(dir, `${g.name}.h`), c.header);
    sources.push(join(dir, `${g.name}.c`));
  }
  const regions = linkRegions(board);
  const hex = (v: number) => `0x${v.toString(16).padStart(8, "0")}`;
  const data = { board, name: "arena_test", NAME: "ARENA_TEST", mode: "count", hex, flashLength: regions.flash.length, ramLength: regions.ram.length, stackMinBytes: 1024 };
  const startup = render("startup.c.ejs", data);
  expect(startup).toContain("sn_systick_handler       /* SysTick */");
  writeFileSync(join(dir, "startup.c"), startup.replace("sn_systick_handler       /* SysTick */", "arena_test_systick       /* SysTick */").replace("volatile uint32_t sn_systick_wraps;", "extern volatile uint32_t sn_systick_wraps;\nvoid arena_test_systick(void);"));
  writeFileSync(join(dir, "sn_semihost.h"), render("semihost.h.ejs", data));
  writeFileSync(join(dir, "linker.ld"), render("linker.ld.ejs", data));
  writeFileSync(join(dir, "main.c"), main);
  const elf = join(dir, "arena-test.elf");
  const args = [...firmwareCflags(board), "-pedantic", "-Werror", ...extraCflags, "-I", dir, join(dir, "startup.c"), join(dir, "main.c"), ...sources];
  const cc = spawnSync("arm-none-eabi-gcc", [...args, "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections", `-Wl,-T,${join(dir, "linker.ld")}`, "-o", elf, "-lgcc"], { encoding: "utf8" });
  expect(cc.status, cc.stderr).toBe(0);
  const run = spawnSync("qemu-system-arm", qemuArgs(board, elf), { cwd: dir, encoding: "utf8", timeout: 120_000 });
  // the semihosting console: QEMU's stdout or stderr
  const line = /arena-test (.*)/.exec(`${run.stdout}\n${run.stderr}`)?.[1] ?? "";
  const figures = Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, figures };
}

describe.each(["bbc-microbit-v1", "nucleo-f411re"])("--arena external on %s", (boardName) => {
  const board = getBoard(boardName);

  it("verify --arena external: bit-exact with a strong and a conv/depthwise model, the arena refilled before every call", async () => {
    for (const g of [strong, conv]) {
      const r = await verify(g, { board, arena: "external", vectors: 8, dataset: null });
      expect(r.passed, `${g.name}: ${JSON.stringify(r.firstMismatch)}`).toBe(true);
      expect(r.build.arena).toBe("external");
      expect(r.vectors.total).toBe(8);
    }
  });

  it("the harness's guard word catches a predict that writes past <NAME>_ARENA_BYTES", async () => {
    const c = compile(conv, { arena: "external" });
    const opening = "sn_arena_t *const arena = arena_memory; /* aligned as the header asks */";
    expect(c.source).toContain(opening);
    // one byte past the end, as a plan that undercounted would write
    const overrun = c.source.replace(opening, `${opening}\n    ((int8_t *)arena_memory)[CONV_B_ARENA_BYTES] = 1;`);
    await expect(verify(conv, { board, vectors: 2, dataset: null, sources: { c: overrun, h: c.header } })).rejects.toThrow(/conv_b_predict wrote past CONV_B_ARENA_BYTES of its arena/);
  });

  it("reentrant: predict interrupted by predict of the same model (another arena) and of a second model; every output is the reference's", () => {
    const a = randomVectors(784, 6, 7);
    const b = randomVectors(6 * 5 * 4, 6, 9);
    const vectors = { a, aOut: a.map((v) => predict(strong, v)), b, bOut: b.map((v) => predict(conv, v)) };
    const dir = mkdtempSync(join(root, `${boardName}-`));
    const r = buildAndRun(board, [strong, conv], mainC(vectors, 7919), dir);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.figures.main_runs).toBe(18);
    expect(r.figures.main_failures).toBe(0);
    expect(r.figures.isr_failures).toBe(0);
    // the interrupt came many times, most of them in the middle of the main loop's predict
    expect(r.figures.isr_runs).toBeGreaterThan(18);
    expect(r.figures.isr_nested).toBeGreaterThan(18);
  });

  it("the check has teeth: the same program with the static arena (one arena shared by both contexts) fails", () => {
    const a = randomVectors(784, 6, 7);
    const b = randomVectors(6 * 5 * 4, 6, 9);
    const vectors = { a, aOut: a.map((v) => predict(strong, v)), b, bOut: b.map((v) => predict(conv, v)) };
    const dir = mkdtempSync(join(root, `${boardName}-shared-`));
    // every call gets the same arena, as the static mode's one arena would be
    const shared = mainC(vectors, 7919).replaceAll("arena_isr_a", "arena_main");
    const r = buildAndRun(board, [strong, conv], shared, dir);
    expect(r.figures.isr_nested).toBeGreaterThan(0);
    expect(r.status).toBe(1);
    expect((r.figures.main_failures ?? 0) + (r.figures.isr_failures ?? 0)).toBeGreaterThan(0);
  });
});
