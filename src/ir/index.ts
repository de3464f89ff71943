/**
 * The int8 graph, as every stage and test imports it: `from "../ir/index.js"`. Only src/ir itself
 * and the layer kinds (src/kinds, which the graph is built from) import its files directly.
 */
import { loadModelFile } from "../format/load.js";
import { buildGraph } from "./build.js";
import type { Graph } from "./types.js";

export * from "./types.js";
export { buildGraph, encodeInt8, decodeInt8, decodeTable, TABLE_SIZE } from "./build.js";
export { windowOutput, windowOrigin, forEachWindow, pixelIndex, readPadded } from "./window.js";

/** Reads, validates and builds the int8 graph of a model file. */
export function loadGraph(path: string): Graph {
  return buildGraph(loadModelFile(path));
}
