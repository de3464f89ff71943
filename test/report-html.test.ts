/**
 * The HTML report in a real browser: Debian's chromium (installed by scripts/setup.sh), driven
 * headless by playwright-core. The page must render with no console error and no request of
 * any kind beyond itself, and every SVG plot must have a size and drawn bars.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../src/report/render-html.js";
import { ReportSchema } from "../src/report/schema.js";

const CHROMIUM = "/usr/bin/chromium";
const FIXTURE = join(import.meta.dirname, "fixtures", "report", "wide_arena.report.json");

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // no network on this machine: keep chromium from trying to reach Google's services
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

afterAll(async () => {
  await browser?.close();
});

describe("the HTML report in headless chromium", () => {
  it("renders its plots with a size and bars, makes no request and logs no error", async () => {
    const report = ReportSchema.parse(JSON.parse(readFileSync(FIXTURE, "utf8")));
    const dir = mkdtempSync(join(tmpdir(), "strongnet-report-html-"));
    const file = join(dir, "report.html");
    writeFileSync(file, renderHtml(report));
    const url = `file://${file}`;

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("request", (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    const response = await page.goto(url, { waitUntil: "load" });
    expect(response?.ok()).toBe(true);

    expect(await page.title()).toBe("strongnet report: wide_arena on nucleo-f411re");
    const charts = await page.$$eval("svg.chart", (svgs) =>
      svgs.map((s) => {
        const box = s.getBoundingClientRect();
        const bars = [...s.querySelectorAll("rect.bar")].map((r) => r.getBoundingClientRect());
        return { id: s.id, width: box.width, height: box.height, bars: bars.length, drawn: bars.filter((b) => b.width > 0 && b.height > 0).length };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(["chart-flash", "chart-layer-ops", "chart-layer-instructions", "chart-layer-memory", "chart-board-fit"]);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.height, c.id).toBeGreaterThan(50);
      expect(c.bars, c.id).toBeGreaterThan(0);
      expect(c.drawn, c.id).toBe(c.bars);
    }
    // the board-fit chart: the board the model does not fit is drawn past the 100% line, in red
    const microbit = await page.$$eval("#chart-board-fit rect.bar", (rects) =>
      rects.map((r) => ({ title: r.querySelector("title")?.textContent ?? "", fill: r.getAttribute("fill"), right: r.getBoundingClientRect().right })),
    );
    const limit = await page.$eval("#chart-board-fit line[stroke-dasharray]", (l) => l.getBoundingClientRect().left);
    const over = microbit.find((b) => b.title.startsWith("bbc-microbit-v1 RAM"))!;
    expect(over.fill).toBe("#c62828");
    expect(over.right).toBeGreaterThan(limit);
    // the tables are there and visible
    expect(await page.locator("table.layers tbody tr").count()).toBe(report.primary!.layers.length);
    expect(await page.locator("table.boards tbody tr").count()).toBe(report.boards.length);
    expect(await page.locator("text=DOES NOT FIT").first().isVisible()).toBe(true);

    const png = await page.screenshot({ fullPage: true });
    writeFileSync(join(dir, "report.png"), png);
    expect(png.length).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 60_000);
});
