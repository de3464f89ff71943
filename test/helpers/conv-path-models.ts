/**
 * Small models, one per code path of the convolution kernels (c-templates/layers/conv2d.c.ejs,
 * depthwise_conv2d.c.ejs, runtime/dot_s8_*.c): pointwise read directly / copied (channels not a
 * multiple of 4) / in place with a smaller and a larger output, 1xN and Nx1 kernels, stride 2,
 * dilation, asymmetric padding, odd filter counts (the lone last filter) and odd pixel counts
 * (the last pixel paired with itself), per-channel double rounding with fused ranges, depthwise
 * on one channel (the convolution route), four channels per word and a channel tail, depth
 * multipliers, in-place depthwise. Weights and biases are drawn at the int8 / accumulator
 * extremes on purpose. Average pooling cases cover its Helium path (int16 and int32 lanes,
 * channel tails, padding, a clamped range). The last cases aim at the requantization (the
 * four-lane Helium forms against the scalar rule): accumulators next to +-2^31, every right shift
 * of both roundings, multipliers 1 and 2^31 - 1, power-of-two multipliers (many halves), double
 * rounding's left shifts, single rounding's shift 31 (scalar on every core) and 32, and the
 * Helium depthwise kernel's channel tails.
 */
import type { ModelFileInput } from "../../src/format/schema.js";
import { encodeInt8 } from "../../src/ir/index.js";
import { Rng } from "../../src/util/random.js";

type Spec = ModelFileInput["layers"][number];
type Shape = [number, number, number];

interface ConvCase {
  name: string;
  input: Shape;
  /** each layer reads the previous one; shapes are worked out by the loader */
  layers: ((rng: Rng, inC: number) => Omit<Spec, "id" | "input">)[];
}

const weights = (rng: Rng, n: number) => encodeInt8(Int8Array.from({ length: n }, () => rng.pick([-128, 127, rng.int(-128, 127), 0])));
const requant = (rng: Rng, channels: number, perChannel: boolean) => ({
  bias: Array.from({ length: channels }, () => rng.int(-5000, 5000)),
  ...(perChannel
    ? {
        requant: { multiplier: 2 ** 30, shift: 40, offset: rng.int(-20, 20), rounding: "double" as const, min: -100, max: 120 },
        perChannel: { multiplier: Array.from({ length: channels }, () => rng.int(2 ** 30, 2 ** 31 - 1)), shift: Array.from({ length: channels }, () => rng.int(38, 42)) },
      }
    : { requant: { multiplier: rng.int(2 ** 20, 2 ** 31 - 1), shift: rng.int(30, 38), offset: rng.int(-20, 20) } }),
});

type RequantSpec = Pick<Extract<Spec, { kind: "conv2d" }>, "bias" | "requant" | "perChannel">;

/**
 * Biases near +-(2^31 - 2^21) (the accumulators then reach +-2^31 within 2^21, which 64 taps of
 * +-128 x +-128 stay under) and per-channel requantizations from `shifts`, multipliers drawn
 * with the extremes 1 and 2^31 - 1 among them.
 */
const extremeRequant =
  (rounding: "single" | "double", shifts: () => number, bias: (rng: Rng) => number = (rng) => rng.pick([-1, 1]) * (2 ** 31 - 2 ** 21 - rng.int(0, 2 ** 20))) =>
  (rng: Rng, channels: number): RequantSpec => ({
    bias: Array.from({ length: channels }, () => bias(rng)),
    requant: { multiplier: 2 ** 30, shift: 40, offset: rng.int(-128, 127), rounding },
    perChannel: {
      multiplier: Array.from({ length: channels }, (_, c) => (c === 0 ? 1 : c === 1 ? 2 ** 31 - 1 : rng.pick([rng.int(1, 2 ** 31 - 1), rng.int(2 ** 30, 2 ** 31 - 1)]))),
      shift: Array.from({ length: channels }, shifts),
    },
  });

