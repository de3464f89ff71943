/**
 * Importers of third-party model files. `importModel` turns a file strongnet does not write
 * (TFLite `.tflite`, ONNX `.onnx`) into a strongnet model file; src/format/load.ts calls it for
 * those extensions, so every command that takes a model takes them too (a float ONNX model needs
 * `strongnet import --calibrate` first).
 */
import { convertTflite, type ConvertOptions } from "./tflite/convert.js";
import { readTfliteFile } from "./tflite/read.js";
import { importOnnxFile, type OnnxImportOptions } from "./onnx/index.js";
import type { ModelFileInput } from "../format/schema.js";

export { convertTflite, SUPPORTED_OPS as TFLITE_OPERATORS } from "./tflite/convert.js";
export { readTflite, readTfliteFile } from "./tflite/read.js";
export { convertOnnx, importOnnxFile, readOnnx, readOnnxFile, ONNX_OPERATORS, MICROSOFT_OPERATORS, type OnnxImportOptions } from "./onnx/index.js";

/** File extensions an importer reads. */
export const IMPORTED_EXTENSIONS = [".tflite", ".onnx"] as const;

export const isImported = (path: string): boolean => IMPORTED_EXTENSIONS.some((e) => path.toLowerCase().endsWith(e));

export const isOnnx = (path: string): boolean => path.toLowerCase().endsWith(".onnx");

export type ImportOptions = ConvertOptions & OnnxImportOptions;

export function importModel(path: string, options: ImportOptions = {}): ModelFileInput {
  if (isOnnx(path)) return importOnnxFile(path, options);
  return convertTflite(readTfliteFile(path), options);
}
