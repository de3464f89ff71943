/**
 * The memory plan and the operation counts of a graph.
 *
 * Activations live in one static arena. Each intermediate tensor is live from the step that
 * writes it to the last step that reads it; tensors whose lifetimes do not overlap may share
 * bytes. Offsets are assigned greedily, largest tensor first, each at the lowest 4-byte aligned
 * offset that does not collide with an already placed tensor whose lifetime overlaps
 * (the "greedy by size" strategy of TFLite Micro's planner). The model input is the caller's
 * buffer and the output layer writes straight into the caller's output buffer, so neither takes
 * arena space.
 */
import { INPUT_ID, shapeSize, type Graph, type Layer } from "../ir/index.js";
import { kindOf } from "../kinds/registry.js";
import { arrayBytes, type ConstArray } from "./lowering.js";
import { addOps, zeroOps, type OpCounts } from "./ops.js";

export { addOps, totalOps, zeroOps, type OpCounts } from "./ops.js";

export const ARENA_ALIGN = 4;


export interface BufferSlot {
  layerId: string;
  offset: number;
  size: number;
  /** first and last execution step (layer index) during which the tensor is live */
  firstStep: number;
  lastStep: number;
}

export interface LayerPlan {
  id: string;
  kind: Layer["kind"];
  ops: OpCounts;
  /** bytes of const parameters in flash (weights, biases, index tables), excluding shared LUTs */
  paramBytes: number;
  /** null for the output layer, which writes into the caller's buffer, and for views of it or of the input */
  slot: BufferSlot | null;
  /** the layer whose bytes hold this output ("input" for the model input): itself, or for a view, what it views */
  storage: string;
  /** where in the storage's bytes this output starts (a slice view), 0 otherwise */
  storageOffset: number;
  /** a view (reshape) that runs no code: its bytes are its storage's */
  isView: boolean;
  /** the layer writes its output over its input's bytes (see KindModule.inPlace) */
  inPlace?: boolean;
  /** arena bytes the layer uses while it runs (KindModule.scratchBytes) */
  scratch?: BufferSlot;
}

export interface TableDedup {
  /** the distinct tables that survive, in first-use order */
  unique: Int8Array[];
  /** original table index -> index into `unique` */
  remap: number[];
}

export interface Plan {
  arenaBytes: number;
  layers: LayerPlan[];
  totals: OpCounts;
  tables: TableDedup;
  /** bytes of the de-duplicated tables */
  tableBytes: number;
  /** weights + index tables + LUTs: the model's const data in flash (code excluded) */
  constBytes: number;
}

export function planGraph(graph: Graph): Plan {
  const tables = dedupTables(graph);
  const storage = storageOf(graph);
  const { slots, inPlace } = planArena(graph, storage, tables);
  const offsets = viewOffsets(graph);
  const layers = graph.layers.map((layer) => ({
    id: layer.id,
    kind: layer.kind,
    ops: kindOf(layer).ops(layer),
    paramBytes: lowerLayer(layer, tables).reduce((sum, a) => sum + arrayBytes(a), 0),
    slot: slots.get(storage.get(layer.id)!) ?? null,
    ...(slots.has(scratchId(layer.id)) ? { scratch: slots.get(scratchId(layer.id))! } : {}),
    storage: storage.get(layer.id)!,
    storageOffset: offsets.get(layer.id) ?? 0,
    isView: isView(graph, layer),
    ...(inPlace.has(layer.id) ? { inPlace: true } : {}),
  }));
  const totals = layers.reduce((sum, l) => addOps(sum, l.ops), zeroOps());
  const arenaBytes = Math.max(0, ...[...slots.values()].map((s) => s.offset + s.size));
  const tableBytes = tables.unique.length * 256;
  const constBytes = tableBytes + layers.reduce((sum, l) => sum + l.paramBytes, 0);
  return { arenaBytes, layers, totals, tables, tableBytes, constBytes };
}

/** Identical tables are stored once; the remap keeps every reference valid. */
export function dedupTables(graph: Graph): TableDedup {
  const used = usedTables(graph);
  const byContent = new Map<string, number>();
  const unique: Int8Array[] = [];
  const remap = graph.tables.map(() => -1);
  for (const index of used) {
    const key = Buffer.from(graph.tables[index]!.buffer, graph.tables[index]!.byteOffset, 256).toString("hex");
    let target = byContent.get(key);
    if (target === undefined) {
      target = unique.length;
      unique.push(graph.tables[index]!);
      byContent.set(key, target);
    }
    remap[index] = target;
  }
  return { unique, remap };
}