const conv =
  (filters: number, kernel: [number, number], opts: { stride?: [number, number]; dilation?: [number, number]; padding?: [number, number, number, number]; perChannel?: boolean; requant?: (rng: Rng, channels: number) => RequantSpec } = {}) =>
  (rng: Rng, inC: number) => ({
    kind: "conv2d" as const,
    filters,
    kernel,
    stride: opts.stride ?? [1, 1],
    ...(opts.dilation ? { dilation: opts.dilation } : {}),
    padding: opts.padding ?? [0, 0, 0, 0],
    padValue: rng.int(-128, 127),
    weights: weights(rng, filters * kernel[0] * kernel[1] * inC),
    ...(opts.requant ? opts.requant(rng, filters) : requant(rng, filters, opts.perChannel ?? false)),
  });

const depthwise =
  (kernel: [number, number], opts: { depthMultiplier?: number; stride?: [number, number]; dilation?: [number, number]; padding?: [number, number, number, number]; perChannel?: boolean; requant?: (rng: Rng, channels: number) => RequantSpec } = {}) =>
  (rng: Rng, inC: number) => {
    const outC = inC * (opts.depthMultiplier ?? 1);
    return {
      kind: "depthwise_conv2d" as const,
      depthMultiplier: opts.depthMultiplier ?? 1,
      kernel,
      stride: opts.stride ?? [1, 1],
      ...(opts.dilation ? { dilation: opts.dilation } : {}),
      padding: opts.padding ?? [0, 0, 0, 0],
      padValue: rng.int(-128, 127),
      weights: weights(rng, kernel[0] * kernel[1] * outC),
      ...(opts.requant ? opts.requant(rng, outC) : requant(rng, outC, opts.perChannel ?? false)),
    };
  };

/** average pooling (its Helium path sums eight channels per int16 vector, or four per int32 one) */
const avgpool =
  (pool: [number, number], opts: { stride?: [number, number]; padding?: [number, number, number, number]; range?: [number, number] } = {}) =>
  () => ({
    kind: "avgpool" as const,
    pool,
    stride: opts.stride ?? [1, 1],
    ...(opts.padding ? { padding: opts.padding } : {}),
    ...(opts.range ? { min: opts.range[0], max: opts.range[1] } : {}),
  });

