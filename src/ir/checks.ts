/**
 * Validation rules shared by the layer kinds' `build`: each throws a ModelError naming the field.
 */
import { ModelError } from "../format/errors.js";
import { INT32_MAX } from "../format/fields.js";
import type { BuildContext } from "../kinds/shared/kind-module.js";

export const TABLE_SIZE = 256;

export function checkIndex(value: number, bound: number, path: string, what: string): void {
  if (value >= bound) throw new ModelError(path, `index ${value} is out of range (${what} has ${bound})`);
}

export function checkTable(table: number, path: string, ctx: Pick<BuildContext, "tables">): void {
  checkIndex(table, ctx.tables, path, "tables");
}

export function checkOptionalTable(table: number | undefined, path: string, ctx: Pick<BuildContext, "tables">): void {
  if (table !== undefined) checkTable(table, path, ctx);
}

export function checkLiteralCount(groups: readonly (readonly unknown[])[], path: string, ctx: Pick<BuildContext, "maxLiterals">): void {
  const count = groups.reduce((sum, g) => sum + g.length, 0);
  if (count > ctx.maxLiterals) {
    throw new ModelError(`${path}.groups`, `${count} literals, more than maxLiterals (${ctx.maxLiterals})`);
  }
}

export function expectLength(actual: number, expected: number, path: string, what: string): void {
  if (actual !== expected) throw new ModelError(path, `expected ${expected} values (${what}), got ${actual}`);
}

/** The worst-case |acc| must fit int32 so C never overflows a signed accumulator; returns it. */
export function checkAccumulator(bias: number, weights: ArrayLike<number>, path: string): number {
  let worst = Math.abs(bias);
  for (let i = 0; i < weights.length; i++) worst += 128 * Math.abs(weights[i]!);
  if (worst > INT32_MAX) {
    throw new ModelError(path, `worst-case accumulator ${worst} overflows int32; reduce the bias or weights`);
  }
  return worst;
}

/** base64 -> int8 (the schema has already checked the base64 alphabet and padding) */
export function decodeInt8(text: string): Int8Array {
  const buf = Buffer.from(text, "base64");
  return new Int8Array(buf.buffer, buf.byteOffset, buf.length).slice();
}

export function encodeInt8(values: ArrayLike<number>): string {
  return Buffer.from(Int8Array.from(values as ArrayLike<number>).buffer).toString("base64");
}

export function decodeTable(text: string, field: string): Int8Array {
  const bytes = decodeInt8(text);
  if (bytes.length !== TABLE_SIZE) {
    throw new ModelError(field, `a table has ${TABLE_SIZE} entries, this one decodes to ${bytes.length} bytes`);
  }
  return bytes;
}
