/**
 * The generated API says how to use it (issue "Your own data", item 4): input and output scale
 * and zero point macros, --outputs class|scores, class names from the metadata, and a usage
 * example in the header that compiles and gives the reference's answer.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateC } from "../src/codegen/index.js";
import { parseModel } from "../src/format/load.js";
import { buildGraph, loadGraph, type Graph } from "../src/ir/index.js";
import { withOutputs } from "../src/ir/outputs.js";
import { predict, runTrace } from "../src/reference/interpreter.js";
import { Rng } from "../src/util/random.js";
import { STRICT_FLAGS } from "./helpers/host-c.js";

const strong = loadGraph("models/mnist_strong.json");
const macro = (header: string, name: string) => new RegExp(`#define ${name}\\s+(\\S+)`).exec(header)?.[1];

/** The five usage lines of the header comment, as C statements. */
function usageLines(header: string): string[] {
  const block = /\* Usage:\n((?: \* {5}.*\n)+)/.exec(header)![1]!;
  return block.split("\n").filter((l) => l !== "").map((l) => l.replace(/^ \* {5}/, ""));
}

/** Builds main() from the header's usage example (pixels from stdin) and runs it on the host. */
function runUsageExample(graph: Graph, pixels: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), "strongnet-usage-"));
  const { source, header } = generateC(graph);
  writeFileSync(join(dir, `${graph.name}.c`), source);
  writeFileSync(join(dir, `${graph.name}.h`), header);
  const lines = usageLines(header);
  const main = `#include <stdio.h>
#include "${graph.name}.h"

int main(void)
{
    static unsigned char pixels[${pixels.length}];
    int i, k;
    if (fread(pixels, 1, sizeof pixels, stdin) != sizeof pixels) return 1;
    {
${lines.map((l) => `        ${l}`).join("\n")}
    }
    return 0;
}
`;
  writeFileSync(join(dir, "main.c"), main);
  const exe = join(dir, "usage");
  execFileSync("gcc", [...STRICT_FLAGS, "-Wno-unused-variable", "-o", exe, join(dir, "main.c"), join(dir, `${graph.name}.c`)], { stdio: ["ignore", "pipe", "pipe"] });
  return execFileSync(exe, [], { input: Buffer.from(pixels) }).toString().trim();
}

describe("the header of a trained model", () => {
  const { header } = generateC(strong);

  it("states the input rule q = byte - 128 as scale 1/255 and zero point -128", () => {
    expect(macro(header, "MNIST_STRONG_INPUT_SCALE")).toBe(`${Math.fround(1 / 255).toPrecision(9)}f`);
    expect(macro(header, "MNIST_STRONG_INPUT_ZERO_POINT")).toBe("(-128)");
    expect(macro(header, "MNIST_STRONG_OUTPUT_SIZE")).toBe("1");
    expect(macro(header, "MNIST_STRONG_CLASS_COUNT")).toBe("10");
    // a class index has no scale
    expect(header).not.toContain("OUTPUT_SCALE");
  });

  it("has a five-line usage example that compiles and predicts what the reference predicts", () => {
    expect(usageLines(header)).toHaveLength(5);
    const rng = new Rng(3);
    for (let k = 0; k < 3; k++) {
      const pixels = Uint8Array.from(rng.int8Array(784), (v) => v + 128);
      const expected = predict(strong, Int8Array.from(pixels, (b) => b - 128))[0]!;
      expect(runUsageExample(strong, pixels)).toBe(`class ${expected}`);
    }
  });
});

