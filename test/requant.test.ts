import { describe, expect, it } from "vitest";
import { requantFromScale, requantize } from "../src/reference/requant.js";
import { Rng } from "../src/util/random.js";

/** Independent oracle: the rule written directly in BigInt arithmetic. */
function oracle(acc: number, multiplier: number, shift: number, offset: number): number {
  const x = BigInt(acc) * BigInt(multiplier) + (shift > 0 ? 1n << BigInt(shift - 1) : 0n);
  const d = 1n << BigInt(shift);
  // BigInt division truncates toward zero; make it a floor.
  let q = x / d;
  if (x % d !== 0n && x < 0n) q -= 1n;
  const y = Number(q) + offset;
  return Math.max(-128, Math.min(127, y));
}

describe("requantize", () => {
  it("matches a BigInt oracle over the whole parameter range, both fast and slow paths", () => {
    const rng = new Rng(42);
    for (let i = 0; i < 200_000; i++) {
      const acc = rng.pick([rng.int(-1000, 1000), rng.int(-(2 ** 31), 2 ** 31 - 1), rng.int(-70000, 70000)]);
      const multiplier = rng.pick([1, rng.int(1, 2 ** 16), rng.int(1, 2 ** 31 - 1)]);
      const shift = rng.int(0, 62);
      const offset = rng.int(-128, 127);
      expect(requantize(acc, { multiplier, shift, offset })).toBe(oracle(acc, multiplier, shift, offset));
    }
  });

  it("rounds halves up (toward +infinity) and floors negative values", () => {
    // 2^1 divides: 3/2 = 1.5 -> 2, -3/2 = -1.5 -> -1, -5/2 = -2.5 -> -2
    expect(requantize(3, { multiplier: 1, shift: 1, offset: 0 })).toBe(2);
    expect(requantize(-3, { multiplier: 1, shift: 1, offset: 0 })).toBe(-1);
    expect(requantize(-5, { multiplier: 1, shift: 1, offset: 0 })).toBe(-2);
    expect(requantize(1000, { multiplier: 1, shift: 0, offset: 0 })).toBe(127);
    expect(requantize(-1000, { multiplier: 1, shift: 0, offset: 5 })).toBe(-128);
  });

  it("requantFromScale approximates real scales to within one step", () => {
    const rng = new Rng(3);
    for (let i = 0; i < 2000; i++) {
      const scale = Math.exp(rng.next() * 20 - 15);
      const rq = requantFromScale(scale);
      expect(rq.multiplier).toBeLessThan(2 ** 31);
      expect(rq.multiplier).toBeGreaterThanOrEqual(2 ** 30 - 1);
      const acc = rng.int(-1000, 1000);
      const exact = Math.max(-128, Math.min(127, acc * scale));
      expect(Math.abs(requantize(acc, rq) - exact)).toBeLessThanOrEqual(1);
    }
    expect(() => requantFromScale(0)).toThrow(/positive/);
  });
});
