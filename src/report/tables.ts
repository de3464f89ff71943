/**
 * The report's tables as rows of strings, shared by the terminal, Markdown and HTML renderers so
 * all three show the same figures with the same labels.
 */
import type { BoardFit, BoardReport, Report } from "./schema.js";
import { formatBytes, formatMicroseconds, percent } from "./units.js";

export type Align = "l" | "r";

export interface Table {
  head: string[];
  align: Align[];
  rows: string[][];
  /** a last row set apart (totals) */
  foot?: string[];
}

const n = (v: number) => v.toLocaleString("en-US");

export function layerTable(r: BoardReport): Table {
  // imported models record each output's quantization: show it when there is any
  const quantized = r.layers.some((l) => l.quantization);
  const quant = (l: BoardReport["layers"][number]) => (quantized ? [l.quantization ? `${l.quantization.scale.toPrecision(4)} / ${l.quantization.zeroPoint}` : "-"] : []);
  const rows = r.layers.map((l) => [
    String(l.index),
    l.id,
    l.kind,
    l.outputShape.join("x"),
    ...quant(l),
    n(l.paramBytes),
    n(l.lutBytes),
    n(l.ops.total),
    n(l.instructions),
    percent(l.share, 1),
  ]);
  const sum = (f: (l: BoardReport["layers"][number]) => number) => r.layers.reduce((s, l) => s + f(l), 0);
  return {
    head: ["#", "layer", "kind", "output", ...(quantized ? ["scale / zero point"] : []), "params B", "LUT B", "ops", "instructions", "share"],
    align: ["r", "l", "l", "l", ...(quantized ? (["r"] as Align[]) : []), "r", "r", "r", "r", "r"],
    rows,
    foot: ["", "total", "", "", ...(quantized ? [""] : []), n(sum((l) => l.paramBytes)), `${n(r.flash.model.luts)} (dedup)`, n(sum((l) => l.ops.total)), n(sum((l) => l.instructions)), "100%"],
  };
}

export function flashRows(r: BoardReport): [string, string, string][] {
  const f = r.flash.model;
  return [
    ["code", formatBytes(f.code), "the model's functions (.text of the model's object)"],
    ["library code", formatBytes(f.libraryCode), f.libraryFunctions.length ? `library routines the model calls: ${f.libraryFunctions.join(", ")}` : "no library routines called"],
    ["weights", formatBytes(f.weights), "weights, biases and index tables (.rodata)"],
    ["LUTs", formatBytes(f.luts), `${f.luts / 256} de-duplicated 256-entry tables (sn_tables)`],
    ...(f.data ? [["data", formatBytes(f.data), "initialised data (flash copy)"] as [string, string, string]] : []),
    ["padding", formatBytes(f.padding), "alignment before the model's sections"],
    ["total", formatBytes(f.total), `${f.total} B`],
  ];
}

export function ramRows(r: BoardReport): [string, string, string][] {
  const m = r.ram.model;
  return [
    [
      "arena",
      formatBytes(m.arena),
      m.arenaMode === "external"
        ? `activation arena the caller passes to predict (--arena external: <NAME>_ARENA_BYTES, liveness plan ${m.arenaPlanned} B)`
        : `activation arena (.bss.sn_arena; liveness plan ${m.arenaPlanned} B)`,
    ],
    ["static", formatBytes(m.static), "other static data of the model"],
    ["stack", formatBytes(m.stack), `static bound of ${r.stack.static.model.path[0]?.name ?? "predict"} (-fstack-usage)${r.stack.static.model.complete ? "" : " INCOMPLETE"}`],
    ["total", formatBytes(m.total), `${m.total} B; plus the caller's input (${m.ioBytes.input} B) and output (${m.ioBytes.output} B) buffers`],
  ];
}

export function fitText(f: BoardReport["fit"]): string {
  const side = (name: string, x: BoardReport["fit"]["flash"]) =>
    x.margin >= 0 ? `${name} ${formatBytes(x.used)} of ${formatBytes(x.available)} (${percent(x.used, x.available)}, margin ${formatBytes(x.margin)})` : `${name} OVER by ${formatBytes(-x.margin)} (${formatBytes(x.used)} of ${formatBytes(x.available)})`;
  return `${f.fits ? "FITS" : "DOES NOT FIT"}: ${side("flash", f.flash)}; ${side("RAM", f.ram)}`;
}

export function boardsTable(rows: BoardFit[]): Table {
  return {
    head: ["board", "core", "clock", "flash used", "flash %", "RAM used", "RAM %", "instructions", "latency (est.)", "verdict"],
    align: ["l", "l", "r", "r", "r", "r", "r", "r", "r", "l"],
    rows: rows.map((b) => [
      b.board.name,
      b.board.core,
      `${b.board.clockHz / 1e6} MHz`,
      b.fit ? `${formatBytes(b.fit.flash.used)} / ${formatBytes(b.fit.flash.available)}${b.status === "fits" ? "" : " (plan)"}` : "-",
      b.fit ? percent(b.fit.flash.used, b.fit.flash.available) : "-",
      b.fit ? `${formatBytes(b.fit.ram.used)} / ${formatBytes(b.fit.ram.available)}${b.status === "fits" ? "" : " (plan)"}` : "-",
      b.fit ? percent(b.fit.ram.used, b.fit.ram.available) : "-",
      b.instructions === null ? "-" : n(b.instructions),
      b.latencyMicroseconds === null ? "-" : `~${formatMicroseconds(b.latencyMicroseconds)}`,
      b.status === "fits" ? "fits" : b.status === "does-not-fit" ? `DOES NOT FIT: ${b.reason ?? ""}` : b.status === "unmeasured" ? `fits by the plan, not measured: ${b.reason ?? ""}` : `error: ${b.reason ?? ""}`,
    ]),
  };
}

export function budgetLines(r: Report): string[] {
  const out: string[] = [];
  for (const l of r.budget.limits) {
    const figures = r.primary?.board.name === l.board ? r.primary : undefined;
    const fit = r.boards.find((b) => b.board.name === l.board);
    const check = (name: string, limit: number | undefined, value: number | undefined, fmt: (v: number) => string, note = "") => {
      if (limit === undefined) return;
      if (value === undefined) return out.push(`${l.board}: ${name} <= ${fmt(limit)}: not measured`);
      const ok = value <= limit;
      out.push(`${l.board}: ${name} <= ${fmt(limit)}: ${fmt(value)}${note} ${ok ? `OK (margin ${fmt(limit - value)})` : `OVER by ${fmt(value - limit)}`}`);
    };
    check("flash", l.maxFlash, figures?.fit.flash.used ?? fit?.fit?.flash.used, (v) => `${v} B`);
    check("RAM", l.maxRam, figures?.fit.ram.used ?? fit?.fit?.ram.used, (v) => `${v} B`);
    check("latency", l.maxLatencyUs, figures?.latency.microseconds ?? fit?.latencyMicroseconds ?? undefined, formatMicroseconds, " (estimate)");
  }
  return out;
}