describe("--outputs", () => {
  it("scores drops the final argmax: the firmware returns the 10 scores the reference computes before it", () => {
    const scores = withOutputs(strong, "scores");
    expect(scores.layers.map((l) => l.kind)).toEqual(["strong", "summator"]);
    expect(scores.outputShape).toEqual([1, 1, 10]);
    const x = new Rng(5).int8Array(784);
    const trace = runTrace(strong, x);
    expect(Array.from(predict(scores, x))).toEqual(Array.from(trace.outputs.get("classes")!));
  });

  it("scores come with OUTPUT_SCALE / OUTPUT_ZERO_POINT, and the usage example reads them", () => {
    const scores = withOutputs(strong, "scores");
    const { header } = generateC(scores);
    expect(macro(header, "MNIST_STRONG_OUTPUT_SIZE")).toBe("10");
    expect(macro(header, "MNIST_STRONG_OUTPUT_SCALE")).toBe("1.00000000f");
    expect(macro(header, "MNIST_STRONG_OUTPUT_ZERO_POINT")).toBe("0");
    expect(header).toContain("the model records no real scale for its scores");
    const pixels = new Uint8Array(784).fill(200);
    const expected = Array.from(predict(scores, new Int8Array(784).fill(72)), (v, k) => `${k}: ${v}`);
    expect(runUsageExample(scores, pixels).split("\n")).toEqual(expected);
  });

  it("an imported model's scores keep its recorded output quantization", () => {
    const graph = withOutputs({ ...strong, metadata: { tensors: { classes: { tensor: "logits", scale: 0.25, zeroPoint: -3 } } } }, "scores");
    const { header } = generateC(graph);
    expect(macro(header, "MNIST_STRONG_OUTPUT_SCALE")).toBe("0.250000000f");
    expect(macro(header, "MNIST_STRONG_OUTPUT_ZERO_POINT")).toBe("(-3)");
  });

  it("class is refused, naming the option, on a model without a final argmax; scores on it changes nothing", () => {
    const scores = withOutputs(strong, "scores");
    expect(() => withOutputs(scores, "class")).toThrow(/--outputs class: model "mnist_strong" has no final argmax/);
    expect(withOutputs(scores, "scores")).toBe(scores);
    expect(withOutputs(strong, "class")).toBe(strong);
  });
});

describe("class names from metadata.classNames", () => {
  const named = (classNames: unknown) => ({ ...strong, metadata: { ...strong.metadata, classNames } });
  const names = ["zero", 'say "one"', "two??=", "drei\\", "quatre é", "5", "6", "7", "8", "9"];

  it("become a const char *const array the C reads back byte for byte", () => {
    const { source, header } = generateC(named(names));
    expect(header).toContain("extern const char *const MNIST_STRONG_CLASS_NAMES[MNIST_STRONG_CLASS_COUNT];");
    expect(source).toContain("const char *const MNIST_STRONG_CLASS_NAMES[MNIST_STRONG_CLASS_COUNT] = {");
    const dir = mkdtempSync(join(tmpdir(), "strongnet-names-"));
    writeFileSync(join(dir, "mnist_strong.c"), source);
    writeFileSync(join(dir, "mnist_strong.h"), header);
    writeFileSync(
      join(dir, "main.c"),
      `#include <stdio.h>
#include "mnist_strong.h"
int main(void)
{
    int i;
    for (i = 0; i < MNIST_STRONG_CLASS_COUNT; i++) printf("%s\\n", MNIST_STRONG_CLASS_NAMES[i]);
    return 0;
}
`,
    );
    const exe = join(dir, "names");
    execFileSync("gcc", [...STRICT_FLAGS, "-trigraphs", "-o", exe, join(dir, "main.c"), join(dir, "mnist_strong.c")], { stdio: ["ignore", "pipe", "pipe"] });
    expect(execFileSync(exe).toString().split("\n").slice(0, -1)).toEqual(names);
  });

  it.each([
    ["too few", names.slice(0, 9)],
    ["not strings", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    ["not a list", "zero,one"],
  ])("%s: refused naming metadata.classNames", (_what, value) => {
    expect(() => generateC(named(value))).toThrow(/metadata\.classNames: must be a list of 10 strings/);
  });
});

describe("a model without recorded input quantization but several inputs", () => {
  it("gets no single input rule", () => {
    const graph = buildGraph(parseModel(JSON.parse(readFileSync("models/mnist_strong.json", "utf8"))));
    const { header } = generateC({ ...graph, metadata: { inputs: [] } });
    expect(header).not.toContain("INPUT_SCALE");
  });
});
