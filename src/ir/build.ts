/**
 * Turns a schema-valid model file into the int8 graph, checking everything that needs more than
 * one field: ids, references and cycles here; shapes, index ranges, the literal bound and that no
 * int32 accumulator can overflow (so the generated C has no signed-overflow UB) in each kind's
 * `build` (src/kinds/<kind>.ts).
 */
import { ModelError } from "../format/errors.js";
import { modelHash } from "../format/load.js";
import type { ModelFile } from "../format/schema.js";
import { buildLayer } from "../kinds/registry.js";
import { decodeTable } from "./checks.js";
import { INPUT_ID, type Graph, type Layer, type Shape } from "./types.js";

export { decodeInt8, decodeTable, encodeInt8, TABLE_SIZE } from "./checks.js";

export function buildGraph(model: ModelFile): Graph {
  const tables = model.tables.map((t, i) => decodeTable(t, `tables[${i}]`));
  const order = executionOrder(model);
  const shapes = new Map<string, Shape>([[INPUT_ID, model.input.shape]]);
  const layers: Layer[] = [];
  for (const index of order) {
    const spec = model.layers[index]!;
    const path = `layers[${index}]`;
    const inputShape = shapes.get(spec.input)!;
    const layer = buildLayer(spec, { inputShape, path, tables: tables.length, maxLiterals: model.maxLiterals });
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

