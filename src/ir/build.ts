/**
 * Turns a schema-valid model file into the int8 graph, checking everything that needs more than
 * one field: ids, references and cycles here; shapes, index ranges, the literal bound and that no
 * int32 accumulator can overflow (so the generated C has no signed-overflow UB) in each kind's
 * `build` (src/kinds/<kind>.ts).
 */
import { ModelError } from "../format/errors.js";
import { modelHash } from "../format/load.js";
import type { ModelFile } from "../format/schema.js";
import { buildLayer, KINDS, type LayerSpec } from "../kinds/registry.js";
import { decodeTable } from "./checks.js";
import { INPUT_ID, type Graph, type Layer, type Shape } from "./types.js";

export { decodeInt8, decodeTable, encodeInt8, TABLE_SIZE } from "./checks.js";

export function buildGraph(model: ModelFile): Graph {
  const tables = model.tables.map((t, i) => decodeTable(t, `tables[${i}]`));
  const order = executionOrder(model);
  checkTensorSize(model.input.shape, "input.shape");
  const shapes = new Map<string, Shape>([[INPUT_ID, model.input.shape]]);
  const kinds = new Map<string, string>();
  const layers: Layer[] = [];
  for (const index of order) {
    const spec = model.layers[index]!;
    const path = `layers[${index}]`;
    const inputShape = shapes.get(spec.input)!;
    const other = inputsOf(spec)[1]?.[1];
    const otherShape = other === undefined ? {} : { otherShape: shapes.get(other)! };
    const inputKind = kinds.get(spec.input);
    const layer = buildLayer(spec, { inputShape, path, tables: tables.length, maxLiterals: model.maxLiterals, ...otherShape, ...(inputKind ? { inputKind } : {}) });
    checkTensorSize(layer.outputShape, path);
    shapes.set(layer.id, layer.outputShape);
    kinds.set(layer.id, layer.kind);
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
    inputsOf(layer).forEach(([field, id]) => {
      if (id !== INPUT_ID && !byId.has(id)) throw new ModelError(`layers[${i}].${field}`, `no layer has id "${id}"`);
    });
  });
  if (!byId.has(model.output)) throw new ModelError("output", `no layer has id "${model.output}"`);

  // Depth-first from the output through every input: a layer comes after all it reads
  // (post-order), a layer met again on the current path closes a cycle.
  const order: number[] = [];
  const done = new Set<number>();
  const path: number[] = [];
  const visit = (id: string) => {
    if (id === INPUT_ID) return;
    const index = byId.get(id)!;
    if (done.has(index)) return;
    if (path.includes(index)) {
      const cycle = [...path.slice(path.indexOf(index)), index].map((i) => model.layers[i]!.id).reverse();
      throw new ModelError(`layers[${index}].input`, `cycle: ${cycle.join(" -> ")}`);
    }
    path.push(index);
    for (const [, input] of inputsOf(model.layers[index]!)) visit(input);
    path.pop();
    done.add(index);
    order.push(index);
  };
  visit(model.output);
  model.layers.forEach((layer, i) => {
    if (!done.has(i)) {
      throw new ModelError(`layers[${i}]`, `layer "${layer.id}" does not contribute to the output "${model.output}"`);
    }
  });
  return order;
}

/** The largest tensor a model may have: far beyond any microcontroller, small enough to never exhaust the host. */
export const MAX_TENSOR_VALUES = 2 ** 24;

function checkTensorSize(shape: Shape, path: string): void {
  const size = shape[0] * shape[1] * shape[2];
  if (size > MAX_TENSOR_VALUES) throw new ModelError(path, `a tensor of ${shape.join("x")} = ${size} values is larger than ${MAX_TENSOR_VALUES} (16 Mi)`);
}

/** The tensors a layer reads, with the field naming each: its input, and a two-input kind's other. */
function inputsOf(spec: LayerSpec): [string, string][] {
  const other = KINDS[spec.kind].twoInputs ? (spec as { other?: unknown }).other : undefined;
  return typeof other === "string" ? [["input", spec.input], ["other", other]] : [["input", spec.input]];
}

