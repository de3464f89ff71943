/**
 * Human-readable forms of a robustness evaluation: a terminal table, a Markdown report and a
 * self-contained SVG plot of accuracy (clean / attacked / certified) against eps.
 */
import type { ModelRobustness } from "./evaluate.js";
import type { LipschitzReport } from "./lipschitz.js";

export interface RobustnessReport {
  /** what eps means, stated in every output */
  epsUnit: string;
  models: ModelRobustness[];
}

export const EPS_UNIT = "eps E = ±E on the int8 pixel scale (pixel = byte - 128), i.e. E/255 of the [0,1] intensity range; perturbed pixels are clipped to -128..127";

const fmt = (v: number) => v.toFixed(2);
const fmtGain = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function resultTable(m: ModelRobustness): string[] {
  const milp = m.verifier === "milp";
  const rows = [["eps", "eps/255", "clean %", "attacked %", "certified %", ...(milp ? ["MILP-verified %", "undecided", "MILP falsified", "MILPs (mean s)"] : []), "broken after (mean queries)"]];
  for (const r of m.results) {
    const v = r.milp;
    rows.push([
      String(r.eps),
      (r.eps / 255).toFixed(3),
      fmt(m.cleanAccuracy),
      fmt(r.attackedAccuracy),
      fmt(r.certifiedAccuracy),
      ...(milp && v ? [fmt(v.verifiedAccuracy), String(v.undecided), String(v.falsifiedByMilp), `${v.solved} (${v.meanSeconds ?? "-"})`] : []),
      r.meanQueriesToBreak === null ? "-" : String(r.meanQueriesToBreak),
    ]);
  }
  return rows.map((r) => r.join(" | "));
}

