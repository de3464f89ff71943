/**
 * Lowers an int8 graph to the uniform table / min-max / linear form of src/robustness/flat.ts:
 * each layer through its kind's `robustness` form (src/kinds/<kind>.ts).
 */
import { INPUT_ID, shapeSize, type Graph } from "../ir/index.js";
import { kindOf } from "../kinds/registry.js";
import { RobustnessUsageError, type FlatGraph, type FlatLayer } from "./flat.js";

export { RobustnessUsageError } from "./flat.js";

/** Lowers a graph; refuses models that are not classifiers. */
export function flattenGraph(graph: Graph): FlatGraph {
  // Layers form a chain (every layer reads one other and all contribute to the output).
  let prev = INPUT_ID;
  for (const layer of graph.layers) {
    if (layer.input !== prev || layer.other !== undefined) {
      throw new RobustnessUsageError(`model "${graph.name}": the robustness tools analyse chains of layers; layer "${layer.id}" does not just read the previous layer`);
    }
    prev = layer.id;
  }
  const layers: FlatLayer[] = [];
  let endsInArgmax = false;
  graph.layers.forEach((layer, i) => {
    const form = kindOf(layer).robustness(layer, graph.tables);
    if (form !== "decision") {
      layers.push(form);
    } else if (i === graph.layers.length - 1) {
      endsInArgmax = true;
    } else {
      throw new RobustnessUsageError(`model "${graph.name}": an ${layer.kind} layer must be the output layer`);
    }
  });
  const scoreLayer = layers.length - 1;
  const classes = scoreLayer >= 0 ? layers[scoreLayer]!.size : shapeSize(graph.inputShape);
  if (classes < 2) {
    throw new RobustnessUsageError(
      `model "${graph.name}" is not a classifier: robustness needs an argmax output or a score vector of at least 2 classes (it has ${classes})`,
    );
  }
  return { graph, inputShape: graph.inputShape, inputSize: shapeSize(graph.inputShape), layers, scoreLayer, classes, endsInArgmax };
}
