/**
 * An image classification data set in the form every strongnet stage consumes: int8 HWC images
 * (the model input format), one class label per image.
 *
 * Storage: all images of a split live in ONE packed Int8Array (`pixels`, image i at
 * `pixels[i * imageSize .. (i + 1) * imageSize)`); `images[i]` is a zero-copy subarray view of
 * image i, so both per-image and bulk access are cheap.
 */
export interface Dataset {
  /** e.g. "mnist/train" */
  name: string;
  /** [height, width, channels], HWC like model inputs */
  shape: [number, number, number];
  /** number of classes; labels are 0 .. classes-1 */
  classes: number;
  /** number of images */
  count: number;
  /** all images, packed: count * height * width * channels int8 values */
  pixels: Int8Array;
  /** image i as a view into `pixels` (no copy) */
  images: Int8Array[];
  labels: Uint8Array;
}

export interface DatasetSplits {
  train: Dataset;
  test: Dataset;
}

/** Pixel conversion used by every loader: byte 0..255 -> int8 (byte - 128); 0 (no ink) -> -128. */
export const byteToInt8 = (b: number): number => b - 128;

/** Builds a Dataset around a packed pixel buffer. */
export function makeDataset(
  name: string,
  shape: [number, number, number],
  classes: number,
  pixels: Int8Array,
  labels: Uint8Array,
): Dataset {
  const size = shape[0] * shape[1] * shape[2];
  const count = labels.length;
  if (pixels.length !== count * size) {
    throw new Error(`${name}: ${pixels.length} pixel values for ${count} images of ${size} values`);
  }
  for (let i = 0; i < count; i++) {
    if (labels[i]! >= classes) throw new Error(`${name}: label ${labels[i]} of image ${i} is not below ${classes}`);
  }
  const images = Array.from({ length: count }, (_, i) => pixels.subarray(i * size, (i + 1) * size));
  return { name, shape, classes, count, pixels, images, labels };
}

/** The first n images of a data set (views, no copy). */
export function takeFirst(ds: Dataset, n: number): Dataset {
  const count = Math.min(n, ds.count);
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  return makeDataset(`${ds.name}[0:${count}]`, ds.shape, ds.classes, ds.pixels.subarray(0, count * size), ds.labels.subarray(0, count));
}
