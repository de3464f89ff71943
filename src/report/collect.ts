/**
 * Collects the report's figures for one board, each from where it is measured:
 *  - verify (count + trace images, QEMU): bit-exactness, instructions per inference (-icount),
 *    the painted stack peak;
 *  - the count image's ELF: flash and RAM by category (linker map + symbols + disassembly, see
 *    elf.ts) and the static stack bound (-fstack-usage over the call graph, see stack.ts);
 *  - a third, "profile" image (per-layer SysTick hook): each layer's instructions;
 *  - the plan: operations by kind and layer, the planned arena (checked against the ELF);
 *  - the cycle model: the latency ESTIMATE.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateC, toTarget, type ArenaMode } from "../codegen/index.js";
import { buildFirmware, linkRegions, runFirmware, type Board, FirmwareTooLargeError, type OptLevel } from "../firmware/index.js";
import { shapeSize, type Graph, type Layer } from "../ir/index.js";
import { BudgetError, checkFit } from "../plan/fit.js";
import { layerTables, lowerLayer, planGraph, totalOps, type Plan } from "../plan/plan.js";
import { testVectors } from "../verify/vectors.js";
import { verifyModel, type ProgressEvent, type VerifyReport } from "../verify/verify.js";
import { estimateLatency } from "./cycle-model.js";
import { disassemble, parseLinkerMap, reachable, readSections, readSymbols, type MapSection } from "./elf.js";
import type { BoardFit, BoardReport, Fit, LayerRow } from "./schema.js";
import { analyseStack, exceptionFrameBytes, readStackUsage } from "./stack.js";

export interface MeasureOptions {
  graph: Graph;
  board: Board;
  /** vectors verify runs (bit-exactness and instruction counts); default 10 */
  vectors?: number;
  dataset?: string | null;
  inputs?: string;
  seed?: number;
  /** profiled vectors for the per-layer instructions (the first ones of the verify set); default 3 */
  profileVectors?: number;
  /** build here and keep it; default a temp dir, removed */
  workDir?: string;
  /** optimisation level of the measured images (default -O2) */
  opt?: OptLevel;
  /** the arena mode of the measured code (default "static") */
  arena?: ArenaMode;
  onProgress?: (e: ReportProgress) => void;
}

export type ReportProgress = { board: string } & (ProgressEvent | { stage: "profile" | "analyse"; done: number; total: number });

/** The name of the only interrupt the test firmware enables (startup.c.ejs). */
const INTERRUPT_HANDLERS = ["sn_systick_handler"];
const RESET_HANDLER = "sn_reset_handler";

const boardInfo = (b: Board): BoardReport["board"] => ({
  name: b.name,
  core: b.core,
  clockHz: b.clockHz,
  flashBytes: b.flashBytes,
  ramBytes: b.ramBytes,
  qemuMachine: b.qemu.machine,
});

function fitOf(flashUsed: number, ramUsed: number, board: Board, method: string): Fit {
  const res = (used: number, available: number) => ({ used, available, margin: available - used, fraction: available > 0 ? used / available : 0 });
  const flash = res(flashUsed, board.flashBytes);
  const ram = res(ramUsed, board.ramBytes);
  return { fits: flash.margin >= 0 && ram.margin >= 0, flash, ram, method };
}

/** The de-duplicated table indices a layer reads. */
export function dedupedLayerTables(layer: Layer, plan: Plan): number[] {
  return [...new Set(layerTables(layer).map((t) => plan.tables.remap[t]!))].sort((a, b) => a - b);
}

