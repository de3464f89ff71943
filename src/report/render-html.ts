/**
 * The report as one self-contained HTML page: inline CSS and inline SVG charts, no script, no
 * external resources (it opens from a CI artifact offline). The full JSON report is embedded
 * in <script type="application/json" id="strongnet-report"> for tools that scrape the page.
 */
import type { BoardFit, BoardReport, Report } from "./schema.js";
import { barChart, esc, type BarRow } from "./svg.js";
import { boardsTable, budgetLines, fitText, flashRows, layerTable, ramRows, type Table } from "./tables.js";
import { formatBytes, formatMicroseconds, formatMicrosecondsRange, percent } from "./units.js";

const COLORS = {
  lookups: "#1e88e5",
  minmax: "#43a047",
  macs: "#fb8c00",
  requants: "#8e24aa",
  compares: "#6d4c41",
  params: "#3949ab",
  luts: "#00897b",
  arena: "#f4511e",
  instructions: "#546e7a",
  ok: "#43a047",
  over: "#c62828",
  code: "#5e35b1",
  library: "#9575cd",
  weights: "#3949ab",
  padding: "#bdbdbd",
};

function htmlTable(t: Table, cls = ""): string {
  const th = t.head.map((h, i) => `<th class="${t.align[i]}">${esc(h)}</th>`).join("");
  const tr = (r: string[], tag = "td") => `<tr>${r.map((c, i) => `<${tag} class="${t.align[i]}">${esc(c)}</${tag}>`).join("")}</tr>`;
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${t.rows.map((r) => tr(r)).join("")}</tbody>${t.foot ? `<tfoot>${tr(t.foot)}</tfoot>` : ""}</table>`;
}

const n = (v: number) => v.toLocaleString("en-US");

function layerOpsChart(p: BoardReport): string {
  const kinds = ["lookups", "minmax", "macs", "requants", "compares"] as const;
  return barChart({
    id: "chart-layer-ops",
    title: "Operations per inference by layer (plan)",
    rows: p.layers.map((l) => ({ label: `${l.index} ${l.id}`, segments: kinds.map((k) => ({ name: k, value: l.ops[k], color: COLORS[k] })) })),
    format: (v) => n(Math.round(v)),
    legend: kinds.map((k) => ({ name: k, color: COLORS[k] })),
  });
}

function layerInstructionsChart(p: BoardReport): string {
  return barChart({
    id: "chart-layer-instructions",
    title: "Instructions per inference by layer (profile image, QEMU -icount)",
    rows: p.layers.map((l) => ({
      label: `${l.index} ${l.id}`,
      segments: [{ name: "instructions", value: l.instructions, color: COLORS.instructions }],
      note: `${n(l.instructions)} (${percent(l.share, 1)})`,
    })),
    format: (v) => n(Math.round(v)),
  });
}

function layerMemoryChart(p: BoardReport): string {
  return barChart({
    id: "chart-layer-memory",
    title: "Memory by layer: parameters and LUTs in flash, output buffer in the RAM arena",
    rows: p.layers.map((l) => ({
      label: `${l.index} ${l.id}`,
      segments: [
        { name: "params (flash)", value: l.paramBytes, color: COLORS.params },
        { name: "LUTs read (flash, shared)", value: l.lutBytes, color: COLORS.luts },
        { name: "output buffer (RAM arena)", value: l.arena?.size ?? 0, color: COLORS.arena },
      ],
    })),
    format: (v) => formatBytes(Math.round(v)),
    legend: [
      { name: "params (flash)", color: COLORS.params },
      { name: "LUTs read (flash)", color: COLORS.luts },
      { name: "output buffer (RAM)", color: COLORS.arena },
    ],
  });
}

function flashChart(p: BoardReport): string {
  const f = p.flash.model;
  return barChart({
    id: "chart-flash",
    title: `Model flash and RAM on ${p.board.name}`,
    rows: [
      {
        label: "flash",
        segments: [
          { name: "code", value: f.code, color: COLORS.code },
          { name: "library code", value: f.libraryCode, color: COLORS.library },
          { name: "weights", value: f.weights, color: COLORS.weights },
          { name: "LUTs", value: f.luts, color: COLORS.luts },
          { name: "data + padding", value: f.data + f.padding, color: COLORS.padding },
        ],
      },
      {
        label: "RAM",
        segments: [
          { name: "arena", value: p.ram.model.arena, color: COLORS.arena },
          { name: "static", value: p.ram.model.static, color: COLORS.padding },
          { name: "stack bound", value: p.ram.model.stack, color: COLORS.compares },
        ],
      },
    ],
    format: (v) => formatBytes(Math.round(v)),
    legend: [
      { name: "code", color: COLORS.code },
      { name: "library", color: COLORS.library },
      { name: "weights", color: COLORS.weights },
      { name: "LUTs", color: COLORS.luts },
      { name: "arena", color: COLORS.arena },
      { name: "stack", color: COLORS.compares },
    ],
  });
}

/** Flash and RAM of every board as % of the board, with the 100% line: over it does not fit. */
export function boardFitChart(rows: BoardFit[]): string {
  const bars: BarRow[] = [];
  for (const b of rows) {
    for (const side of ["flash", "RAM"] as const) {
      const f = b.fit ? (side === "flash" ? b.fit.flash : b.fit.ram) : null;
      const pct = f ? (100 * f.used) / f.available : 0;
      const over = f ? f.margin < 0 : false;
      const color = over ? COLORS.over : b.status === "unmeasured" ? COLORS.padding : COLORS.ok;
      bars.push({
        label: `${b.board.name} ${side}`,
        segments: f ? [{ name: `${side} ${formatBytes(f.used)} of ${formatBytes(f.available)}`, value: pct, color }] : [],
        note: b.status === "error" ? "error (see table)" : f ? `${pct.toFixed(1)}%${over ? " DOES NOT FIT" : b.status === "unmeasured" ? " (plan, not measured)" : ""}` : "-",
        alarm: b.status === "does-not-fit" || b.status === "error",
      });
    }
  }
  const max = Math.max(100, ...bars.flatMap((r) => r.segments.map((s) => s.value)));
  return barChart({
    id: "chart-board-fit",
    title: "Board fit: model flash and RAM as % of each board",
    rows: bars,
    format: (v) => `${Math.round(v)}%`,
    max,
    limit: { value: 100, label: "100%" },
    legend: [
      { name: "fits", color: COLORS.ok },
      { name: "over the board", color: COLORS.over },
      { name: "plan only (emulator too small)", color: COLORS.padding },
    ],
  });
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1000px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #eee; padding: .25rem .6rem; vertical-align: top; }
th { background: #f5f5f5; text-align: left; } td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: 600; border-top: 2px solid #ccc; }
.pass { color: #2e7d32; font-weight: 700; } .fail { color: #c62828; font-weight: 700; }
.method { color: #666; font-size: .82rem; } .estimate { background: #fff3e0; padding: 0 .3rem; border-radius: 3px; }
svg.chart { display: block; margin: 1rem 0; max-width: 100%; height: auto; }
`;

export function renderHtml(r: Report): string {
  const p = r.primary;
  const body: string[] = [];
  const verdict = `<span class="${r.passed ? "pass" : "fail"}">${r.passed ? "PASS" : "FAIL"}</span>`;
  body.push(`<h1>strongnet report: ${esc(r.model.name)}${p ? ` on ${esc(p.board.name)}` : ""} — ${verdict}</h1>`);
  body.push(`<p>Model <code>${esc(r.model.name)}</code> (sha256 <code>${esc(r.model.sha256.slice(0, 12))}</code>), input ${r.model.inputShape.join("x")}, output ${r.model.outputShape.join("x")}, ${r.model.layers} layers; strongnet ${esc(r.tool.version)}.</p>`);
  if (p) {
    const b = p.board;
    body.push(`<p>Board <b>${esc(b.name)}</b>: ${esc(b.core)} at ${b.clockHz / 1e6} MHz, ${formatBytes(b.flashBytes)} flash, ${formatBytes(b.ramBytes)} RAM; emulated on QEMU <code>${esc(b.qemuMachine)}</code>.</p>`);
    const row = (k: string, v: string, m: string) => `<tr><th>${esc(k)}</th><td class="r">${v}</td><td class="method">${esc(m)}</td></tr>`;
    body.push(`<h2>Summary</h2><table id="summary"><thead><tr><th>figure</th><th class="r">value</th><th>how it was obtained</th></tr></thead><tbody>`);
    body.push(row("verify", p.verify.passed ? `<span class="pass">PASS</span> (${p.verify.vectors} vectors)` : `<span class="fail">FAIL</span> ${esc(p.verify.firstMismatch ?? "")}`, p.verify.method));
    body.push(row("fit", p.fit.fits ? `<span class="pass">fits</span>` : `<span class="fail">does not fit</span>`, fitText(p.fit)));
    body.push(row("flash (model)", esc(formatBytes(p.flash.model.total)), p.flash.method));
    body.push(row("RAM (model)", esc(formatBytes(p.ram.model.total)), p.ram.method));
    body.push(row("stack, painted", `${p.stack.painted.usedBytes} B`, p.stack.painted.method));
    body.push(row("stack, static bound (image)", `${p.stack.static.image.bytes} B`, `${p.stack.static.method}; path ${p.stack.static.image.path.map((f) => `${f.name} ${f.bytes}`).join(" → ")} + exception ${p.stack.static.image.exceptionBytes}`));
    body.push(row("stack, static bound (predict)", `${p.stack.static.model.bytes} B`, "the model's own call tree, what it adds to the caller's stack"));
    body.push(row("ops per inference", n(p.ops.total), `${p.ops.method}: ${n(p.ops.lookups)} lookups, ${n(p.ops.minmax)} min/max, ${n(p.ops.macs)} MACs, ${n(p.ops.requants)} requants, ${n(p.ops.compares)} compares`));
    body.push(row("instructions per inference", n(p.instructions.mean), `${p.instructions.method} (min ${n(p.instructions.min)}, max ${n(p.instructions.max)})`));
    body.push(
      row(
        "latency",
        `<span class="estimate">~${esc(formatMicroseconds(p.latency.microseconds))} (estimate)</span>`,
        `${p.latency.method}; range ${formatMicrosecondsRange(...p.latency.rangeMicroseconds)}`,
      ),
    );
    body.push(`</tbody></table>`);
    body.push(`<h2>Flash and RAM</h2>`);
    body.push(flashChart(p));
    const parts = (rows: [string, string, string][]) => htmlTable({ head: ["part", "size", "what"], align: ["l", "r", "l"], rows: rows.map((x) => [...x]) });
    body.push(parts(flashRows(p)));
    body.push(`<p class="method">Test image: ${p.flash.image.total} B (text ${p.flash.image.text} + data ${p.flash.image.data}, arm-none-eabi-size); the harness and startup code (${p.flash.image.harness} B) do not ship.</p>`);
    body.push(parts(ramRows(p)));
    body.push(`<h2>Layers</h2>`);
    body.push(`<p class="method">Params: the layer's arrays in the ELF. Ops: the plan. Instructions: ${esc(p.layersMethod)}.</p>`);
    body.push(htmlTable(layerTable(p), "layers"));
    body.push(layerOpsChart(p));
    body.push(layerInstructionsChart(p));
    body.push(layerMemoryChart(p));
  }
  body.push(`<h2>Board fit</h2>`);
  body.push(boardFitChart(r.boards));
  body.push(htmlTable(boardsTable(r.boards), "boards"));
  const budget = budgetLines(r);
  if (budget.length || r.budget.violations.length) {
    body.push(`<h2>Budget${r.budget.source ? ` <span class="method">(${esc(r.budget.source)})</span>` : ""}</h2><ul>`);
    for (const line of budget) body.push(`<li>${esc(line)}</li>`);
    for (const v of r.budget.violations) body.push(`<li class="fail">${esc(v.message)}</li>`);
    body.push(`</ul>`);
  }
  const json = JSON.stringify(r).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>strongnet report: ${esc(r.model.name)}${p ? ` on ${esc(p.board.name)}` : ""}</title>
<style>${CSS}</style>
</head>
<body>
${body.join("\n")}
<script type="application/json" id="strongnet-report">${json}</script>
</body>
</html>
`;
}
