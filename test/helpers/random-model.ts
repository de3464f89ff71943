/**
 * Random but valid models that use every layer kind, with extreme values on purpose (tables
 * hitting -128/127, large requant multipliers that need 64-bit products, pad values, strides,
 * asymmetric padding, duplicate tables) so the C-vs-reference tests explore the corners.
 */
import type { ModelFileInput } from "../../src/format/schema.js";
import { encodeInt8 } from "../../src/ir/index.js";
import { Rng } from "../../src/util/random.js";

type Spec = ModelFileInput["layers"][number];

export function randomModel(seed: number, name = `random_${seed}`): ModelFileInput {
  const rng = new Rng(seed);
  const tableCount = 6;
  const tables = Array.from({ length: tableCount }, (_, i) => encodeInt8(randomTable(rng, i)));
  tables.push(tables[0]!); // a duplicate, to exercise de-duplication
  const table = () => rng.int(0, tables.length - 1);
  const requant = () => ({
    multiplier: rng.pick([1, rng.int(1, 1000), rng.int(2 ** 20, 2 ** 31 - 1)]),
    shift: rng.int(0, 40),
    offset: rng.int(-20, 20),
  });

  const layers: Spec[] = [];
  let shape: [number, number, number] = [rng.int(6, 11), rng.int(6, 11), rng.int(1, 3)];
  const inputShape = shape;
  let prev = "input";
  const push = (spec: Spec, next: [number, number, number]) => {
    layers.push(spec);
    prev = spec.id;
    shape = next;
  };
  const windowOut = (k: [number, number], s: [number, number], p: number[], d: [number, number] = [1, 1]): [number, number] => [
    Math.floor((shape[0] + p[0]! + p[2]! - ((k[0] - 1) * d[0] + 1)) / s[0]) + 1,
    Math.floor((shape[1] + p[1]! + p[3]! - ((k[1] - 1) * d[1] + 1)) / s[1]) + 1,
  ];
  // kinds added later draw from their own generator, so the layers before them stay as they were
  const extra = new Rng(seed + 104729);
  /** single or TFLite double rounding, sometimes a fused activation range */
  const requantTflite = () => {
    const double = extra.next() < 0.5;
    const range = extra.pick([[-128, 127], [extra.int(-128, 0), 127], [extra.int(-128, -60), extra.int(0, 127)]]) as [number, number];
    return {
      multiplier: double ? extra.int(2 ** 30, 2 ** 31 - 1) : extra.pick([1, extra.int(1, 1000), extra.int(2 ** 20, 2 ** 31 - 1)]),
      shift: double ? extra.int(31, 50) : extra.int(0, 40),
      offset: extra.int(-20, 20),
      ...(double ? { rounding: "double" as const } : {}),
      ...(range[0] > -128 || range[1] < 127 ? { min: range[0], max: range[1] } : {}),
    };
  };
  const perChannel = (channels: number) =>
    extra.next() < 0.5
      ? undefined
      : { multiplier: Array.from({ length: channels }, () => extra.int(2 ** 30, 2 ** 31 - 1)), shift: Array.from({ length: channels }, () => extra.int(31, 45)) };

  // strong_conv
  {
    const kernel: [number, number] = [rng.int(2, 3), rng.int(2, 3)];
    const stride: [number, number] = [rng.int(1, 2), rng.int(1, 2)];
    const padding = [rng.int(0, kernel[0] - 1), rng.int(0, kernel[1] - 1), rng.int(0, kernel[0] - 1), rng.int(0, kernel[1] - 1)] as [number, number, number, number];
    const templates = Array.from({ length: rng.int(2, 5) }, () => ({
      groups: Array.from({ length: rng.int(1, 3) }, () =>
        Array.from({ length: rng.int(1, 4) }, () => ({ dy: rng.int(0, kernel[0] - 1), dx: rng.int(0, kernel[1] - 1), c: rng.int(0, shape[2] - 1), table: table() })),
      ),
    }));
    const [oh, ow] = windowOut(kernel, stride, padding);
    push({ id: "features", kind: "strong_conv", input: prev, kernel, stride, padding, padValue: rng.int(-128, 127), templates }, [oh, ow, templates.length]);
  }
  push({ id: "squash", kind: "lut", input: prev, table: table() }, shape);
  {
    // its own generator, so adding the kind left the other layers of every seed as they were
    const bounds = new Rng(seed + 7919);
    const [min, max] = bounds.pick([[-128, 127], [0, 127], [-128, 0], [-1, 1], [bounds.int(-128, 0), bounds.int(0, 127)]]) as [number, number];
    push({ id: "relu", kind: "clamp", input: prev, min, max }, shape);
  }
  if (shape[0] >= 4 && shape[1] >= 4) {
    // a dilated convolution: taps two apart
    const filters = extra.int(1, 3);
    const kernel: [number, number] = [2, 2];
    const padding = [extra.int(0, 2), extra.int(0, 2), extra.int(0, 2), extra.int(0, 2)] as [number, number, number, number];
    const [oh, ow] = windowOut(kernel, [1, 1], padding, [2, 2]);
    push(
      {
        id: "dilated", kind: "conv2d", input: prev, filters, kernel, dilation: [2, 2], padding, padValue: extra.int(-128, 127),
        weights: encodeInt8(extra.int8Array(filters * 4 * shape[2])),
        bias: Array.from({ length: filters }, () => extra.int(-100000, 100000)),
        requant: requantTflite(), perChannel: perChannel(filters),
      },
      [oh, ow, filters],
    );
  }
  {
    const depthMultiplier = extra.int(1, 2);
    const kernel: [number, number] = [extra.int(1, Math.min(3, shape[0])), extra.int(1, Math.min(3, shape[1]))];
    const dilation: [number, number] = [kernel[0] > 1 && shape[0] >= 5 ? extra.int(1, 2) : 1, kernel[1] > 1 && shape[1] >= 5 ? extra.int(1, 2) : 1];
    const eff = [(kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1];
    const padding = [extra.int(0, eff[0]! - 1), extra.int(0, eff[1]! - 1), extra.int(0, eff[0]! - 1), extra.int(0, eff[1]! - 1)] as [number, number, number, number];
    const stride: [number, number] = [extra.int(1, 2), extra.int(1, 2)];
    const outChannels = shape[2] * depthMultiplier;
    const [oh, ow] = windowOut(kernel, stride, padding, dilation);
    push(
      {
        id: "dw", kind: "depthwise_conv2d", input: prev, depthMultiplier, kernel, stride, dilation, padding, padValue: extra.int(-128, 127),
        weights: encodeInt8(extra.int8Array(kernel[0] * kernel[1] * outChannels)),
        bias: Array.from({ length: outChannels }, () => extra.int(-100000, 100000)),
        requant: requantTflite(), perChannel: perChannel(outChannels),
      },
      [oh, ow, outChannels],
    );
  }
  {
    // a pointwise convolution, which the plan computes in place over its input (wider or narrower)
    const filters = extra.pick([1, 2, shape[2] * 2, 4]);
    push(
      {
        id: "pointwise", kind: "conv2d", input: prev, filters, kernel: [1, 1],
        weights: encodeInt8(extra.int8Array(filters * shape[2])),
        bias: Array.from({ length: filters }, () => extra.int(-100000, 100000)),
        requant: requantTflite(), perChannel: perChannel(filters),
      },
      [shape[0], shape[1], filters],
    );
  }
  {
    // a depthwise layer that keeps the shape (stride 1, multiplier 1, SAME padding), which the
    // plan computes in place with a few rows of scratch
    const kernel: [number, number] = [extra.int(1, 3), extra.int(1, 3)];
    const padding = [Math.floor((kernel[0] - 1) / 2), Math.floor((kernel[1] - 1) / 2), Math.ceil((kernel[0] - 1) / 2), Math.ceil((kernel[1] - 1) / 2)] as [number, number, number, number];
    push(
      {
        id: "dw_same", kind: "depthwise_conv2d", input: prev, kernel, padding, padValue: extra.int(-128, 127),
        weights: encodeInt8(extra.int8Array(kernel[0] * kernel[1] * shape[2])),
        bias: Array.from({ length: shape[2] }, () => extra.int(-100000, 100000)),
        requant: requantTflite(), perChannel: perChannel(shape[2]),
      },
      shape,
    );
  }
  if (shape[0] >= 3 && shape[1] >= 3) {
    const pool: [number, number] = [extra.int(2, 3), extra.int(2, 3)];
    const padding = extra.next() < 0.5 ? undefined : ([extra.int(0, pool[0] - 1), extra.int(0, pool[1] - 1), extra.int(0, pool[0] - 1), extra.int(0, pool[1] - 1)] as [number, number, number, number]);
    const stride: [number, number] = [extra.int(1, 2), extra.int(1, 2)];
    const [oh, ow] = windowOut(pool, stride, padding ?? [0, 0, 0, 0]);
    const range = extra.next() < 0.3 ? { min: extra.int(-128, -10), max: extra.int(0, 127) } : {};
    push({ id: "avg", kind: "avgpool", input: prev, pool, stride, padding, ...range }, [oh, ow, shape[2]]);
  }
  if (shape[0] >= 2 && shape[1] >= 2) {
    const padded = extra.next() < 0.4;
    const padding: [number, number, number, number] = padded ? [0, 0, 1, 1] : [0, 0, 0, 0];
    const range = extra.next() < 0.3 ? { min: extra.int(-128, -10), max: extra.int(0, 127) } : {};
    const [oh, ow] = windowOut([2, 2], [2, 2], padding);
    push({ id: "pool", kind: "maxpool", input: prev, pool: [2, 2], ...(padded ? { padding } : {}), ...range }, [oh, ow, shape[2]]);
  }
  {
    const filters = rng.int(1, 4);
    const kernel: [number, number] = [rng.int(1, Math.min(3, shape[0])), rng.int(1, Math.min(3, shape[1]))];
    const padding = [rng.int(0, kernel[0] - 1), rng.int(0, kernel[1] - 1), 0, 0] as [number, number, number, number];
    const [oh, ow] = windowOut(kernel, [1, 1], padding);
    push(
      {
        id: "conv", kind: "conv2d", input: prev, filters, kernel, padding, padValue: rng.int(-128, 127),
        weights: encodeInt8(rng.int8Array(filters * kernel[0] * kernel[1] * shape[2])),
        bias: Array.from({ length: filters }, () => rng.int(-100000, 100000)),
        requant: requant(), activation: rng.next() < 0.5 ? table() : undefined,
        ...(extra.next() < 0.5 ? { requant: requantTflite(), perChannel: perChannel(filters) } : {}),
      },
      [oh, ow, filters],
    );
  }
  const flat = shape[0] * shape[1] * shape[2];
  push({ id: "flat", kind: "reshape", input: prev, shape: [1, 1, flat] }, [1, 1, flat]);
  {
    const units = rng.int(3, 12);
    push(
      {
        id: "dense", kind: "dense", input: prev, units,
        weights: encodeInt8(rng.int8Array(units * flat)),
        bias: Array.from({ length: units }, () => rng.int(-(2 ** 20), 2 ** 20)),
        requant: requant(),
      },
      [1, 1, units],
    );
  }
  {
    const inputs = shape[2];
    const neurons = Array.from({ length: rng.int(4, 10) }, () => ({
      groups: Array.from({ length: rng.int(1, 4) }, () =>
        Array.from({ length: rng.int(1, 4) }, () => ({ input: rng.int(0, inputs - 1), table: table() })),
      ),
    }));
    push({ id: "strong", kind: "strong", input: prev, neurons }, [1, 1, neurons.length]);
  }
  {
    const inputs = shape[2];
    const neurons = Array.from({ length: rng.int(2, 10) }, () => ({
      bias: rng.int(-5000, 5000),
      terms: Array.from({ length: rng.int(1, 6) }, () => ({ input: rng.int(0, inputs - 1), weight: rng.int(-128, 127) })),
    }));
    push({ id: "scores", kind: "summator", input: prev, requant: requant(), activation: rng.next() < 0.3 ? table() : undefined, neurons }, [1, 1, neurons.length]);
  }
  if (rng.next() < 0.7) push({ id: "class", kind: "argmax", input: prev }, [1, 1, 1]);

  return { format: "strongnet-model", version: 1, name, input: { shape: inputShape }, tables, layers, output: prev };
}

function randomTable(rng: Rng, kind: number): number[] {
  const xs = Array.from({ length: 256 }, (_, i) => i - 128);
  switch (kind % 4) {
    case 0: // a ramp with saturation: slope <= 1, like the paper's tables
      return xs.map((x) => Math.max(-128, Math.min(127, x + rng.int(-60, 60))));
    case 1: // a step
      return xs.map((x) => (x > 0 ? 127 : -128));
    case 2: // decreasing
      return xs.map((x) => Math.max(-128, Math.min(127, -x)));
    default: // noise
      return xs.map(() => rng.int(-128, 127));
  }
}
