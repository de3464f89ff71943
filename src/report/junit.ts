/**
 * JUnit XML, the test-report format CI systems (GitHub Actions reporters, GitLab, Jenkins, Azure)
 * show as one row per check. `verify --junit FILE` writes one test case per check: the fit of the
 * model on the board, every input vector, every layer's bit-exactness and the stack; `report
 * --junit FILE` writes the fit and each budget of every board it measured.
 *
 * Schema: the common subset of the Ant/Surefire JUnit format — <testsuites> of <testsuite name
 * tests failures errors skipped time> of <testcase classname name time> with an optional
 * <failure message type> or <skipped/>, plus <properties> on the suite.
 */
import type { FitProblem } from "../plan/fit.js";
import type { VerifyReport } from "../verify/verify.js";

export interface JUnitCase {
  classname: string;
  name: string;
  /** seconds */
  time?: number;
  failure?: { message: string; type: string; details?: string };
  skipped?: string;
}

export interface JUnitSuite {
  name: string;
  /** seconds */
  time?: number;
  properties?: Record<string, string | number>;
  cases: JUnitCase[];
}

/** Escapes text for XML attributes and text; drops characters XML 1.0 cannot carry. */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const attrs = (values: Record<string, string | number | undefined>): string =>
  Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join("");

const seconds = (t: number | undefined) => (t === undefined ? undefined : t.toFixed(3));