function lipschitzLines(l: LipschitzReport): string[] {
  const out: string[] = [];
  for (const layer of l.layers) {
    const top = layer.top
      .filter((t) => t.gain > 1)
      .slice(0, 3)
      .map((t) => `#${t.index} ${fmtGain(t.gain)}${t.l1 !== undefined ? ` = ${t.l1} x ${t.scale!.toPrecision(3)}` : ""}`);
    out.push(
      `${layer.id} (${layer.kind}): max gain ${fmtGain(layer.gain)}, median ${fmtGain(layer.median)}, ${layer.amplifying}/${layer.neurons} neurons with gain > 1` +
        (top.length ? `; largest: ${top.join(", ")}` : ""),
    );
  }
  out.push(`product of layer gains (bound on score change per pixel step): ${fmtGain(l.networkGain)}`);
  if (l.marginGain) out.push(`largest pairwise margin gain: ${fmtGain(l.marginGain.gain)} (classes ${l.marginGain.classes.join(" vs ")})`);
  const steep = l.tables.filter((t) => t.slope > 1);
  out.push(`${l.tables.length} tables in use, ${steep.length} with slope > 1`);
  for (const t of steep.slice(0, 8)) {
    const where = t.steep
      .slice(0, 4)
      .map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`))
      .join(", ");
    out.push(`  table ${t.table}: slope ${t.slope} at x = ${where}${t.steep.length > 4 ? ", ..." : ""} (used by ${t.usedBy.join(", ")})`);
  }
  return out;
}

export function formatText(report: RobustnessReport): string {
  const out: string[] = [];
  for (const m of report.models) {
    out.push(`${m.model} on ${m.dataset}: ${m.samples} samples, ${m.queries} attack queries per sample and eps, seed ${m.seed}${m.verifier === "milp" ? `, MILP time limit ${m.results[0]?.milp?.timeLimit} s per sample` : ""}, ${m.seconds} s`);
    out.push(...resultTable(m).map((l) => `  ${l}`));
    out.push("  Lipschitz facts (L-infinity):");
    out.push(...lipschitzLines(m.lipschitz).map((l) => `    ${l}`));
    out.push("");
  }
  out.push(EPS_UNIT);
  return out.join("\n") + "\n";
}

export function formatMarkdown(report: RobustnessReport, title = "Adversarial robustness", preamble = true): string {
  const out: string[] = [`# ${title}`, ""];
  if (preamble) out.push(`${EPS_UNIT}.`, "");
  if (preamble) out.push(
    "Attacked accuracy: correct on the clean image and not broken by the seeded L-infinity attack on the int8 model " +
      "(surrogate-gradient PGD, Square-attack random search and greedy coordinate search, every candidate scored on the int8 model, successes confirmed by the reference interpreter) — an upper bound on the true robust accuracy. " +
      "Certified accuracy: correct and proved robust by interval bound propagation through the int8 graph — a lower bound. " +
      "certified <= attacked <= clean is checked on every sample." +
      (report.models.some((m) => m.verifier === "milp")
        ? " MILP-verified: correct and proved robust by IBP or by an exact mixed-integer program over the int8 graph (HiGHS) within the time limit — a lower bound at least as high as certified; undecided samples (time limit) are neither; MILP falsified: counterexamples only the MILP found, confirmed by the reference interpreter."
        : ""),
    "",
  );
  if (report.models.length > 1) {
    const epsAll = [...new Set(report.models.flatMap((m) => m.results.map((r) => r.eps)))].sort((a, b) => a - b);
    out.push("## Side by side", "");
    out.push(`| eps | ${report.models.map((m) => `${m.model} attacked / certified %`).join(" | ")} |`);
    out.push(`| --- | ${report.models.map(() => "---").join(" | ")} |`);
    out.push(`| clean | ${report.models.map((m) => fmt(m.cleanAccuracy)).join(" | ")} |`);
    for (const eps of epsAll) {
      const cells = report.models.map((m) => {
        const r = m.results.find((x) => x.eps === eps);
        return r ? `${fmt(r.attackedAccuracy)} / ${fmt(r.certifiedAccuracy)}` : "-";
      });
      out.push(`| ${eps} | ${cells.join(" | ")} |`);
    }
    out.push("");
  }
  for (const m of report.models) {
    out.push(`## ${m.model}`, "");
    out.push(
      `Data: ${m.dataset}, first ${m.samples} images. Attack: ${m.queries} queries per sample and eps, seed ${m.seed}. sha256 ${m.sha256.slice(0, 16)}…, ${m.seconds} s.`,
      "",
    );
    const [head, ...rows] = resultTable(m);
    out.push(`| ${head} |`, `| ${head!.split(" | ").map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r} |`), "");
    out.push("Mean IBP interval width per layer (int8 units; where the bounds grow):", "");
    const ids = Object.keys(m.results[0]?.meanWidth ?? {});
    out.push(`| eps | ${ids.join(" | ")} |`, `| --- | ${ids.map(() => "---").join(" | ")} |`);
    for (const r of m.results) out.push(`| ${r.eps} | ${ids.map((id) => fmt(r.meanWidth[id]!)).join(" | ")} |`);
    out.push("", "Lipschitz facts (L-infinity, per neuron; a linear row's gain is ||w||_1 x multiplier / 2^shift):", "");
    out.push(...lipschitzLines(m.lipschitz).map((l) => (l.startsWith("  ") ? `  - ${l.trim()}` : `- ${l}`)), "");
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// SVG plot

const COLORS = { clean: "#555555", attacked: "#d62728", certified: "#1f77b4" } as const;
const DASHES = ["", "7,4", "2,3", "10,3,2,3"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Accuracy vs eps: colour = metric, line style = model. Deterministic, self-contained SVG. */
export function plotSvg(report: RobustnessReport, title = "Accuracy vs L-infinity eps (int8 pixel units)"): string {
  const W = 720;
  const H = 440;
  const left = 60;
  const right = 220;
  const top = 40;
  const bottom = 60;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const epsAll = report.models.flatMap((m) => m.results.map((r) => r.eps));
  const maxEps = Math.max(1, ...epsAll);
  const x = (e: number) => left + (e / maxEps) * pw;
  const y = (a: number) => top + (1 - a / 100) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${left + pw / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  // grid and axes
  for (let a = 0; a <= 100; a += 20) {
    parts.push(`<line x1="${left}" y1="${y(a)}" x2="${left + pw}" y2="${y(a)}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${left - 6}" y="${y(a) + 4}" text-anchor="end">${a}</text>`);
  }
  const ticks = [...new Set([0, ...epsAll])].sort((a, b) => a - b);
  for (const e of ticks) {
    parts.push(`<line x1="${x(e)}" y1="${top + ph}" x2="${x(e)}" y2="${top + ph + 4}" stroke="#000"/>`);
    parts.push(`<text x="${x(e)}" y="${top + ph + 18}" text-anchor="middle">${e}</text>`);
  }
  parts.push(`<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#000"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#000"/>`);
  parts.push(`<text x="${left + pw / 2}" y="${H - 18}" text-anchor="middle">eps (±eps of 255 per pixel)</text>`);
  parts.push(`<text transform="translate(16 ${top + ph / 2}) rotate(-90)" text-anchor="middle">accuracy %</text>`);
  // series
  let legendY = top + 10;
  report.models.forEach((m, mi) => {
    const dash = DASHES[mi % DASHES.length]!;
    const series: [keyof typeof COLORS, number[][]][] = [
      ["clean", [[0, m.cleanAccuracy], [maxEps, m.cleanAccuracy]]],
      ["attacked", [[0, m.cleanAccuracy], ...m.results.map((r) => [r.eps, r.attackedAccuracy])]],
      ["certified", [[0, m.cleanAccuracy], ...m.results.map((r) => [r.eps, r.certifiedAccuracy])]],
    ];
    parts.push(`<text x="${left + pw + 16}" y="${legendY}" font-weight="bold">${esc(m.model)}</text>`);
    legendY += 16;
    for (const [metric, pts] of series) {
      const uniq = pts.filter((p, i) => i === 0 || p[0] !== pts[i - 1]![0]);
      const d = uniq.map((p, i) => `${i ? "L" : "M"}${x(p[0]!).toFixed(1)} ${y(p[1]!).toFixed(1)}`).join(" ");
      parts.push(
        `<path d="${d}" fill="none" stroke="${COLORS[metric]}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}><title>${esc(`${m.model} ${metric}`)}</title></path>`,
      );
      if (metric !== "clean")
        for (const p of uniq) parts.push(`<circle cx="${x(p[0]!).toFixed(1)}" cy="${y(p[1]!).toFixed(1)}" r="3" fill="${COLORS[metric]}"/>`);
      parts.push(
        `<line x1="${left + pw + 16}" y1="${legendY - 4}" x2="${left + pw + 46}" y2="${legendY - 4}" stroke="${COLORS[metric]}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      );
      parts.push(`<text x="${left + pw + 52}" y="${legendY}">${metric}</text>`);
      legendY += 16;
    }
    legendY += 8;
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