/** pointwise layers after a first layer, so their input is an arena tensor (in place possible) */
export const CONV_CASES: ConvCase[] = [
  { name: "pointwise direct, 8 channels, odd pixels", input: [3, 5, 8], layers: [conv(6, [1, 1]), conv(4, [1, 1], { perChannel: true })] },
  { name: "pointwise in place, smaller output", input: [4, 3, 8], layers: [conv(12, [1, 1]), conv(8, [1, 1]), conv(3, [1, 1])] },
  { name: "pointwise in place, larger output", input: [5, 3, 8], layers: [conv(4, [3, 3], { padding: [1, 1, 1, 1] }), conv(16, [1, 1], { perChannel: true }), conv(3, [1, 1])] },
  { name: "pointwise on 3 channels (copied, zero-padded), odd filters", input: [3, 3, 3], layers: [conv(5, [1, 1], { perChannel: true }), conv(1, [1, 1])] },
  { name: "3x3 SAME, stride 1, border and interior", input: [7, 6, 8], layers: [conv(16, [3, 3], { padding: [1, 1, 1, 1], perChannel: true })] },
  { name: "3x3 stride 2, asymmetric padding, one channel", input: [9, 8, 1], layers: [conv(8, [3, 3], { stride: [2, 2], padding: [0, 0, 1, 1] })] },
  { name: "1xN and Nx1 kernels", input: [6, 9, 4], layers: [conv(7, [1, 5], { padding: [0, 2, 0, 2] }), conv(3, [4, 1], { padding: [2, 0, 1, 0], perChannel: true })] },
  { name: "dilated conv, stride 2 across", input: [9, 9, 2], layers: [conv(5, [3, 2], { dilation: [2, 3], stride: [1, 2], padding: [2, 3, 1, 0] })] },
  { name: "10x4 kernel stride 2 (tiny_kws' first layer)", input: [13, 6, 1], layers: [conv(4, [10, 4], { stride: [2, 2], padding: [4, 1, 5, 1], perChannel: true })] },
  { name: "depthwise on one channel, multiplier 8 (the convolution route)", input: [9, 7, 1], layers: [depthwise([3, 3], { depthMultiplier: 8, stride: [2, 2], padding: [0, 0, 1, 1], perChannel: true })] },
  { name: "depthwise 3x3 SAME, 8 channels (four per word), in place", input: [6, 5, 4], layers: [conv(8, [1, 1]), depthwise([3, 3], { padding: [1, 1, 1, 1], perChannel: true }), conv(4, [1, 1])] },
  { name: "depthwise, 6 channels (a word and a tail), stride 2", input: [8, 7, 6], layers: [depthwise([3, 3], { stride: [2, 2], padding: [0, 0, 1, 1] })] },
  { name: "depthwise stride 2 halving the image, in place (person_detect's shape, small)", input: [8, 8, 4], layers: [conv(8, [1, 1]), depthwise([3, 3], { stride: [2, 2], padding: [0, 0, 1, 1], perChannel: true }), conv(4, [1, 1])] },
  { name: "depthwise, multiplier 2, dilation, wide padding", input: [8, 8, 3], layers: [depthwise([3, 2], { depthMultiplier: 2, dilation: [2, 2], padding: [3, 2, 2, 2], perChannel: true })] },
  { name: "depthwise 10x8 kernel (micro_speech's shape, small)", input: [12, 10, 2], layers: [depthwise([10, 8], { depthMultiplier: 2, stride: [2, 2], padding: [4, 3, 5, 3] })] },
  ...(() => {
    let shift = 0;
    // every shift of the range in turn, channel after channel
    const cycle = (from: number, to: number) => () => from + (shift++ % (to - from + 1));
    return [
      { name: "requantization: double rounding, shifts 31..62, accumulators near +-2^31", input: [3, 3, 64] as Shape, layers: [conv(32, [1, 1], { requant: extremeRequant("double", cycle(31, 62)) })] },
      { name: "requantization: single rounding, shifts 32..62, accumulators near +-2^31, a filter tail", input: [3, 3, 64] as Shape, layers: [conv(31, [1, 1], { requant: extremeRequant("single", cycle(32, 62)) })] },
      { name: "requantization: single rounding with a shift of 31 (scalar everywhere)", input: [2, 3, 64] as Shape, layers: [conv(6, [1, 1], { requant: extremeRequant("single", cycle(31, 33)) })] },
      // power-of-two multipliers and small shifts: most outputs are in range and many are ties
      // (halves) of one rounding or the other
      ...(["double", "single"] as const).map((rounding) => ({
        name: `requantization: ${rounding} rounding, halves (multipliers 2^30, 2^29, 3 * 2^28)`,
        input: [3, 5, 8] as Shape,
        layers: [
          conv(11, [1, 1], {
            requant: (rng: Rng, channels: number): RequantSpec => ({
              bias: Array.from({ length: channels }, () => rng.int(-3000, 3000)),
              requant: { multiplier: 2 ** 30, shift: 40, offset: rng.int(-20, 20), rounding },
              perChannel: {
                multiplier: Array.from({ length: channels }, () => rng.pick([2 ** 30, 2 ** 29, 3 * 2 ** 28])),
                shift: Array.from({ length: channels }, cycle(rounding === "double" ? 31 : 32, 45)),
              },
            }),
          }),
        ],
      })),
      // the Helium depthwise kernel: eight channels (int16 lanes), then four, then a predicated
      // tail of 1, 2 or 3
      { name: "depthwise, 13 channels, double rounding, halves (eight, four and a tail of 1)", input: [5, 4, 13] as Shape, layers: [depthwise([3, 3], { padding: [1, 1, 1, 1], stride: [2, 1], requant: (rng: Rng, channels: number): RequantSpec => ({ bias: Array.from({ length: channels }, () => rng.int(-3000, 3000)), requant: { multiplier: 2 ** 30, shift: 40, offset: rng.int(-20, 20), rounding: "double" }, perChannel: { multiplier: Array.from({ length: channels }, () => rng.pick([2 ** 30, 2 ** 29, 3 * 2 ** 28])), shift: Array.from({ length: channels }, cycle(31, 40)) } }) })] },
      { name: "depthwise, 16 channels, per-tensor single rounding (two eights)", input: [4, 4, 16] as Shape, layers: [depthwise([2, 2], { padding: [0, 0, 1, 1] })] },
      { name: "depthwise, 7 channels, double rounding near +-2^31 (four lanes and a tail of 3)", input: [5, 6, 7] as Shape, layers: [depthwise([3, 3], { padding: [1, 1, 1, 1], requant: extremeRequant("double", cycle(31, 62)) })] },
      { name: "depthwise, 9 channels, single rounding, halves (a tail of 1)", input: [4, 5, 9] as Shape, layers: [depthwise([3, 2], { stride: [1, 2], padding: [1, 0, 1, 1], requant: (rng: Rng, channels: number): RequantSpec => ({ bias: Array.from({ length: channels }, () => rng.int(-3000, 3000)), requant: { multiplier: 2 ** 30, shift: 40, offset: rng.int(-20, 20), rounding: "single" }, perChannel: { multiplier: Array.from({ length: channels }, () => rng.pick([2 ** 30, 2 ** 29, 3 * 2 ** 28])), shift: Array.from({ length: channels }, cycle(32, 40)) } }) })] },
      { name: "depthwise, 10 channels, single rounding with shift 31 (the lanes' scalar rule, a tail of 2)", input: [4, 4, 10] as Shape, layers: [depthwise([2, 3], { padding: [0, 1, 1, 1], requant: extremeRequant("single", cycle(31, 34)) })] },
      { name: "avgpool 3x3 stride 2 padded, 13 channels (a vector of 8 and a tail of 5), clamped", input: [7, 6, 13] as Shape, layers: [avgpool([3, 3], { stride: [2, 2], padding: [1, 1, 1, 1], range: [-100, 90] })] },
      { name: "avgpool 2x2 on 3 channels (a tail only)", input: [4, 5, 3] as Shape, layers: [avgpool([2, 2])] },
      { name: "avgpool 16x17 window, 272 values (int32 lanes), 6 channels", input: [16, 17, 6] as Shape, layers: [avgpool([16, 17])] },
      { name: "avgpool 25x5 on 64 channels (tiny_kws' last pooling)", input: [25, 5, 64] as Shape, layers: [avgpool([25, 5])] },
      // acc * 2^(31 - shift) must fit int32: |acc| < 2^20 for shifts down to 20
      { name: "requantization: double rounding's left shifts (shifts 20..31)", input: [4, 3, 8] as Shape, layers: [conv(13, [1, 1], { requant: extremeRequant("double", cycle(20, 31), (rng) => rng.int(-(2 ** 18), 2 ** 18)) })] },
    ];
  })(),
];

export function convCaseModel(c: ConvCase, seed: number): ModelFileInput {
  const rng = new Rng(seed);
  let channels = c.input[2];
  const layers: Spec[] = c.layers.map((make, i) => {
    const spec = { id: `l${i}`, input: i === 0 ? "input" : `l${i - 1}`, ...make(rng, channels) } as Spec;
    channels = spec.kind === "conv2d" ? spec.filters : channels * (spec.kind === "depthwise_conv2d" ? (spec.depthMultiplier ?? 1) : 1);
    return spec;
  });
  return { format: "strongnet-model", version: 1, name: `conv_case_${seed}`, input: { shape: c.input }, tables: [], layers, output: `l${layers.length - 1}` } as ModelFileInput;
}
