/**
 * Importers of third-party model files. `importModel` turns a file strongnet does not write
 * (today: TFLite `.tflite`) into a strongnet model file; src/format/load.ts calls it for those
 * extensions, so every command that takes a model takes them too.
 */
import { convertTflite, type ConvertOptions } from "./tflite/convert.js";
import { readTfliteFile } from "./tflite/read.js";
import type { ModelFileInput } from "../format/schema.js";

export { convertTflite, SUPPORTED_OPS as TFLITE_OPERATORS } from "./tflite/convert.js";
export { readTflite, readTfliteFile } from "./tflite/read.js";

/** File extensions an importer reads. */
export const IMPORTED_EXTENSIONS = [".tflite"] as const;

export const isImported = (path: string): boolean => IMPORTED_EXTENSIONS.some((e) => path.toLowerCase().endsWith(e));

export function importModel(path: string, options: ConvertOptions = {}): ModelFileInput {
  return convertTflite(readTfliteFile(path), options);
}
