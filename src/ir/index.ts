import { loadModelFile } from "../format/load.js";
import { buildGraph } from "./build.js";
import type { Graph } from "./types.js";

export * from "./types.js";
export { buildGraph, encodeInt8, decodeInt8 } from "./build.js";

/** Reads, validates and builds the int8 graph of a model file. */
export function loadGraph(path: string): Graph {
  return buildGraph(loadModelFile(path));
}
