/**
 * The bit-exact reference interpreter: integer-only, written for clarity rather than speed. It is
 * the oracle the generated C is checked against, so every rule here has a twin in
 * c-templates/model.c.ejs.
 */
import {
  INPUT_ID,
  shapeSize,
  type Conv2dLayer,
  type DenseLayer,
  type Graph,
  type Layer,
  type MaxPoolLayer,
  type StrongConvLayer,
  type StrongLayer,
  type SummatorLayer,
} from "../ir/types.js";
import { requantize } from "./requant.js";

/** Every layer's output for one input, in execution order. */
export interface Trace {
  outputs: Map<string, Int8Array>;
  output: Int8Array;
}

export function runTrace(graph: Graph, input: Int8Array): Trace {
  if (input.length !== shapeSize(graph.inputShape)) {
    throw new Error(`input has ${input.length} values, model "${graph.name}" expects ${shapeSize(graph.inputShape)}`);
  }
  const outputs = new Map<string, Int8Array>([[INPUT_ID, input]]);
  for (const layer of graph.layers) {
    outputs.set(layer.id, runLayer(graph, layer, outputs.get(layer.input)!));
  }
  outputs.delete(INPUT_ID);
  return { outputs, output: outputs.get(graph.outputId)! };
}

export function predict(graph: Graph, input: Int8Array): Int8Array {
  return runTrace(graph, input).output;
}

/** T[x + 128] */
const lookup = (table: Int8Array, x: number): number => table[x + 128]!;

export function runLayer(graph: Graph, layer: Layer, x: Int8Array): Int8Array {
  const out = new Int8Array(shapeSize(layer.outputShape));
  const tables = graph.tables;
  const activate = (v: number, activation: number | undefined) =>
    activation === undefined ? v : lookup(tables[activation]!, v);
  switch (layer.kind) {
    case "lut": {
      const t = tables[layer.table]!;
      for (let i = 0; i < x.length; i++) out[i] = lookup(t, x[i]!);
      break;
    }
    case "strong":
      runStrong(layer, x, tables, out);
      break;
    case "strong_conv":
      runStrongConv(layer, x, tables, out);
      break;
    case "summator":
      runSummator(layer, x, out, activate);
      break;
    case "dense":
      runDense(layer, x, out, activate);
      break;
    case "conv2d":
      runConv2d(layer, x, out, activate);
      break;
    case "maxpool":
      runMaxPool(layer, x, out);
      break;
    case "argmax": {
      let best = 0;
      for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
      out[0] = best;
      break;
    }
  }
  return out;
}

function runStrong(layer: StrongLayer, x: Int8Array, tables: Int8Array[], out: Int8Array): void {
  layer.neurons.forEach((groups, n) => {
    let orValue = -128;
    for (const group of groups) {
      let andValue = 127;
      for (const lit of group) andValue = Math.min(andValue, lookup(tables[lit.table]!, x[lit.input]!));
      orValue = Math.max(orValue, andValue);
    }
    out[n] = orValue;
  });
}

/** Reads input pixel (iy, ix, c) of an HWC tensor, or padValue outside the image. */
function readPadded(x: Int8Array, h: number, w: number, c: number, iy: number, ix: number, ch: number, padValue: number): number {
  if (iy < 0 || iy >= h || ix < 0 || ix >= w) return padValue;
  return x[(iy * w + ix) * c + ch]!;
}

function runStrongConv(layer: StrongConvLayer, x: Int8Array, tables: Int8Array[], out: Int8Array): void {
  const [h, w, c] = layer.inputShape;
  const [oh, ow, oc] = layer.outputShape;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const y0 = oy * layer.stride[0] - layer.padding[0];
      const x0 = ox * layer.stride[1] - layer.padding[1];
      layer.templates.forEach((groups, t) => {
        let orValue = -128;
        for (const group of groups) {
          let andValue = 127;
          for (const lit of group) {
            const v = readPadded(x, h, w, c, y0 + lit.dy, x0 + lit.dx, lit.c, layer.padValue);
            andValue = Math.min(andValue, lookup(tables[lit.table]!, v));
          }
          orValue = Math.max(orValue, andValue);
        }
        out[(oy * ow + ox) * oc + t] = orValue;
      });
    }
  }
}

type Activate = (v: number, activation: number | undefined) => number;

function runSummator(layer: SummatorLayer, x: Int8Array, out: Int8Array, activate: Activate): void {
  layer.neurons.forEach((neuron, n) => {
    let acc = neuron.bias;
    for (const term of neuron.terms) acc += term.weight * x[term.input]!;
    out[n] = activate(requantize(acc, layer.requant), layer.activation);
  });
}

function runDense(layer: DenseLayer, x: Int8Array, out: Int8Array, activate: Activate): void {
  const inputs = x.length;
  for (let u = 0; u < layer.units; u++) {
    let acc = layer.bias[u]!;
    const row = u * inputs;
    for (let i = 0; i < inputs; i++) acc += layer.weights[row + i]! * x[i]!;
    out[u] = activate(requantize(acc, layer.requant), layer.activation);
  }
}

function runConv2d(layer: Conv2dLayer, x: Int8Array, out: Int8Array, activate: Activate): void {
  const [h, w, c] = layer.inputShape;
  const [oh, ow] = layer.outputShape;
  const [kh, kw] = layer.kernel;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const y0 = oy * layer.stride[0] - layer.padding[0];
      const x0 = ox * layer.stride[1] - layer.padding[1];
      for (let f = 0; f < layer.filters; f++) {
        let acc = layer.bias[f]!;
        let wi = f * kh * kw * c;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++)
            for (let ch = 0; ch < c; ch++) acc += layer.weights[wi++]! * readPadded(x, h, w, c, y0 + ky, x0 + kx, ch, layer.padValue);
        out[(oy * ow + ox) * layer.filters + f] = activate(requantize(acc, layer.requant), layer.activation);
      }
    }
  }
}

function runMaxPool(layer: MaxPoolLayer, x: Int8Array, out: Int8Array): void {
  const [, w, c] = layer.inputShape;
  const [oh, ow] = layer.outputShape;
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let ch = 0; ch < c; ch++) {
        let m = -128;
        for (let py = 0; py < layer.pool[0]; py++)
          for (let px = 0; px < layer.pool[1]; px++) {
            const iy = oy * layer.stride[0] + py;
            const ix = ox * layer.stride[1] + px;
            m = Math.max(m, x[(iy * w + ix) * c + ch]!);
          }
        out[(oy * ow + ox) * c + ch] = m;
      }
}
