/**
 * The static stack bound: gcc -fstack-usage gives every compiled function's frame (.su files);
 * the call graph comes from the disassembled ELF (so calls gcc adds itself — memset for a zeroing
 * loop, __aeabi_uldivmod for a 64-bit division — are on it, which the source-level graph of
 * -fcallgraph-info misses). Library routines have no .su, and naked functions a 0-byte one: their
 * frame is what their own instructions push (PUSH/STMDB/VPUSH/SUB SP), read from the disassembly.
 *
 * bound(f) = frame(f) + max over callees c of bound(c). The test image's bound adds one
 * exception entry on top (the SysTick interrupt is the only one enabled): the hardware-stacked
 * frame (8 words, or 26 with the FPU's lazy-stacked context, plus 4 bytes of alignment) and the
 * handler's own bound. The painted measurement of the same run must never exceed it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FunctionCode } from "./elf.js";

export interface StackUsageEntry {
  file: string;
  function: string;
  bytes: number;
  /** "static", "dynamic", "dynamic,bounded" */
  qualifier: string;
}

/** Parses .su lines: `path:line:col:function<TAB>bytes<TAB>qualifier`. */
export function parseStackUsage(text: string): StackUsageEntry[] {
  const out: StackUsageEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^(.*):(\d+):(\d+):([^\t]+)\t(\d+)\t(\S+)\s*$/.exec(line);
    if (m) out.push({ file: m[1]!, function: m[4]!, bytes: Number(m[5]), qualifier: m[6]! });
  }
  return out;
}

/** Every .su file gcc wrote for one ELF (`<elf>-<source>.su` beside it, GCC >= 11 naming; also plain `*.su`). */
export function readStackUsage(dir: string, elfBase: string): StackUsageEntry[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".su") && (f.startsWith(`${elfBase}-`) || !f.includes(".elf-")));
  return files.flatMap((f) => parseStackUsage(readFileSync(join(dir, f), "utf8")));
}

export interface FrameInfo {
  name: string;
  bytes: number;
  source: "stack-usage" | "disassembly";
  qualifier?: string;
}

export interface StackBound {
  root: string;
  bytes: number;
  /** the deepest call chain, root first */
  path: FrameInfo[];
  /** false when the bound cannot be proven: recursion, indirect calls, dynamic frames, unknown callees */
  complete: boolean;
  problems: string[];
}

export interface StackAnalysis {
  frames: Map<string, FrameInfo>;
  bound(root: string): StackBound;
}

export function analyseStack(funcs: Map<string, FunctionCode>, usage: StackUsageEntry[]): StackAnalysis {
  const su = new Map<string, StackUsageEntry>();
  for (const e of usage) {
    const prev = su.get(e.function);
    if (!prev || e.bytes > prev.bytes) su.set(e.function, e);
  }
  const frames = new Map<string, FrameInfo>();
  for (const f of funcs.values()) {
    const e = su.get(f.name);
    frames.set(
      f.name,
      // a naked function (hand-written assembly, c-templates/runtime/dense_active.c) has a 0-byte
      // .su entry however much it pushes: its own pushes are its frame
      e && !(e.bytes === 0 && f.pushedBytes > 0)
        ? { name: f.name, bytes: e.bytes, source: "stack-usage", qualifier: e.qualifier }
        : { name: f.name, bytes: f.pushedBytes, source: "disassembly" },
    );
  }
  const bound = (root: string): StackBound => {
    const problems: string[] = [];
    const memo = new Map<string, { bytes: number; next?: string }>();
    const onPath = new Set<string>();
    const visit = (name: string): number => {
      const done = memo.get(name);
      if (done) return done.bytes;
      const fn = funcs.get(name);
      const frame = frames.get(name);
      if (!fn || !frame) {
        problems.push(`no code or frame size for ${name}`);
        return 0;
      }
      if (onPath.has(name)) {
        problems.push(`recursion through ${name}: the stack has no static bound`);
        return 0;
      }
      if (fn.indirectCalls > 0) problems.push(`${name} calls through a register (${fn.indirectCalls}x): those callees are not counted`);
      if (frame.qualifier && frame.qualifier !== "static") problems.push(`${name} has a ${frame.qualifier} frame (-fstack-usage)`);
      onPath.add(name);
      let best = 0;
      let next: string | undefined;
      for (const c of fn.calls) {
        const b = visit(c);
        if (next === undefined || b > best) {
          best = b;
          next = c;
        }
      }
      onPath.delete(name);
      const total = frame.bytes + best;
      memo.set(name, { bytes: total, next });
      return total;
    };
    const bytes = visit(root);
    const path: FrameInfo[] = [];
    for (let n: string | undefined = root; n !== undefined && path.length < 64; n = memo.get(n)?.next) {
      const f = frames.get(n);
      if (f) path.push(f);
    }
    return { root, bytes, path, complete: problems.length === 0, problems: [...new Set(problems)] };
  };
  return { frames, bound };
}

/**
 * Bytes the core pushes on exception entry: 8 words (r0-r3, r12, lr, pc, xPSR), 26 with the
 * FPU's context (s0-s15, FPSCR, reserved) when the FPU is enabled, plus up to 4 bytes to keep
 * the stack 8-byte aligned.
 */
export const exceptionFrameBytes = (fpu: boolean): number => (fpu ? 26 * 4 : 8 * 4) + 4;
