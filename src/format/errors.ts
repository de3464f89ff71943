/**
 * Every refusal of a model file is a ModelError: it names the field (a JSON path such as
 * `layers[2].neurons[5].groups[0][1].input`) and the reason, so the CLI can print one line
 * instead of a stack trace.
 */
export class ModelError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(field ? `${field}: ${reason}` : reason);
    this.name = "ModelError";
  }
}

/** Formats a zod issue path (["layers", 2, "weights"]) as `layers[2].weights`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