export async function measureBoard(opts: MeasureOptions): Promise<BoardReport> {
  const { graph, board } = opts;
  const arenaMode = opts.arena ?? "static";
  const generated = generateC(graph, toTarget(board), {}, { arena: arenaMode });
  const problems = checkFit(generated.plan, board);
  if (problems.length) throw new BudgetError(problems);
  const ownDir = opts.workDir === undefined;
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), "strongnet-report-"));
  const progress = (e: Omit<ReportProgress, "board">) => opts.onProgress?.({ board: board.name, ...e } as ReportProgress);
  try {
    const count = opts.vectors ?? 10;
    const verify = await verifyModel({
      graph,
      board,
      count,
      dataset: opts.dataset,
      inputs: opts.inputs,
      seed: opts.seed,
      workDir,
      extraCflags: ["-fstack-usage"],
      opt: opts.opt,
      arena: arenaMode,
      onProgress: (e) => progress(e),
    });

    progress({ stage: "profile", done: 0, total: 1 });
    const profileBuild = buildFirmware({ board, modelName: graph.name, modelSources: { c: generated.source, h: generated.header }, mode: "profile", workDir, opt: opts.opt });
    const vectors = testVectors(graph, { count, dataset: opts.dataset, inputs: opts.inputs, seed: opts.seed }).vectors.slice(0, Math.max(1, opts.profileVectors ?? 3));
    const profiled = await runFirmware({ board, elfPath: profileBuild.elfPath, vectors: vectors.map((v) => v.input) });
    progress({ stage: "profile", done: 1, total: 1 });

    progress({ stage: "analyse", done: 0, total: 1 });
    const elfPath = join(workDir, "firmware-count.elf");
    const report = analyse({
      graph,
      board,
      plan: generated.plan,
      verify,
      elfPath,
      mapText: readFileSync(join(workDir, "firmware-count.map"), "utf8"),
      workDir,
      layerInstructions: graph.layers.map((_, i) => Math.round(profiled.vectors.reduce((s, v) => s + v.layerInstructions![i]!, 0) / profiled.vectors.length)),
      profiledVectors: vectors.length,
    });
    progress({ stage: "analyse", done: 1, total: 1 });
    return report;
  } finally {
    if (ownDir) rmSync(workDir, { recursive: true, force: true });
  }
}

interface AnalyseInput {
  graph: Graph;
  board: Board;
  plan: Plan;
  verify: VerifyReport;
  elfPath: string;
  mapText: string;
  workDir: string;
  layerInstructions: number[];
  profiledVectors: number;
}

