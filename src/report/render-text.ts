/** The terminal report: every figure with how it was obtained, the per-layer table, board fit, budgets. */
import type { Report } from "./schema.js";
import { boardsTable, budgetLines, fitText, flashRows, layerTable, ramRows, type Table } from "./tables.js";
import { formatBytes, formatMicroseconds, formatMicrosecondsRange } from "./units.js";

export function textTable(t: Table, indent = "  "): string[] {
  const all = [t.head, ...t.rows, ...(t.foot ? [t.foot] : [])];
  const widths = t.head.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) =>
    indent +
    r
      .map((cell, c) => (t.align[c] === "r" ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  const rule = indent + widths.map((w) => "-".repeat(w)).join("  ");
  return [line(t.head), rule, ...t.rows.map(line), ...(t.foot ? [rule, line(t.foot)] : [])];
}

const n = (v: number) => v.toLocaleString("en-US");

export function renderText(r: Report): string {
  const out: string[] = [];
  const p = r.primary;
  if (p) {
    const b = p.board;
    out.push(`strongnet report: ${r.model.name} (sha256 ${r.model.sha256.slice(0, 12)}) on ${b.name}: ${b.core} at ${b.clockHz / 1e6} MHz, QEMU ${b.qemuMachine}`);
    out.push(
      `  verify        ${p.verify.passed ? "PASS" : "FAIL"}: ${p.verify.passed ? `all ${p.verify.vectors} vectors bit-exact` : `${p.verify.mismatchedVectors} of ${p.verify.vectors} vectors differ; first: ${p.verify.firstMismatch}`} (QEMU vs reference)`,
      ...(p.verify.accuracy
        ? [`  accuracy      ${p.verify.accuracy.correct}/${p.verify.accuracy.total} ${p.verify.accuracy.dataset} labelled samples = ${(100 * p.verify.accuracy.value).toFixed(2)}% (firmware outputs)`]
        : []),
    );
    out.push(`  fit           ${fitText(p.fit)}`);
    out.push(`  built with    ${p.build.compiler} ${p.build.cflags.join(" ")}`);
    out.push("");
    out.push(`  flash         ${formatBytes(p.flash.model.total)} for the model   [measured: ELF linker map + disassembly]`);
    for (const [k, v, note] of flashRows(p).slice(0, -1)) out.push(`    ${k.padEnd(13)} ${v.padStart(9)}  ${note}`);
    out.push(`    ${"test image".padEnd(13)} ${formatBytes(p.flash.image.total).padStart(9)}  text ${p.flash.image.text} + data ${p.flash.image.data} (arm-none-eabi-size); harness and startup ${p.flash.image.harness} B do not ship`);
    out.push(`  RAM           ${formatBytes(p.ram.model.total)} for the model   [measured: ELF linker map + static stack bound]`);
    for (const [k, v, note] of ramRows(p).slice(0, -1)) out.push(`    ${k.padEnd(13)} ${v.padStart(9)}  ${note}`);
    out.push(`    ${"I/O buffers".padEnd(13)} ${formatBytes(p.ram.model.ioBytes.input + p.ram.model.ioBytes.output).padStart(9)}  the caller's input + output (not counted)`);
    const st = p.stack;
    const img = st.static.image;
    out.push(
      `  stack         painted peak ${st.painted.usedBytes} B <= static bound ${img.bytes} B (test image: ${img.path.map((f) => `${f.name} ${f.bytes}`).join(" -> ")} + exception entry ${img.exceptionBytes})${img.complete ? "" : ` INCOMPLETE: ${img.problems.join("; ")}`}`,
    );
    out.push(`                [painted: measured in QEMU; bound: gcc -fstack-usage over the disassembled call graph]`);
    out.push(`  ops           ${n(p.ops.total)} per inference: ${n(p.ops.lookups)} lookups, ${n(p.ops.minmax)} min/max, ${n(p.ops.macs)} MACs, ${n(p.ops.requants)} requants, ${n(p.ops.compares)} compares   [plan]`);
    out.push(`  instructions  ${n(p.instructions.mean)} per inference (min ${n(p.instructions.min)}, max ${n(p.instructions.max)}, ${p.instructions.vectors} vectors)   [measured: QEMU -icount, deterministic]`);
    const l = p.latency;
    out.push(
      `  latency       ~${formatMicroseconds(l.microseconds)} ESTIMATE (${formatMicrosecondsRange(...l.rangeMicroseconds)}): ${l.cpi} cycles/instruction (${l.core} model, docs/report.md) at ${l.clockHz / 1e6} MHz`,
    );
    out.push("");
    out.push(`  layers        [params: ELF; ops: plan; instructions: profile image, QEMU -icount]`);
    out.push(...textTable(layerTable(p), "    "));
  } else {
    out.push(`strongnet report: ${r.model.name} (sha256 ${r.model.sha256.slice(0, 12)})`);
  }
  if (r.boards.length > 1 || !p) {
    out.push("");
    out.push(`  boards        [flash/RAM: model footprint measured per board; latency: estimate]`);
    out.push(...textTable(boardsTable(r.boards), "    "));
  }
  const budget = budgetLines(r);
  if (budget.length) {
    out.push("");
    out.push(`  budget        ${r.budget.source}`);
    for (const line of budget) out.push(`    ${line}`);
  }
  out.push("");
  out.push(`  result        ${r.passed ? "PASS" : "FAIL"}${r.passed ? "" : `: ${r.budget.violations.length} budget/fit violation(s)${p && !p.verify.passed ? ", not bit-exact" : ""}`}`);
  return out.join("\n") + "\n";
}
