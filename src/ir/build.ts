/**
 * Turns a schema-valid model file into the int8 graph, checking everything that needs more than
 * one field: ids, references, cycles, shapes, index ranges, the literal bound, and that no
 * int32 accumulator can overflow (so the generated C has no signed-overflow UB).
 */
import { ModelError } from "../format/errors.js";
import { modelHash } from "../format/load.js";
import type { LayerSpec, ModelFile } from "../format/schema.js";
import {
  INPUT_ID,
  shapeSize,
  type Graph,
  type Layer,
  type Shape,
  type SpatialLiteral,
  type StrongNeuron,
  type Window2d,
} from "./types.js";

const INT32_MAX = 2 ** 31 - 1;
export const TABLE_SIZE = 256;
/** argmax writes the class index as int8 */
export const MAX_ARGMAX_CLASSES = 128;

export function buildGraph(model: ModelFile): Graph {
  const tables = model.tables.map((t, i) => decodeTable(t, `tables[${i}]`));
  const order = executionOrder(model);
  const shapes = new Map<string, Shape>([[INPUT_ID, model.input.shape]]);
  const layers: Layer[] = [];
  for (const index of order) {
    const spec = model.layers[index]!;
    const path = `layers[${index}]`;
    const inputShape = shapes.get(spec.input)!;
    const layer = buildLayer(spec, inputShape, path, { tables: tables.length, maxLiterals: model.maxLiterals });
    shapes.set(layer.id, layer.outputShape);
    layers.push(layer);
  }
  return {
    name: model.name,
    description: model.description,
    hash: modelHash(model),
    inputShape: model.input.shape,
    maxLiterals: model.maxLiterals,
    tables,
    layers,
    outputId: model.output,
    outputShape: shapes.get(model.output)!,
    metadata: model.metadata,
  };
}

export function decodeTable(text: string, field: string): Int8Array {
  const bytes = decodeInt8(text);
  if (bytes.length !== TABLE_SIZE) {
    throw new ModelError(field, `a table has ${TABLE_SIZE} entries, this one decodes to ${bytes.length} bytes`);
  }
  return bytes;
}

/** base64 -> int8 (the schema has already checked the base64 alphabet and padding) */
export function decodeInt8(text: string): Int8Array {
  const buf = Buffer.from(text, "base64");
  return new Int8Array(buf.buffer, buf.byteOffset, buf.length).slice();
}

export function encodeInt8(values: ArrayLike<number>): string {
  return Buffer.from(Int8Array.from(values as ArrayLike<number>).buffer).toString("base64");
}

/**
 * Checks ids and references and returns the layer indices in an order where every layer comes
 * after its input, keeping file order where possible. Refuses cycles and layers the output
 * does not need (dead layers would still cost flash in a naive reading of the file).
 */
function executionOrder(model: ModelFile): number[] {
  const byId = new Map<string, number>();
  model.layers.forEach((layer, i) => {
    if (layer.id === INPUT_ID) throw new ModelError(`layers[${i}].id`, `"${INPUT_ID}" is reserved for the model input`);
    if (byId.has(layer.id)) {
      throw new ModelError(`layers[${i}].id`, `duplicate id "${layer.id}" (first used by layers[${byId.get(layer.id)}])`);
    }
    byId.set(layer.id, i);
  });
  model.layers.forEach((layer, i) => {
    if (layer.input !== INPUT_ID && !byId.has(layer.input)) {
      throw new ModelError(`layers[${i}].input`, `no layer has id "${layer.input}"`);
    }
  });
  if (!byId.has(model.output)) throw new ModelError("output", `no layer has id "${model.output}"`);

  // Walk back from the output: the chain of inputs must reach "input" without revisiting a layer.
  const needed: number[] = [];
  const seen = new Set<number>();
  let current = model.output;
  while (current !== INPUT_ID) {
    const index = byId.get(current)!;
    if (seen.has(index)) {
      const cycle = [...needed.slice(needed.indexOf(index)), index].map((i) => model.layers[i]!.id).reverse();
      throw new ModelError(`layers[${index}].input`, `cycle: ${cycle.join(" -> ")}`);
    }
    seen.add(index);
    needed.push(index);
    current = model.layers[index]!.input;
  }
  model.layers.forEach((layer, i) => {
    if (!seen.has(i)) {
      throw new ModelError(`layers[${i}]`, `layer "${layer.id}" does not contribute to the output "${model.output}"`);
    }
  });
  return needed.reverse();
}