export function renderJUnit(suites: JUnitSuite[], name = "strongnet"): string {
  const count = (s: JUnitSuite, what: "failure" | "skipped") => s.cases.filter((c) => c[what] !== undefined).length;
  const total = (f: (s: JUnitSuite) => number) => suites.reduce((sum, s) => sum + f(s), 0);
  const time = suites.every((s) => s.time === undefined) ? undefined : suites.reduce((sum, s) => sum + (s.time ?? 0), 0);
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`];
  out.push(`<testsuites${attrs({ name, tests: total((s) => s.cases.length), failures: total((s) => count(s, "failure")), errors: 0, skipped: total((s) => count(s, "skipped")), time: seconds(time) })}>`);
  for (const s of suites) {
    out.push(`  <testsuite${attrs({ name: s.name, tests: s.cases.length, failures: count(s, "failure"), errors: 0, skipped: count(s, "skipped"), time: seconds(s.time) })}>`);
    const props = Object.entries(s.properties ?? {});
    if (props.length) {
      out.push("    <properties>");
      for (const [k, v] of props) out.push(`      <property${attrs({ name: k, value: v })}/>`);
      out.push("    </properties>");
    }
    for (const c of s.cases) {
      const head = `    <testcase${attrs({ classname: c.classname, name: c.name, time: seconds(c.time ?? 0) })}`;
      if (c.failure) {
        out.push(`${head}>`);
        const body = c.failure.details === undefined ? "" : xmlEscape(c.failure.details);
        out.push(`      <failure${attrs({ message: c.failure.message, type: c.failure.type })}>${body}</failure>`);
        out.push("    </testcase>");
      } else if (c.skipped !== undefined) {
        out.push(`${head}>`);
        out.push(`      <skipped${attrs({ message: c.skipped })}/>`);
        out.push("    </testcase>");
      } else {
        out.push(`${head}/>`);
      }
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}

const suiteName = (model: string, board: string) => `strongnet.verify.${model}.${board}`;

/** One test case per check of a verify run: fit, each vector, each layer, the stack. */
export function verifyJUnit(r: VerifyReport, timeSeconds?: number): JUnitSuite {
  const base = `${r.model.name}.${r.board.name}`;
  const cases: JUnitCase[] = [];
  const kb = (n: number) => `${n} B`;
  cases.push({
    classname: `${base}.fit`,
    name: `fits ${r.board.name}: flash ${kb(r.image.flashBytes)} of ${kb(r.board.flashBytes)}, static RAM ${kb(r.image.ramBytes)} + stack ${kb(r.stack.usedBytes)} of ${kb(r.board.ramBytes)}`,
  });
  const m = r.firstMismatch;
  const mismatchText = m
    ? `vector ${m.vector} (${m.source}), layer ${m.layer.index} "${m.layer.id}" (${m.layer.kind}), byte ${m.index}: expected ${m.expected}, got ${m.got} (${m.image} image)`
    : "";
  r.vectorResults.forEach((v, i) => {
    const c: JUnitCase = { classname: `${base}.vectors`, name: `vector ${i}: ${v.source}` };
    if (!v.passed) {
      c.failure = {
        type: "mismatch",
        message: m && m.vector === i ? `first mismatch: ${mismatchText}` : "the firmware's output or a layer's hash differs from the reference",
      };
    }
    cases.push(c);
  });
  for (const l of r.layers) {
    const c: JUnitCase = { classname: `${base}.layers`, name: `layer ${l.index} ${l.id} (${l.kind}) bit-exact on ${r.vectors.total} vectors` };
    if (l.mismatchedVectors > 0) {
      c.failure = {
        type: "mismatch",
        message: `${l.mismatchedVectors} of ${r.vectors.total} vectors differ at this layer${m && m.layer.index === l.index ? `; first: ${mismatchText}` : ""}`,
      };
    }
    cases.push(c);
  }
  const stack: JUnitCase = {
    classname: `${base}.stack`,
    name: `stack peak ${kb(r.stack.usedBytes)} within the ${kb(r.stack.availableBytes)} left for the stack (painted, measured in QEMU)`,
  };
  if (r.stack.usedBytes >= r.stack.availableBytes) {
    stack.failure = { type: "stack", message: `the painted stack reached the stack limit: ${r.stack.usedBytes} of ${r.stack.availableBytes} bytes` };
  }
  cases.push(stack);
  return {
    name: suiteName(r.model.name, r.board.name),
    time: timeSeconds,
    properties: {
      model: r.model.name,
      "model.sha256": r.model.sha256,
      board: r.board.name,
      core: r.board.core,
      "qemu.machine": r.board.qemuMachine,
      "instructions.mean": r.instructions.mean,
      "flash.bytes": r.image.flashBytes,
      "ram.bytes": r.image.ramBytes,
      ...(r.accuracy ? { accuracy: r.accuracy.value.toFixed(4) } : {}),
    },
    cases,
  };
}

/** The suite of a verify run refused before building: the model does not fit the board. */
export function fitFailureJUnit(model: string, board: string, problems: FitProblem[]): JUnitSuite {
  return {
    name: suiteName(model, board),
    properties: { model, board },
    cases: [
      {
        classname: `${model}.${board}.fit`,
        name: `fits ${board}`,
        failure: { type: "budget", message: problems.map((p) => p.message).join("; ") },
      },
    ],
  };
}

/** `report --junit`: per board, its fit and each budget limit set for it; the primary board's bit-exactness. */
export function reportJUnit(r: import("./schema.js").Report): JUnitSuite[] {
  return r.boards.map((b) => {
    const base = `${r.model.name}.${b.board.name}`;
    const cases: JUnitCase[] = [];
    if (r.primary && r.primary.board.name === b.board.name) {
      const v = r.primary.verify;
      cases.push({
        classname: `${base}.verify`,
        name: `bit-exact on ${v.vectors} vectors`,
        ...(v.passed ? {} : { failure: { type: "mismatch", message: `${v.mismatchedVectors} of ${v.vectors} vectors differ; first: ${v.firstMismatch}` } }),
      });
    }
    const fit: JUnitCase = { classname: `${base}.fit`, name: `fits ${b.board.name}` };
    if (b.status === "does-not-fit") fit.failure = { type: "budget", message: b.reason ?? "does not fit" };
    if (b.status === "error") fit.failure = { type: "error", message: b.reason ?? "error" };
    cases.push(fit);
    const limits = r.budget.limits.find((l) => l.board === b.board.name);
    const budgetCase = (resource: "flash" | "ram" | "latency", limit: number | undefined, label: string) => {
      if (limit === undefined) return;
      const v = r.budget.violations.find((x) => x.board === b.board.name && x.resource === resource);
      cases.push({ classname: `${base}.budget`, name: `${resource} within ${label}`, ...(v ? { failure: { type: "budget", message: v.message } } : {}) });
    };
    budgetCase("flash", limits?.maxFlash, `${limits?.maxFlash} B`);
    budgetCase("ram", limits?.maxRam, `${limits?.maxRam} B`);
    budgetCase("latency", limits?.maxLatencyUs, `${limits?.maxLatencyUs} us (estimate)`);
    return {
      name: `strongnet.report.${r.model.name}.${b.board.name}`,
      properties: {
        model: r.model.name,
        board: b.board.name,
        ...(b.fit ? { "flash.used": b.fit.flash.used, "ram.used": b.fit.ram.used } : {}),
        ...(b.instructions !== null ? { instructions: b.instructions } : {}),
        ...(b.latencyMicroseconds !== null ? { "latency.us.estimate": b.latencyMicroseconds.toFixed(1) } : {}),
      },
      cases,
    };
  });
}
