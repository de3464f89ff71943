/**
 * Inline SVG bar charts for the HTML report, generated here (no chart library, no CDN): the page
 * must open from a CI artifact with no network. Every chart has a title, labelled axes values,
 * a legend and a <title> tooltip on each bar segment.
 */

export const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export interface Segment {
  name: string;
  value: number;
  color: string;
}

export interface BarRow {
  label: string;
  segments: Segment[];
  /** text at the end of the bar (default: the formatted total) */
  note?: string;
  /** draws the row's label in the alarm colour */
  alarm?: boolean;
}

export interface BarChartOptions {
  id: string;
  title: string;
  rows: BarRow[];
  format: (v: number) => string;
  /** scale maximum (default: the largest row total) */
  max?: number;
  /** a vertical reference line, e.g. 100% of the board */
  limit?: { value: number; label: string };
  legend?: { name: string; color: string }[];
  width?: number;
}

const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif"`;

export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 760;
  const labelW = Math.min(220, 24 + 7 * Math.max(4, ...o.rows.map((r) => r.label.length)));
  const noteW = 150;
  const plotW = width - labelW - noteW;
  const rowH = 22;
  const top = 30;
  const legendH = o.legend?.length ? 24 : 0;
  const height = top + o.rows.length * rowH + 26 + legendH;
  const totals = o.rows.map((r) => r.segments.reduce((s, x) => s + x.value, 0));
  const max = Math.max(o.max ?? 0, ...totals, o.limit?.value ?? 0, 1e-9);
  const x = (v: number) => labelW + (plotW * v) / max;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${esc(o.id)}" data-chart="${esc(o.id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<text x="0" y="16" ${FONT} font-size="14" font-weight="600">${esc(o.title)}</text>`);
  // grid: 0, 25, 50, 75, 100% of the scale
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const gx = x(v).toFixed(1);
    parts.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${top + o.rows.length * rowH}" stroke="#ddd" stroke-width="1"/>`);
    parts.push(`<text x="${gx}" y="${top + o.rows.length * rowH + 14}" ${FONT} font-size="10" fill="#666" text-anchor="middle">${esc(o.format(v))}</text>`);
  }
  o.rows.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${labelW - 8}" y="${y + 15}" ${FONT} font-size="12" text-anchor="end"${r.alarm ? ` fill="#c62828" font-weight="600"` : ""}>${esc(r.label)}</text>`);
    let at = 0;
    for (const s of r.segments) {
      if (s.value <= 0) continue;
      const w = Math.max(1, x(at + s.value) - x(at));
      parts.push(
        `<rect class="bar" x="${x(at).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${s.color}"><title>${esc(`${r.label}: ${s.name} ${o.format(s.value)}`)}</title></rect>`,
      );
      at += s.value;
    }
    const note = r.note ?? o.format(totals[i]!);
    parts.push(`<text x="${(Math.min(x(at), labelW + plotW) + 6).toFixed(1)}" y="${y + 15}" ${FONT} font-size="11" fill="#333">${esc(note)}</text>`);
  });
  if (o.limit) {
    const lx = x(o.limit.value).toFixed(1);
    parts.push(`<line x1="${lx}" y1="${top - 6}" x2="${lx}" y2="${top + o.rows.length * rowH}" stroke="#c62828" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${lx}" y="${top - 8}" ${FONT} font-size="10" fill="#c62828" text-anchor="middle">${esc(o.limit.label)}</text>`);
  }
  if (o.legend?.length) {
    let lx = labelW;
    const ly = height - 8;
    for (const l of o.legend) {
      parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${l.color}"/>`);
      parts.push(`<text x="${lx + 14}" y="${ly}" ${FONT} font-size="11">${esc(l.name)}</text>`);
      lx += 24 + 7 * l.name.length;
    }
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}