interface Limits {
  tables: number;
  maxLiterals: number;
}

function buildLayer(spec: LayerSpec, inputShape: Shape, path: string, limits: Limits): Layer {
  const common = { id: spec.id, input: spec.input, inputShape, path };
  const inputSize = shapeSize(inputShape);
  switch (spec.kind) {
    case "lut":
      checkTable(spec.table, `${path}.table`, limits);
      return { ...common, kind: "lut", table: spec.table, outputShape: inputShape };

    case "strong":
      spec.neurons.forEach((neuron, n) => {
        const at = `${path}.neurons[${n}]`;
        checkLiteralCount(neuron.groups, at, limits);
        neuron.groups.forEach((group, g) =>
          group.forEach((lit, j) => {
            const litPath = `${at}.groups[${g}][${j}]`;
            checkIndex(lit.input, inputSize, `${litPath}.input`, "input");
            checkTable(lit.table, `${litPath}.table`, limits);
          }),
        );
      });
      return { ...common, kind: "strong", neurons: spec.neurons.map((n) => n.groups), outputShape: [1, 1, spec.neurons.length] };

    case "strong_conv": {
      const window = windowOf(spec);
      const [oh, ow] = windowOutput(inputShape, window, path);
      spec.templates.forEach((template, t) => {
        const at = `${path}.templates[${t}]`;
        checkLiteralCount(template.groups, at, limits);
        template.groups.forEach((group, g) =>
          group.forEach((lit, j) => checkSpatialLiteral(lit, `${at}.groups[${g}][${j}]`, window, inputShape, limits)),
        );
      });
      const templates: StrongNeuron<SpatialLiteral>[] = spec.templates.map((t) => t.groups);
      return { ...common, ...window, kind: "strong_conv", templates, outputShape: [oh, ow, spec.templates.length] };
    }

    case "summator": {
      checkOptionalTable(spec.activation, `${path}.activation`, limits);
      spec.neurons.forEach((neuron, n) => {
        const at = `${path}.neurons[${n}]`;
        neuron.terms.forEach((term, j) => checkIndex(term.input, inputSize, `${at}.terms[${j}].input`, "input"));
        checkAccumulator(neuron.bias, neuron.terms.map((t) => t.weight), at);
      });
      return { ...common, kind: "summator", requant: spec.requant, activation: spec.activation, neurons: spec.neurons, outputShape: [1, 1, spec.neurons.length] };
    }

    case "dense": {
      checkOptionalTable(spec.activation, `${path}.activation`, limits);
      const weights = decodeInt8(spec.weights);
      expectLength(weights.length, spec.units * inputSize, `${path}.weights`, `units (${spec.units}) x inputs (${inputSize})`);
      expectLength(spec.bias.length, spec.units, `${path}.bias`, "units");
      for (let u = 0; u < spec.units; u++) {
        checkAccumulator(spec.bias[u]!, weights.subarray(u * inputSize, (u + 1) * inputSize), `${path}.bias[${u}]`);
      }
      return { ...common, kind: "dense", units: spec.units, weights, bias: Int32Array.from(spec.bias), requant: spec.requant, activation: spec.activation, outputShape: [1, 1, spec.units] };
    }

    case "conv2d": {
      checkOptionalTable(spec.activation, `${path}.activation`, limits);
      const window = windowOf(spec);
      const [oh, ow] = windowOutput(inputShape, window, path);
      const perFilter = spec.kernel[0] * spec.kernel[1] * inputShape[2];
      const weights = decodeInt8(spec.weights);
      expectLength(weights.length, spec.filters * perFilter, `${path}.weights`, `filters (${spec.filters}) x kernel (${spec.kernel.join("x")}) x input channels (${inputShape[2]})`);
      expectLength(spec.bias.length, spec.filters, `${path}.bias`, "filters");
      for (let f = 0; f < spec.filters; f++) {
        checkAccumulator(spec.bias[f]!, weights.subarray(f * perFilter, (f + 1) * perFilter), `${path}.bias[${f}]`);
      }
      return { ...common, ...window, kind: "conv2d", filters: spec.filters, weights, bias: Int32Array.from(spec.bias), requant: spec.requant, activation: spec.activation, outputShape: [oh, ow, spec.filters] };
    }

    case "maxpool": {
      const stride = spec.stride ?? spec.pool;
      const window: Window2d = { kernel: spec.pool, stride, padding: [0, 0, 0, 0], padValue: -128 };
      const [oh, ow] = windowOutput(inputShape, window, path);
      return { ...common, kind: "maxpool", pool: spec.pool, stride, outputShape: [oh, ow, inputShape[2]] };
    }

    case "argmax":
      if (inputSize > MAX_ARGMAX_CLASSES) {
        throw new ModelError(`${path}.input`, `argmax over ${inputSize} values; the class index is int8, so at most ${MAX_ARGMAX_CLASSES}`);
      }
      return { ...common, kind: "argmax", outputShape: [1, 1, 1] };
  }
}