function analyse(a: AnalyseInput): BoardReport {
  const { graph, board, plan, verify } = a;
  const predict = `${graph.name}_predict`;
  const map = parseLinkerMap(a.mapText);
  const symbols = readSymbols(a.elfPath);
  const funcs = disassemble(a.elfPath, symbols);
  const regions = linkRegions(board);
  const within = (addr: number, r: { origin: number; length: number }) => addr >= r.origin && addr < r.origin + r.length;
  const elfSections = new Map(readSections(a.elfPath).map((s) => [s.name, s]));
  // Flash holds every allocated section with contents (.text, .data's initial values, ...); RAM every allocated section at a RAM address.
  const inFlash = (s: MapSection) => {
    const e = elfSections.get(s.output);
    return e !== undefined && e.alloc && e.type !== "NOBITS" && e.size > 0;
  };
  const inRam = (s: MapSection) => {
    const e = elfSections.get(s.output);
    return e !== undefined && e.alloc && within(e.address, regions.ram);
  };

  const modelObject = map.sections.find((s) => s.name === `.text.${predict}`)?.object;
  if (!modelObject) throw new Error(`the linker map of ${a.elfPath} has no section .text.${predict}; cannot tell the model's code from the harness`);

  // Library routines the model's code calls (transitively): their sections count as model code.
  const modelFuncs = reachable(funcs, predict);
  const libraryFunctions = new Set<string>();
  const isModelLibrarySection = (s: MapSection) => {
    if (s.object === modelObject || !s.name.startsWith(".text")) return false;
    let hit = false;
    for (const name of modelFuncs) {
      const f = funcs.get(name)!;
      if (f.address >= s.address && f.address < s.address + s.size) {
        libraryFunctions.add(name);
        hit = true;
      }
    }
    return hit;
  };

  type Cat = "code" | "libraryCode" | "weights" | "luts" | "data" | "harness";
  const categoryOf = (s: MapSection): Cat => {
    if (s.object === modelObject) {
      if (s.name === ".rodata.sn_tables") return "luts";
      if (s.name.startsWith(".rodata")) return "weights";
      if (s.name.startsWith(".data")) return "data";
      return "code";
    }
    return isModelLibrarySection(s) ? "libraryCode" : "harness";
  };
  const flash = { code: 0, libraryCode: 0, weights: 0, luts: 0, data: 0, padding: 0, harness: 0 };
  const flashSections = map.sections.filter((s) => s.size > 0 && inFlash(s));
  flashSections.forEach((s, i) => {
    if (s.name === "*fill*") {
      // alignment padding belongs to the section it aligns (the next one in the same output section)
      const next = flashSections.slice(i + 1).find((n) => n.name !== "*fill*");
      if (next && next.output === s.output && next.object === modelObject) flash.padding += s.size;
      else if (next && next.output === s.output && categoryOf(next) === "libraryCode") flash.padding += s.size;
      else flash.harness += s.size;
      return;
    }
    flash[categoryOf(s)] += s.size;
  });
  const modelFlash = flash.code + flash.libraryCode + flash.weights + flash.luts + flash.data + flash.padding;
  const imageFlash = verify.image.text + verify.image.data;

  const ramSections = map.sections.filter((s) => s.size > 0 && s.name !== "*fill*" && inRam(s) && s.object === modelObject);
  // --arena external: predict keeps no arena of its own; the caller's buffer of the plan's size
  // (<NAME>_ARENA_BYTES) is the model's RAM all the same (the test harness's copy is not the model's)
  const arenaSection = ramSections.filter((s) => s.name === ".bss.sn_arena").reduce((n, s) => n + s.size, 0);
  const arenaMode = verify.build.arena;
  const arena = arenaMode === "external" ? plan.arenaBytes : arenaSection;
  const modelStatic = ramSections.reduce((n, s) => n + s.size, 0) - arenaSection;

  // Stack: the static bound (-fstack-usage frames over the disassembled call graph) and the painted peak.
  const stack = analyseStack(funcs, readStackUsage(a.workDir, "firmware-count.elf"));
  const modelBound = stack.bound(predict);
  const resetBound = stack.bound(RESET_HANDLER);
  const handlerBounds = INTERRUPT_HANDLERS.filter((h) => funcs.has(h)).map((h) => stack.bound(h));
  const exceptionBytes = exceptionFrameBytes(board.fpu) + Math.max(0, ...handlerBounds.map((h) => h.bytes));
  const strip = (b: ReturnType<typeof stack.bound>) => ({
    bytes: b.bytes,
    path: b.path.map((f) => ({ name: f.name, bytes: f.bytes, source: f.source })),
    complete: b.complete,
    problems: b.problems,
  });

  const ramModel = {
    arenaMode,
    arena,
    arenaPlanned: plan.arenaBytes,
    static: modelStatic,
    stack: modelBound.bytes,
    total: arena + modelStatic + modelBound.bytes,
    ioBytes: { input: shapeSize(graph.inputShape), output: shapeSize(graph.outputShape) },
  };

  // Per-layer table.
  const sectionBytes = new Map(map.sections.filter((s) => s.object === modelObject).map((s) => [s.name, s.size]));
  const sumInstructions = a.layerInstructions.reduce((s, v) => s + v, 0);
  const layers: LayerRow[] = graph.layers.map((layer, i) => {
    const lp = plan.layers[i]!;
    const arrays = lowerLayer(layer, plan.tables).map((arr) => `.rodata.${layer.id}_${arr.role}`);
    const tables = dedupedLayerTables(layer, plan);
    return {
      index: i,
      id: layer.id,
      kind: layer.kind,
      outputShape: [...layer.outputShape],
      paramBytes: arrays.reduce((n, name) => n + (sectionBytes.get(name) ?? 0), 0),
      paramBytesPlanned: lp.paramBytes,
      lutBytes: tables.length * 256,
      tables,
      ops: { ...lp.ops, total: totalOps(lp.ops) },
      arena: lp.slot ? { offset: lp.slot.offset, size: lp.slot.size } : null,
      instructions: a.layerInstructions[i]!,
      share: sumInstructions > 0 ? a.layerInstructions[i]! / sumInstructions : 0,
      quantization: layerQuantization(graph, layer.id),
    };
  });

  const latency = estimateLatency(verify.instructions.mean, board);
  const m = verify.firstMismatch;
  return {
    board: boardInfo(board),
    build: verify.build,
    verify: {
      passed: verify.passed,
      vectors: verify.vectors.total,
      mismatchedVectors: verify.mismatchedVectors,
      accuracy: verify.accuracy,
      firstMismatch: m ? `vector ${m.vector} (${m.source}), layer ${m.layer.index} "${m.layer.id}" (${m.layer.kind}), byte ${m.index}: expected ${m.expected}, got ${m.got}` : null,
      method: "measured: QEMU runs of the shipping and traced images compared byte for byte with the TypeScript reference",
    },
    flash: {
      model: { ...pick(flash, ["code", "libraryCode", "weights", "luts", "data", "padding"]), libraryFunctions: [...libraryFunctions].sort(), total: modelFlash },
      image: { text: verify.image.text, data: verify.image.data, total: imageFlash, model: modelFlash, harness: flash.harness, other: imageFlash - modelFlash - flash.harness },
      method: "measured: input sections of the linker map (by object file) of the built ELF; library routines reached from predict in the disassembly count as model code; image totals from arm-none-eabi-size",
    },
    ram: {
      model: ramModel,
      image: { data: verify.image.data, bss: verify.image.bss, static: verify.image.ramBytes },
      method: "measured: the model's .bss/.data input sections in the linker map (arena = .bss.sn_arena, checked against the plan) + static stack bound of predict",
    },
    stack: {
      painted: {
        usedBytes: verify.stack.usedBytes,
        availableBytes: verify.stack.availableBytes,
        method: "measured: RAM above .bss painted at reset, deepest overwritten word after every vector ran in QEMU (whole test image, from the reset handler)",
      },
      static: {
        image: { ...strip(resetBound), bytes: resetBound.bytes + exceptionBytes, exceptionBytes },
        model: strip(modelBound),
        method: "static: gcc -fstack-usage frames (library routines: PUSH/SUB SP of their disassembly) summed along the deepest path of the call graph disassembled from the ELF; the image bound adds one exception entry (hardware frame + SysTick handler)",
      },
    },
    ops: { ...plan.totals, total: totalOps(plan.totals), method: "from the plan: operations the generated loops perform per inference" },
    instructions: {
      min: verify.instructions.min,
      mean: verify.instructions.mean,
      max: verify.instructions.max,
      vectors: verify.instructions.perVector.length,
      method: `measured: QEMU -icount (shift ${board.qemu.icountShift}) with SysTick as the instruction counter, calibrated per run; ${board.qemu.machine} emulates ${board.qemu.cpu}; deterministic`,
    },
    latency,
    layers,
    layersMethod: `measured: a profile image (-DSTRONGNET_TRACE with a SysTick hook after each layer, its overhead calibrated and subtracted), mean of ${a.profiledVectors} vector(s); shares are of the profiled total`,
    fit: fitOf(modelFlash, ramModel.total, board, "model flash (code + library routines + weights + LUTs + data) vs board flash; model RAM (arena + static data + predict's static stack bound) vs board RAM"),
  };
}

