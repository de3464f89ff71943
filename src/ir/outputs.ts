/**
 * What a compiled model hands back: the predicted class (a final argmax, as trained models end)
 * or the class scores before it. `--outputs scores` drops the final argmax so the application can
 * apply its own threshold or combine several inferences.
 */
import { UsageError } from "../cli/errors.js";
import { outputIsClass } from "../kinds/argmax.js";
import type { Graph } from "./types.js";

export const OUTPUT_FORMS = ["class", "scores"] as const;
export type OutputForm = (typeof OUTPUT_FORMS)[number];

/**
 * The graph with the requested output. "class" needs a model whose last layer is an argmax;
 * "scores" removes that argmax (a model without one already outputs its scores). The model's
 * hash stays the file's: the firmware is the same model with one layer fewer.
 */
export function withOutputs(graph: Graph, form: OutputForm | undefined): Graph {
  if (form === undefined) return graph;
  const isClass = outputIsClass(graph);
  if (form === "class") {
    if (!isClass) throw new UsageError(`--outputs class: model "${graph.name}" has no final argmax layer; its output is already ${graph.outputShape.join("x")} values`);
    return graph;
  }
  if (!isClass) return graph;
  const argmax = graph.layers.at(-1)!;
  if (graph.layers.some((l) => l !== argmax && (l.input === argmax.id || l.other === argmax.id))) {
    throw new UsageError(`--outputs scores: the argmax "${argmax.id}" is read by another layer, so it cannot be dropped`);
  }
  const scores = graph.layers.find((l) => l.id === argmax.input);
  if (!scores) throw new UsageError(`--outputs scores: the argmax "${argmax.id}" reads the model input directly; there are no scores to return`);
  return { ...graph, layers: graph.layers.slice(0, -1), outputId: scores.id, outputShape: scores.outputShape };
}
