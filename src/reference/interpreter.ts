/**
 * The bit-exact reference interpreter: integer-only, written for clarity rather than speed. It is
 * the oracle the generated C is checked against. Each layer kind's semantics is its `run`
 * (src/kinds/<kind>.ts), the twin of its C template (c-templates/layers/<kind>.c.ejs); the fast
 * evaluators of training and robustness are checked against this, never the other way round.
 */
import { INPUT_ID, shapeSize, type Graph, type Layer } from "../ir/index.js";
import { kindOf } from "../kinds/registry.js";

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
    const other = layer.other === undefined ? undefined : outputs.get(layer.other)!;
    outputs.set(layer.id, runLayer(graph, layer, outputs.get(layer.input)!, other));
  }
  outputs.delete(INPUT_ID);
  return { outputs, output: outputs.get(graph.outputId)! };
}

export function predict(graph: Graph, input: Int8Array): Int8Array {
  return runTrace(graph, input).output;
}

/** One layer's output for its input (and its second input, for a two-input kind). */
export function runLayer(graph: Graph, layer: Layer, x: Int8Array, other?: Int8Array): Int8Array {
  const out = new Int8Array(shapeSize(layer.outputShape));
  kindOf(layer).run(layer, x, graph.tables, out, other);
  return out;
}