function pick<T extends Record<string, number>, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

/** The fit row of a measured board. */
export function fitRow(r: BoardReport): BoardFit {
  return {
    board: r.board,
    status: r.fit.fits ? "fits" : "does-not-fit",
    reason: r.fit.fits ? null : [r.fit.flash.margin < 0 ? `flash over by ${-r.fit.flash.margin} B` : "", r.fit.ram.margin < 0 ? `RAM over by ${-r.fit.ram.margin} B` : ""].filter(Boolean).join(", "),
    fit: r.fit,
    latencyMicroseconds: r.latency.microseconds,
    instructions: r.instructions.mean,
  };
}

/** A board the firmware could not be built or run for: does not fit (plan or linker), the emulator is too small, or an error. */
export function failedRow(graph: Graph, board: Board, err: unknown): BoardFit {
  const plan = planGraph(graph);
  const planFit = fitOf(plan.constBytes, plan.arenaBytes, board, "from the plan only (no firmware was built): model constants vs flash, activation arena vs RAM");
  const row = (status: BoardFit["status"], reason: string, fit: Fit | null): BoardFit => ({ board: boardInfo(board), status, reason, fit, latencyMicroseconds: null, instructions: null });
  if (err instanceof BudgetError) {
    const reason = err.problems.map((p) => `${p.resource === "flash" ? "flash" : "RAM"} over by ${p.needed - p.available} B (${p.resource === "flash" ? "model constants" : "activation arena"} ${p.needed} B > ${p.available} B)`).join(", ");
    return row("does-not-fit", reason, { ...planFit, fits: false });
  }
  if (err instanceof FirmwareTooLargeError) {
    const regions = linkRegions(board);
    const boardBytes = err.region === "RAM" ? board.ramBytes : board.flashBytes;
    const machineBytes = err.region === "RAM" ? regions.ram.length : regions.flash.length;
    const what = `the test image's ${err.region} ${err.overflowBytes === undefined ? "leaves less than the minimum stack" : `overflowed by ${err.overflowBytes} B`} at link time (region ${err.regionBytes} B)`;
    if (machineBytes < boardBytes && planFit.fits) {
      return row("unmeasured", `QEMU ${board.qemu.machine} has ${machineBytes} B of ${err.region}, less than the board: ${what}`, planFit);
    }
    return row("does-not-fit", what, { ...planFit, fits: false });
  }
  return row("error", err instanceof Error ? err.message : String(err), null);
}

/** The quantization of a layer's output that an importer recorded in the metadata, if any. */
function layerQuantization(graph: Graph, id: string): { scale: number; zeroPoint: number } | null {
  const q = (graph.metadata?.tensors as Record<string, { scale?: unknown; zeroPoint?: unknown }> | undefined)?.[id];
  return q && typeof q.scale === "number" && Number.isInteger(q.zeroPoint) ? { scale: q.scale, zeroPoint: q.zeroPoint as number } : null;
}
