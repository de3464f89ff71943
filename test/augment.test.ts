import { describe, expect, it } from "vitest";
import { makeDataset } from "../src/datasets/types.js";
import { AUGMENT_SHIFTS, withShiftedCopies } from "../src/train/augment.js";

describe("read-out augmentation (one-pixel shifts)", () => {
  // two 3x4 one-channel images with distinct pixel values, labels 3 and 7
  const pixels = Int8Array.from({ length: 24 }, (_, i) => i - 12);
  const ds = makeDataset("tiny", [3, 4, 1], 10, pixels, Uint8Array.from([3, 7]));
  const out = withShiftedCopies(ds);
  const at = (img: number, y: number, x: number) => out.pixels[img * 12 + y * 4 + x]!;
  const src = (img: number, y: number, x: number) => pixels[img * 12 + y * 4 + x]!;

  it("keeps the originals first, then each shift of every image, labels repeated", () => {
    expect(out.count).toBe(2 * (1 + AUGMENT_SHIFTS.length));
    expect(Array.from(out.labels)).toEqual([3, 7, 3, 7, 3, 7, 3, 7, 3, 7]);
    expect(Array.from(out.pixels.subarray(0, 24))).toEqual(Array.from(pixels));
  });

  it("moves the content by (dy, dx) and repeats the edge pixel where the shift uncovers the image", () => {
    AUGMENT_SHIFTS.forEach(([dy, dx], k) => {
      for (let img = 0; img < 2; img++) {
        const copy = 2 * (k + 1) + img;
        for (let y = 0; y < 3; y++) {
          for (let x = 0; x < 4; x++) {
            const sy = Math.min(2, Math.max(0, y - dy));
            const sx = Math.min(3, Math.max(0, x - dx));
            expect(at(copy, y, x), `shift (${dy}, ${dx}) image ${img} at (${y}, ${x})`).toBe(src(img, sy, sx));
          }
        }
      }
    });
    // spot check without the formula: shifted right by one, row 0 of image 0 is -12 -12 -11 -10
    const right = AUGMENT_SHIFTS.findIndex(([dy, dx]) => dy === 0 && dx === 1);
    expect([0, 1, 2, 3].map((x) => at(2 * (right + 1), 0, x))).toEqual([-12, -12, -11, -10]);
  });
});
