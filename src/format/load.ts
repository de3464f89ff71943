import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { importModel, isImported } from "../import/index.js";
import { writeFileAtomic } from "../util/fs.js";
import { findDuplicateKey } from "./duplicate-keys.js";
import { ModelError, formatPath } from "./errors.js";
import { FORMAT_NAME, FORMAT_VERSION, modelFileSchema, type ModelFile, type ModelFileInput } from "./schema.js";

/** Parses an already-decoded JSON value; throws ModelError naming the first bad field. */
export function parseModel(json: unknown): ModelFile {
  checkVersion(json);
  checkDepth(json);
  const result = modelFileSchema.safeParse(json);
  if (!result.success) throw zodToModelError(result.error);
  return result.data;
}

/** Reads and parses a model file from disk; a `.tflite` file is imported first (src/import). */
export function loadModelFile(path: string): ModelFile {
  if (isImported(path)) return parseModel(importModel(path));
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ModelError("", `cannot read model file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (text.startsWith("\uFEFF")) {
    throw new ModelError("", `${path} starts with a UTF-8 byte order mark (EF BB BF); save it as UTF-8 without BOM`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelError("", `${path} is not valid JSON: ${(err as Error).message}`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) throw new ModelError(duplicate, `appears twice in the same object (JSON keeps only the last; remove one)`);
  return parseModel(json);
}

/** Writes a model file atomically (temp file + rename) after validating it. */
export function saveModelFile(path: string, model: ModelFileInput): void {
  const parsed = parseModel(model);
  writeFileAtomic(path, serializeModel(parsed));
}

export function serializeModel(model: ModelFile): string {
  return JSON.stringify(model, null, 1) + "\n";
}

/** A stable identity for a model: sha256 of its canonical serialization. */
export function modelHash(model: ModelFile): string {
  return createHash("sha256").update(JSON.stringify(model)).digest("hex");
}

/** Deeper JSON than any model needs: refused before anything recurses through it (the model hash does). */
export const MAX_JSON_DEPTH = 64;

function checkDepth(json: unknown): void {
  const stack: [unknown, number, string][] = [[json, 0, ""]];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) throw new ModelError(path, `nested more than ${MAX_JSON_DEPTH} levels deep`);
    for (const [key, child] of Object.entries(value)) {
      stack.push([child, depth + 1, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key]);
    }
  }
}

/** A wrong format name or version deserves its own message, not a generic literal mismatch. */
function checkVersion(json: unknown): void {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ModelError("", "a model file must be a JSON object");
  }
  const { format, version } = json as Record<string, unknown>;
  if (format !== FORMAT_NAME) {
    throw new ModelError("format", `expected "${FORMAT_NAME}", got ${JSON.stringify(format)}`);
  }
  if (version !== FORMAT_VERSION) {
    throw new ModelError(
      "version",
      `unsupported version ${JSON.stringify(version)} (this strongnet reads version ${FORMAT_VERSION})`,
    );
  }
}

function zodToModelError(error: z.ZodError): ModelError {
  const issue = error.issues[0]!;
  return new ModelError(formatPath(issue.path), issue.message);
}