function windowOf(spec: { kernel: [number, number]; stride: [number, number]; padding: [number, number, number, number]; padValue: number }): Window2d {
  return { kernel: spec.kernel, stride: spec.stride, padding: spec.padding, padValue: spec.padValue };
}

function windowOutput(input: Shape, w: Window2d, path: string): [number, number] {
  const [top, left, bottom, right] = w.padding;
  const spanH = input[0] + top + bottom - w.kernel[0];
  const spanW = input[1] + left + right - w.kernel[1];
  if (spanH < 0 || spanW < 0) {
    throw new ModelError(`${path}.kernel`, `window ${w.kernel.join("x")} is larger than the padded input ${input[0] + top + bottom}x${input[1] + left + right}`);
  }
  if (w.padding[0] >= w.kernel[0] || w.padding[2] >= w.kernel[0] || w.padding[1] >= w.kernel[1] || w.padding[3] >= w.kernel[1]) {
    throw new ModelError(`${path}.padding`, `padding must be smaller than the kernel (${w.kernel.join("x")}), got [${w.padding.join(", ")}]`);
  }
  return [Math.floor(spanH / w.stride[0]) + 1, Math.floor(spanW / w.stride[1]) + 1];
}

function checkSpatialLiteral(lit: SpatialLiteral, path: string, w: Window2d, input: Shape, limits: Limits): void {
  checkIndex(lit.dy, w.kernel[0], `${path}.dy`, "kernel height");
  checkIndex(lit.dx, w.kernel[1], `${path}.dx`, "kernel width");
  checkIndex(lit.c, input[2], `${path}.c`, "input channels");
  checkTable(lit.table, `${path}.table`, limits);
}

function checkLiteralCount(groups: readonly (readonly unknown[])[], path: string, limits: Limits): void {
  const count = groups.reduce((sum, g) => sum + g.length, 0);
  if (count > limits.maxLiterals) {
    throw new ModelError(`${path}.groups`, `${count} literals, more than maxLiterals (${limits.maxLiterals})`);
  }
}

function checkIndex(value: number, bound: number, path: string, what: string): void {
  if (value >= bound) throw new ModelError(path, `index ${value} is out of range (${what} has ${bound})`);
}

function checkTable(table: number, path: string, limits: Limits): void {
  checkIndex(table, limits.tables, path, "tables");
}

function checkOptionalTable(table: number | undefined, path: string, limits: Limits): void {
  if (table !== undefined) checkTable(table, path, limits);
}

function expectLength(actual: number, expected: number, path: string, what: string): void {
  if (actual !== expected) throw new ModelError(path, `expected ${expected} values (${what}), got ${actual}`);
}

/** The worst-case |acc| must fit int32 so C never overflows a signed accumulator. */
function checkAccumulator(bias: number, weights: ArrayLike<number>, path: string): void {
  let worst = Math.abs(bias);
  for (let i = 0; i < weights.length; i++) worst += 128 * Math.abs(weights[i]!);
  if (worst > INT32_MAX) {
    throw new ModelError(path, `worst-case accumulator ${worst} overflows int32; reduce the bias or weights`);
  }
}