/** Table indices in first-use order, so the emitted order follows the network. */
function usedTables(graph: Graph): number[] {
  return [...new Set(graph.layers.flatMap(layerTables))];
}

/** The file table indices one layer reads, in first-use order (with repeats). */
export function layerTables(layer: Layer): number[] {
  return kindOf(layer).tables(layer);
}

/** A layer's const parameters as C arrays, with table references after de-duplication. */
export function lowerLayer(layer: Layer, tables: TableDedup): ConstArray[] {
  return kindOf(layer).lower(layer, (t) => tables.remap[t]!);
}

/** A view runs no code and has no bytes of its own, except as the model output (then it copies). */
const isView = (graph: Graph, layer: Layer): boolean => kindOf(layer).view === true && layer.id !== graph.outputId;

/** Tensor id -> the id whose bytes hold it: views share their input's bytes. */
function storageOf(graph: Graph): Map<string, string> {
  const storage = new Map<string, string>([[INPUT_ID, INPUT_ID]]);
  for (const layer of graph.layers) storage.set(layer.id, isView(graph, layer) ? storage.get(layer.input)! : layer.id);
  return storage;
}

/** Tensor id -> where its values start in its storage's bytes: the sum of the view offsets down to it. */
function viewOffsets(graph: Graph): Map<string, number> {
  const offsets = new Map<string, number>([[INPUT_ID, 0]]);
  for (const layer of graph.layers) {
    const own = isView(graph, layer) ? (kindOf(layer).viewOffset?.(layer) ?? 0) + offsets.get(layer.input)! : 0;
    offsets.set(layer.id, own);
  }
  return offsets;
}

/** storage id -> the last step that reads it (directly or through a view). */
function lastReads(graph: Graph, storage: Map<string, string>): Map<string, number> {
  const lastRead = new Map<string, number>();
  graph.layers.forEach((layer, step) => {
    if (isView(graph, layer)) return;
    lastRead.set(storage.get(layer.input)!, step);
    if (layer.other !== undefined) lastRead.set(storage.get(layer.other)!, step);
  });
  return lastRead;
}

/**
 * Layers that may write their output over their input (a pointwise convolution reads only its
 * own pixel), when that input is an arena tensor nobody reads later: output id -> input id.
 */
function inPlaceCandidates(graph: Graph, storage: Map<string, string>, lastRead: Map<string, number>): Map<string, string> {
  const pairs = new Map<string, string>();
  graph.layers.forEach((layer, step) => {
    const source = storage.get(layer.input)!;
    if (!kindOf(layer).inPlace?.(layer) || layer.id === graph.outputId || isView(graph, layer)) return;
    // the caller's input is read-only, and the bytes must have no reader after this layer
    if (source === INPUT_ID || source === graph.outputId || lastRead.get(source) !== step) return;
    pairs.set(layer.id, source);
  });
  return pairs;
}

/**
 * Where an in-place output sits relative to its input so that walking pixels first to last never
 * overwrites an input not yet read: a smaller output starts where the input starts, a larger one
 * ends where the input ends. Returns the input's offset given the output's, and back.
 */
const inputOffsetOf = (output: BufferSlot, input: BufferSlot) => output.offset + Math.max(0, output.size - input.size);
const outputOffsetOf = (input: BufferSlot, output: BufferSlot) => input.offset - Math.max(0, output.size - input.size);

