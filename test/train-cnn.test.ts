/**
 * `strongnet train --arch cnn`: the float CNN's backpropagation against finite differences, and a
 * small end-to-end run on 8x8 digits the test makes itself (trained, quantized after training by
 * the float-model quantizer, its int8 model tracking the float one).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildGraph } from "../src/ir/index.js";
import { parseModel } from "../src/format/load.js";
import { initCnn, inputGradient, lossAndGradients, pgdExample, type Cnn } from "../src/train/cnn.js";
import { trainModel } from "../src/train/index.js";
import { Rng } from "../src/util/random.js";
import { makeDigits8, writeCsv } from "./helpers/digits8.js";

/** The 8x8 digits as CSV train (60 per class) and test (30 per class) SPECs, and the CNN settings both runs share. */
function digitsCnnRequest(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `sn-${name}-`));
  const train = join(dir, "train.csv");
  const test = join(dir, "test.csv");
  writeCsv(train, makeDigits8(60, 1));
  writeCsv(test, makeDigits8(30, 2));
  return { dataset: `${train}:label=label:shape=8x8`, test: `${test}:label=label:shape=8x8`, arch: "cnn" as const, seed: 1, name, cnn: { filters: [6, 12], kernel: 3, epochs: 15 } };
}

describe("CNN backpropagation", () => {
  it("matches central finite differences on every parameter group", () => {
    const net = initCnn([6, 6, 2], [3, 4], 3, 3, 7);
    const rng = new Rng(3);
    const x = Float32Array.from({ length: 72 }, () => rng.next());
    const label = 1;
    const { gradients } = lossAndGradients(net, x, label);
    const groups: [string, Float32Array, Float32Array][] = [
      ["conv1 weights", net.stages[0]!.weights, gradients.stages[0]!.weights],
      ["conv1 bias", net.stages[0]!.bias, gradients.stages[0]!.bias],
      ["conv2 weights", net.stages[1]!.weights, gradients.stages[1]!.weights],
      ["dense weights", net.dense, gradients.dense],
      ["dense bias", net.denseBias, gradients.denseBias],
    ];
    const loss = (n: Cnn) => lossAndGradients(n, x, label).loss;
    for (const [what, params, grad] of groups) {
      for (let k = 0; k < 6; k++) {
        const i = rng.int(0, params.length - 1);
        const keep = params[i]!;
        const h = 1e-2;
        params[i] = keep + h;
        const up = loss(net);
        params[i] = keep - h;
        const down = loss(net);
        params[i] = keep;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(numeric - grad[i]!), `${what}[${i}]: numeric ${numeric}, backprop ${grad[i]}`).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric));
      }
    }
  });
});

describe("PGD for adversarial training (--adversarial pgd)", () => {
  it("the input gradient matches central finite differences, and PGD examples stay in the box and raise the loss", () => {
    const net = initCnn([6, 6, 2], [3, 4], 3, 3, 11);
    const rng = new Rng(4);
    const x = Float32Array.from({ length: 72 }, () => 0.2 + 0.6 * rng.next());
    const { loss, gradient } = inputGradient(net, x, 2);
    for (let k = 0; k < 10; k++) {
      const i = rng.int(0, 71);
      const h = 1e-2;
      const up = Float32Array.from(x);
      up[i]! += h;
      const down = Float32Array.from(x);
      down[i]! -= h;
      const numeric = (inputGradient(net, up, 2).loss - inputGradient(net, down, 2).loss) / (2 * h);
      expect(Math.abs(numeric - gradient[i]!), `input ${i}: numeric ${numeric}, backprop ${gradient[i]}`).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric));
    }
    const eps = 0.1;
    const adv = pgdExample(net, x, 2, eps, 0.04, 5, new Rng(1));
    for (let i = 0; i < 72; i++) {
      expect(Math.abs(adv[i]! - x[i]!)).toBeLessThanOrEqual(eps + 1e-6);
      expect(adv[i]!).toBeGreaterThanOrEqual(0);
      expect(adv[i]!).toBeLessThanOrEqual(1);
    }
    expect(inputGradient(net, adv, 2).loss).toBeGreaterThan(loss);
    expect(Array.from(pgdExample(net, x, 2, eps, 0.04, 5, new Rng(1)))).toEqual(Array.from(adv));
  });

  it("trains seeded and deterministically on 8x8 digits, and records its settings", async () => {
    const request = digitsCnnRequest("digits_cnn_pgd");
    const run = () => trainModel({ ...request, cnn: { ...request.cnn, adversarial: { method: "pgd", eps: 16, steps: 2 } } });
    const a = await run();
    const b = await run();
    expect(JSON.stringify(a.model)).toBe(JSON.stringify(b.model));
    expect(a.metrics.details).toMatchObject({ adversarial: { method: "pgd", eps: 16, steps: 2, stepSize: 20 } });
    expect(a.model.description).toContain("--adversarial pgd");
    console.log(`digits CNN, PGD eps 16/255: float ${a.metrics.accuracy.floatTest}%, int8 ${a.metrics.accuracy.int8Test}%`);
    expect(a.metrics.accuracy.floatTest).toBeGreaterThan(50);
  });
});

describe("train --arch cnn on 8x8 digits", () => {
  it("learns, and its int8 model (calibrated after training) agrees with the float one", async () => {
    const { model, metrics } = await trainModel(digitsCnnRequest("digits_cnn"));
    const graph = buildGraph(parseModel(model));
    expect(graph.layers.map((l) => l.kind)).toEqual(["conv2d", "maxpool", "conv2d", "maxpool", "reshape", "dense", "argmax"]);
    expect(metrics.arch).toBe("cnn");
    expect(metrics.split.test).toBe(300);
    console.log(`digits CNN: float ${metrics.accuracy.floatTest}%, int8 ${metrics.accuracy.int8Test}%, agreement ${metrics.accuracy.int8FloatAgreement}%`);
    expect(metrics.accuracy.floatTest).toBeGreaterThan(80);
    expect(metrics.accuracy.int8FloatAgreement).toBeGreaterThan(95);
    expect(model.metadata?.outputQuantization).toMatchObject({ scale: expect.any(Number), zeroPoint: expect.any(Number) });
  });
});
