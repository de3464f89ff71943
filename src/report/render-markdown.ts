/** The report as Markdown (GitHub-flavoured tables), e.g. for a pull-request comment or a job summary. */
import type { Report } from "./schema.js";
import { boardsTable, budgetLines, fitText, flashRows, layerTable, ramRows, type Table } from "./tables.js";
import { formatBytes, formatMicroseconds, formatMicrosecondsRange } from "./units.js";

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function markdownTable(t: Table): string[] {
  const row = (r: string[]) => `| ${r.map(cell).join(" | ")} |`;
  const sep = `| ${t.align.map((a) => (a === "r" ? "---:" : "---")).join(" | ")} |`;
  return [row(t.head), sep, ...t.rows.map(row), ...(t.foot ? [row(t.foot.map((c, i) => (c && i > 0 ? `**${c}**` : c)))] : [])];
}

const n = (v: number) => v.toLocaleString("en-US");

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  const p = r.primary;
  out.push(`# strongnet report: ${r.model.name}${p ? ` on ${p.board.name}` : ""}`);
  out.push("");
  out.push(`Model \`${r.model.name}\` (sha256 \`${r.model.sha256.slice(0, 12)}\`), strongnet ${r.tool.version}. **Result: ${r.passed ? "PASS" : "FAIL"}**`);
  out.push("");
  if (p) {
    const b = p.board;
    out.push(`Board **${b.name}**: ${b.core} at ${b.clockHz / 1e6} MHz, ${formatBytes(b.flashBytes)} flash, ${formatBytes(b.ramBytes)} RAM (emulated on QEMU \`${b.qemuMachine}\`).`);
    out.push("");
    out.push("| figure | value | how it was obtained |");
    out.push("| --- | ---: | --- |");
    out.push(`| verify | ${p.verify.passed ? "PASS" : "**FAIL**"} (${p.verify.vectors} vectors) | ${p.verify.method} |`);
    out.push(`| built with | ${p.build.compiler} | \`${p.build.cflags.join(" ")}\` |`);
    out.push(`| fit | ${p.fit.fits ? "fits" : "**does not fit**"} | ${cell(fitText(p.fit))} |`);
    out.push(`| flash (model) | ${formatBytes(p.flash.model.total)} | ${p.flash.method} |`);
    out.push(`| RAM (model) | ${formatBytes(p.ram.model.total)} | ${p.ram.method} |`);
    out.push(`| stack, painted | ${p.stack.painted.usedBytes} B | ${p.stack.painted.method} |`);
    out.push(`| stack, static bound (image) | ${p.stack.static.image.bytes} B | ${p.stack.static.method} |`);
    out.push(`| stack, static bound (predict) | ${p.stack.static.model.bytes} B | static, as above, from \`${p.stack.static.model.path[0]?.name ?? "predict"}\` |`);
    out.push(`| ops per inference | ${n(p.ops.total)} | ${p.ops.method}: ${n(p.ops.lookups)} lookups, ${n(p.ops.minmax)} min/max, ${n(p.ops.macs)} MACs, ${n(p.ops.requants)} requants, ${n(p.ops.compares)} compares |`);
    out.push(`| instructions per inference | ${n(p.instructions.mean)} | ${p.instructions.method} (min ${n(p.instructions.min)}, max ${n(p.instructions.max)}) |`);
    out.push(
      `| latency | ~${formatMicroseconds(p.latency.microseconds)} (**estimate**, ${formatMicrosecondsRange(...p.latency.rangeMicroseconds)}) | ${cell(p.latency.method)} |`,
    );
    out.push("");
    out.push("## Flash");
    out.push("");
    out.push("| part | size | what |");
    out.push("| --- | ---: | --- |");
    for (const [k, v, note] of flashRows(p)) out.push(`| ${k} | ${v} | ${cell(note)} |`);
    out.push(`| test image | ${formatBytes(p.flash.image.total)} | text ${p.flash.image.text} + data ${p.flash.image.data} (arm-none-eabi-size); harness and startup ${p.flash.image.harness} B do not ship |`);
    out.push("");
    out.push("## RAM");
    out.push("");
    out.push("| part | size | what |");
    out.push("| --- | ---: | --- |");
    for (const [k, v, note] of ramRows(p)) out.push(`| ${k} | ${v} | ${cell(note)} |`);
    out.push("");
    out.push("## Layers");
    out.push("");
    out.push(`Params from the ELF, ops from the plan, instructions ${cell(p.layersMethod)}.`);
    out.push("");
    out.push(...markdownTable(layerTable(p)));
    out.push("");
  }
  if (r.boards.length > 1 || !p) {
    out.push("## Boards");
    out.push("");
    out.push(...markdownTable(boardsTable(r.boards)));
    out.push("");
  }
  const budget = budgetLines(r);
  if (budget.length || r.budget.violations.length) {
    out.push(`## Budget${r.budget.source ? ` (${r.budget.source})` : ""}`);
    out.push("");
    for (const line of budget) out.push(`- ${line}`);
    for (const v of r.budget.violations) out.push(`- **${v.resource === "fit" ? "does not fit" : "over budget"}**: ${v.message}`);
    out.push("");
  }
  return out.join("\n");
}
