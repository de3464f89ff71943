/**
 * The convolution kernels' paths (test/helpers/conv-path-models.ts: pointwise direct / copied /
 * in place, 1xN, stride 2, dilation, odd filter and pixel counts, per-channel, depthwise four
 * channels per word and a tail, the one-channel convolution route) agree bit for bit with the
 * reference on every layer, built on the host with gcc and clang under UBSan + ASan, with the
 * plain C kernels and with the DSP kernels (STRONGNET_EMULATE_DSP: C versions of SXTB16, SMLAD,
 * SMLABB, SMLATT). emulator-tests/conv-kernels.test.ts runs the same models on an M0 and an M4.
 */
import { describe, expect, it } from "vitest";
import { parseModel } from "../src/format/load.js";
import { buildGraph, shapeSize } from "../src/ir/index.js";
import { planGraph } from "../src/plan/plan.js";
import { runTrace } from "../src/reference/interpreter.js";
import { Rng } from "../src/util/random.js";
import { CONV_CASES, convCaseModel } from "./helpers/conv-path-models.js";
import { buildHost, runHost, SANITIZE_FLAGS } from "./helpers/host-c.js";

const BUILDS: [string, string[]][] = [
  ["gcc", []],
  ["clang", []],
  ["gcc", ["-DSTRONGNET_EMULATE_DSP"]],
  ["clang", ["-DSTRONGNET_EMULATE_DSP"]],
];

describe.each(CONV_CASES.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => {
  const graph = buildGraph(parseModel(convCaseModel(c, 100 + i)));
  const rng = new Rng(i);
  const size = shapeSize(graph.inputShape);
  const vectors = [new Int8Array(size).fill(-128), new Int8Array(size).fill(127), ...Array.from({ length: 6 }, () => rng.int8Array(size))];

  it.each(BUILDS)("%s %j: bit-exact on every layer", (compiler, defines) => {
    const got = runHost(buildHost(graph, compiler, [...SANITIZE_FLAGS, ...defines]), graph, vectors);
    vectors.forEach((vector, v) => {
      const trace = runTrace(graph, vector);
      graph.layers.forEach((layer, l) => expect(got[v]![l], `vector ${v}, layer ${layer.id}`).toEqual(trace.outputs.get(layer.id)));
    });
  });
});

it("the in-place cases run in place: a pointwise layer with a smaller and one with a larger output, a depthwise layer", () => {
  const inPlaceKinds = (name: string) => {
    const i = CONV_CASES.findIndex((c) => c.name.startsWith(name));
    return planGraph(buildGraph(parseModel(convCaseModel(CONV_CASES[i]!, 100 + i)))).layers.flatMap((l) => (l.inPlace ? [l.kind] : []));
  };
  expect(inPlaceKinds("pointwise in place, smaller output")).toEqual(["conv2d"]);
  expect(inPlaceKinds("pointwise in place, larger output")).toEqual(["conv2d"]);
  expect(inPlaceKinds("depthwise 3x3 SAME")).toEqual(["depthwise_conv2d"]);
});