function planArena(graph: Graph, storage: Map<string, string>, tables: TableDedup): { slots: Map<string, BufferSlot>; inPlace: Set<string> } {
  // a buffer lives until the last read of it or of any view of it
  const lastRead = lastReads(graph, storage);
  const tensors: BufferSlot[] = graph.layers
    .map((layer, step) => ({ layer, step }))
    .filter(({ layer }) => layer.id !== graph.outputId && !isView(graph, layer))
    .map(({ layer, step }) => ({
      layerId: layer.id,
      offset: 0,
      size: shapeSize(layer.outputShape),
      firstStep: step,
      lastStep: lastRead.get(layer.id) ?? step,
    }));
  const byId = new Map(tensors.map((t) => [t.layerId, t]));
  // in-place pairs whose size difference keeps both buffers word-aligned; a tensor may be the
  // output of one pair and the input of the next (a chain of in-place layers shares one buffer)
  const inputOf = new Map<string, string>();
  const outputOf = new Map<string, string>();
  for (const [output, input] of inPlaceCandidates(graph, storage, lastRead)) {
    if ((byId.get(output)!.size - byId.get(input)!.size) % ARENA_ALIGN !== 0) continue;
    inputOf.set(output, input);
    outputOf.set(input, output);
  }
  const inPlace = new Set<string>();
  const disjoint = (offset: number, size: number) => (p: BufferSlot) => offset + size <= p.offset || p.offset + p.size <= offset;
  // Largest first; ties broken by execution order so the plan is deterministic.
  const order = [...tensors].sort((a, b) => b.size - a.size || a.firstStep - b.firstStep);
  const placed: BufferSlot[] = [];
  const placedSlot = (id: string | undefined) => (id === undefined ? undefined : placed.find((p) => p.layerId === id));
  const place = (t: BufferSlot) => {
    const overlapping = liveDuring(placed, t);
    // where the in-place partners already placed want this tensor: its input, its output
    const input = placedSlot(inputOf.get(t.layerId));
    const output = placedSlot(outputOf.get(t.layerId));
    const wanted = [...(input ? [outputOffsetOf(input, t)] : []), ...(output ? [inputOffsetOf(output, t)] : [])];
    const chosen = wanted.find((offset) => {
      if (offset < 0) return false;
      // a partner whose layout this offset honours may share bytes with t; nothing else may
      const shares = (p: BufferSlot) => (p === input && offset === outputOffsetOf(input, t)) || (p === output && offset === inputOffsetOf(output, t));
      return overlapping.filter((p) => !shares(p)).every(disjoint(offset, t.size));
    });
    if (chosen !== undefined) {
      t.offset = chosen;
      if (input && chosen === outputOffsetOf(input, t)) inPlace.add(t.layerId);
      if (output && chosen === inputOffsetOf(output, t)) inPlace.add(output.layerId);
    } else {
      t.offset = lowestFreeOffset(overlapping, t.size);
    }
    placed.push(t);
  };
  for (const t of order) {
    if (placed.includes(t)) continue;
    place(t);
    // a smaller in-place output goes right away where its input starts, before a larger tensor
    // of a later step can take those bytes (then the output can still be its own output's input)
    for (let next = byId.get(outputOf.get(t.layerId) ?? ""); next && !placed.includes(next); next = byId.get(outputOf.get(next.layerId) ?? "")) {
      const from = placed.at(-1)!;
      if (next.size > from.size) break;
      place(next);
      if (!inPlace.has(next.layerId)) {
        placed.pop(); // not in place after all: it waits for its turn in size order
        break;
      }
    }
  }
  // scratch (rows, im2col columns, a strong layer's planes): live only at the layer's own step
  graph.layers.forEach((layer, step) => {
    const ctx = { inPlace: inPlace.has(layer.id), remapTable: (t: number) => tables.remap[t]! };
    const bytes = isView(graph, layer) ? 0 : (kindOf(layer).scratchBytes?.(layer, ctx) ?? 0);
    if (bytes === 0) return;
    const t: BufferSlot = { layerId: scratchId(layer.id), offset: 0, size: bytes, firstStep: step, lastStep: step };
    t.offset = lowestFreeOffset(liveDuring(placed, t), t.size);
    placed.push(t);
    byId.set(t.layerId, t);
  });
  return { slots: byId, inPlace };
}

const scratchId = (id: string) => `${id}#scratch`;

/** The placed tensors live during any step of t's lifetime, by offset. */
const liveDuring = (placed: BufferSlot[], t: BufferSlot): BufferSlot[] =>
  placed.filter((p) => p.firstStep <= t.lastStep && t.firstStep <= p.lastStep).sort((a, b) => a.offset - b.offset);

/** The lowest word-aligned offset where `size` bytes fit between tensors sorted by offset (first fit). */
function lowestFreeOffset(sorted: BufferSlot[], size: number): number {
  let offset = 0;
  for (const p of sorted) {
    if (offset + size <= p.offset) break;
    offset = Math.max(offset, alignUp(p.offset + p.size));
  }
  return offset;
}

const alignUp = (n: number) => Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;

export { INPUT_ID };
