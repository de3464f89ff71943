/**
 * Budget values as people write them: sizes such as 65536, "64K", "64KB", "64KiB", "1.5M",
 * and durations such as 250, "250us", "250µs", "1.5ms", "0.002s". K and M are binary (1024,
 * 1048576), as flash and RAM sizes are quoted in data sheets.
 */

export class UnitError extends Error {
  override name = "UsageError";
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2 };
const TIME_UNITS: Record<string, number> = { "": 1, us: 1, "µs": 1, "μs": 1, ms: 1000, s: 1e6 };

const NUMBER = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Zµμ]*)\s*$/;

/** Bytes from 65536, "64K", "1.5M", "512B" (a whole number of bytes, > 0). Throws UnitError naming `what`. */
export function parseSize(value: string | number, what: string): number {
  const fail = () =>
    new UnitError(`${what}: ${JSON.stringify(value)} is not a size; write bytes or a K/M suffix (binary), e.g. 65536, 64K, 1.5M`);
  let bytes: number;
  if (typeof value === "number") {
    bytes = value;
  } else {
    const m = NUMBER.exec(value);
    if (!m) throw fail();
    const unit = SIZE_UNITS[m[2]!.toLowerCase()];
    if (unit === undefined) throw fail();
    bytes = Number(m[1]) * unit;
  }
  if (!Number.isFinite(bytes) || bytes <= 0) throw new UnitError(`${what}: ${JSON.stringify(value)} must be more than 0 bytes`);
  if (!Number.isInteger(bytes)) throw new UnitError(`${what}: ${JSON.stringify(value)} is not a whole number of bytes (${bytes})`);
  return bytes;
}

/** Microseconds from 250, "250us", "250µs", "1.5ms", "0.002s" (> 0). Throws UnitError naming `what`. */
export function parseMicroseconds(value: string | number, what: string): number {
  const fail = () => new UnitError(`${what}: ${JSON.stringify(value)} is not a duration; write microseconds or a us/ms/s suffix, e.g. 250, 250us, 1.5ms`);
  let us: number;
  if (typeof value === "number") {
    us = value;
  } else {
    const m = NUMBER.exec(value);
    if (!m) throw fail();
    const unit = TIME_UNITS[m[2]!.toLowerCase()] ?? TIME_UNITS[m[2]!];
    if (unit === undefined) throw fail();
    us = Number(m[1]) * unit;
  }
  if (!Number.isFinite(us) || us <= 0) throw new UnitError(`${what}: ${JSON.stringify(value)} must be more than 0 microseconds`);
  return us;
}

/** "10180 B", "9.9 KB", "1.50 MB" (binary units). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(2)} MB`;
}

/** A memory size as data sheets quote it: "512 KiB" when a whole number of KiB, else formatBytes. */
export function formatMemorySize(bytes: number): string {
  return bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : formatBytes(bytes);
}

/** "4646 us", "12.5 ms", "850 ns"-free: microseconds with sensible precision. */
export function formatMicroseconds(us: number): string {
  if (us >= 10_000) return `${(us / 1000).toFixed(1)} ms`;
  if (us >= 100) return `${Math.round(us)} us`;
  if (us >= 10) return `${us.toFixed(1)} us`;
  return `${us.toFixed(2)} us`;
}

/** "2516-4117 us", "9.1-14.8 ms": a range in the unit of its upper end. */
export function formatMicrosecondsRange(lo: number, hi: number): string {
  const h = formatMicroseconds(hi);
  const [number = "", unit = "us"] = h.split(" ");
  const decimals = number.includes(".") ? number.split(".")[1]!.length : 0;
  return `${(unit === "ms" ? lo / 1000 : lo).toFixed(decimals)}-${h}`;
}

export const percent = (part: number, whole: number, digits = 1): string => (whole > 0 ? `${((100 * part) / whole).toFixed(digits)}%` : "n/a");
