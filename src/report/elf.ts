/**
 * What the built image holds, read from the linker map, the ELF symbol table (readelf) and the
 * disassembly (objdump), never guessed from the plan.
 *
 * The firmware is compiled with -ffunction-sections -fdata-sections, so every function and every
 * const array is its own input section in the map, named after it and attributed to the object
 * file it came from. The model's object is the one holding `.text.<name>_predict`; its
 * `.rodata.sn_tables` are the lookup tables, its other `.rodata.*` the weights and index tables,
 * its `.text.*` the code. Library routines (libgcc, newlib) the model calls — found by walking
 * the call graph of the disassembly from `<name>_predict` — count as model code too; the rest
 * of the image (test harness, startup code, the harness's library routines) does not ship.
 */
import { spawnSync } from "node:child_process";
import { requireTool } from "../firmware/tools.js";

export class ElfToolError extends Error {
  override name = "EnvironmentError";
}

function run(tool: string, args: string[]): string {
  requireTool(tool);
  const r = spawnSync(tool, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new ElfToolError(`${tool} ${args.join(" ")} failed: ${r.stderr || String(r.error)}`);
  return r.stdout;
}

// ---------------------------------------------------------------- linker map

export interface MapSection {
  /** the output section (".text", ".data", ".bss", ...) */
  output: string;
  /** the input section name (".rodata.sn_tables"), or "*fill*" for alignment padding */
  name: string;
  address: number;
  size: number;
  /** the object file (a library member reads "libc_nano.a(lib_a-memcpy.o)"); "" for fill */
  object: string;
}

export interface MapOutputSection {
  name: string;
  address: number;
  size: number;
  /** load address when it differs (initialised data copied from flash) */
  loadAddress?: number;
}

export interface LinkerMap {
  outputs: MapOutputSection[];
  sections: MapSection[];
}

/** Parses the "Linker script and memory map" part of a GNU ld map file. */
export function parseLinkerMap(text: string): LinkerMap {
  const start = text.indexOf("Linker script and memory map");
  const lines = (start >= 0 ? text.slice(start) : text).split("\n");
  const outputs: MapOutputSection[] = [];
  const sections: MapSection[] = [];
  let output: MapOutputSection | undefined;
  const hex = (s: string) => Number.parseInt(s, 16);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    // Output section: starts in column 0 with a dot; the numbers may be on the next line.
    let m = /^(\.[^\s]+)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)(?:\s+load address 0x([0-9a-f]+))?)?\s*$/.exec(line);
    if (m) {
      if (m[2] === undefined) {
        const next = /^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)(?:\s+load address 0x([0-9a-f]+))?\s*$/.exec(lines[i + 1] ?? "");
        if (!next) {
          output = { name: m[1]!, address: 0, size: 0 };
          outputs.push(output);
          continue;
        }
        i++;
        m = [m[0], m[1]!, next[1]!, next[2]!, next[3]!] as unknown as RegExpExecArray;
      }
      output = { name: m[1]!, address: hex(m[2]!), size: hex(m[3]!), ...(m[4] ? { loadAddress: hex(m[4]) } : {}) };
      outputs.push(output);
      continue;
    }
    if (!output) continue;
    const fill = /^ \*fill\*\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)/.exec(line);
    if (fill) {
      sections.push({ output: output.name, name: "*fill*", address: hex(fill[1]!), size: hex(fill[2]!), object: "" });
      continue;
    }
    // Input section: one space, a name, then address size object (maybe on the next line).
    const name = /^ ([.A-Za-z_][^\s*(]*)(.*)$/.exec(line);
    if (!name || name[1]!.startsWith("*")) continue;
    let rest = name[2]!;
    if (rest.trim() === "") {
      line = lines[i + 1] ?? "";
      if (!/^\s+0x[0-9a-f]+\s+0x[0-9a-f]+/.test(line)) continue;
      rest = line;
      i++;
    }
    const nums = /^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s*(.*)$/.exec(rest);
    if (!nums) continue;
    sections.push({ output: output.name, name: name[1]!, address: hex(nums[1]!), size: hex(nums[2]!), object: nums[3]!.trim() });
  }
  return { outputs, sections };
}

// ---------------------------------------------------------------- section headers

export interface ElfSection {
  name: string;
  type: string;
  address: number;
  size: number;
  /** SHF_ALLOC: the section is part of the running image */
  alloc: boolean;
}

/** Output sections from `arm-none-eabi-readelf -SW`. In flash: allocated and not NOBITS; in RAM: allocated at a RAM address. */
export function readSections(elfPath: string): ElfSection[] {
  const out: ElfSection[] = [];
  for (const line of run("arm-none-eabi-readelf", ["-SW", elfPath]).split("\n")) {
    // [Nr] Name Type Addr Off Size ES Flg Lk Inf Al
    const m = /^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]{8})\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+/.exec(line);
    if (!m) continue;
    out.push({ name: m[1]!, type: m[2]!, address: Number.parseInt(m[3]!, 16), size: Number.parseInt(m[4]!, 16), alloc: m[5]!.includes("A") });
  }
  return out;
}

// ---------------------------------------------------------------- symbols

export interface ElfSymbol {
  name: string;
  /** address with the Thumb bit cleared */
  address: number;
  size: number;
  type: "FUNC" | "OBJECT" | "OTHER";
}

/** FUNC and OBJECT symbols with a size, from `arm-none-eabi-readelf -sW`. */
export function readSymbols(elfPath: string): ElfSymbol[] {
  const out: ElfSymbol[] = [];
  for (const line of run("arm-none-eabi-readelf", ["-sW", elfPath]).split("\n")) {
    // Num: Value Size Type Bind Vis Ndx Name
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+(\w+)\s+\w+\s+\w+\s+(\w+)\s+(\S+)/.exec(line);
    if (!m || m[4] === "UND" || m[4] === "ABS") continue;
    const type = m[3] === "FUNC" ? "FUNC" : m[3] === "OBJECT" ? "OBJECT" : "OTHER";
    if (type === "OTHER") continue;
    out.push({ name: m[5]!, address: Number.parseInt(m[1]!, 16) & ~1, size: Number(m[2]), type });
  }
  return out;
}

// ---------------------------------------------------------------- disassembly

export interface FunctionCode {
  name: string;
  address: number;
  size: number;
  /** direct callees (BL, and B.W/B tail calls to another function's entry) */
  calls: string[];
  /** instructions that call through a register (BLX rN): their targets are unknown */
  indirectCalls: number;
  /** bytes the function's own instructions push or reserve on the stack (PUSH, STMDB SP!, VPUSH, SUB SP) */
  pushedBytes: number;
}

/**
 * The functions of the image with their direct calls and stack adjustments, from
 * `arm-none-eabi-objdump -d`. Only instructions inside FUNC symbols count (const arrays in .text
 * would disassemble into nonsense).
 */
export function disassemble(elfPath: string, symbols: ElfSymbol[]): Map<string, FunctionCode> {
  const funcs = symbols.filter((s) => s.type === "FUNC" && s.size > 0).sort((a, b) => a.address - b.address);
  const byAddress = new Map<number, string>();
  for (const f of funcs) if (!byAddress.has(f.address)) byAddress.set(f.address, f.name);
  const result = new Map<string, FunctionCode>();
  for (const f of funcs) if (!result.has(f.name)) result.set(f.name, { name: f.name, address: f.address, size: f.size, calls: [], indirectCalls: 0, pushedBytes: 0 });
  const owner = (address: number): FunctionCode | undefined => {
    // binary search the function containing the address
    let lo = 0;
    let hi = funcs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = funcs[mid]!;
      if (address < f.address) hi = mid - 1;
      else if (address >= f.address + f.size) lo = mid + 1;
      else return result.get(f.name);
    }
    return undefined;
  };
  const text = run("arm-none-eabi-objdump", ["-d", "--no-show-raw-insn", elfPath]);
  for (const line of text.split("\n")) {
    const m = /^\s*([0-9a-f]+):\s+([a-z][a-z0-9.]*)\s*(.*)$/.exec(line);
    if (!m) continue;
    const fn = owner(Number.parseInt(m[1]!, 16));
    if (!fn) continue;
    const op = m[2]!;
    const args = m[3]!.replace(/\s*@.*$/, "");
    if (/^bl(x)?(\.w)?$/.test(op) || /^b(\.w|\.n)?$/.test(op)) {
      const target = /^([0-9a-f]+)\s+<([^>+]+)(\+0x[0-9a-f]+)?>/.exec(args);
      if (target) {
        const address = Number.parseInt(target[1]!, 16);
        const callee = byAddress.get(address);
        // A branch to another function's entry is a call (BL) or a tail call (B); branches inside the function are not.
        if (callee !== undefined && callee !== fn.name && !target[3]) {
          if (!fn.calls.includes(callee)) fn.calls.push(callee);
        }
      } else if (op.startsWith("blx")) {
        fn.indirectCalls++;
      }
      continue;
    }
    const regs = (list: string) => {
      let n = 0;
      for (const part of list.split(",")) {
        const range = /^\s*([a-z]+)(\d+)\s*-\s*[a-z]+(\d+)\s*$/.exec(part);
        if (range) n += Number(range[3]) - Number(range[2]) + 1;
        else if (part.trim()) n += 1;
      }
      return n;
    };
    let pm: RegExpExecArray | null;
    if ((op === "push" || op === "push.w") && (pm = /\{([^}]*)\}/.exec(args))) fn.pushedBytes += 4 * regs(pm[1]!);
    else if (/^stmdb(\.w)?$/.test(op) && /^sp!/.test(args) && (pm = /\{([^}]*)\}/.exec(args))) fn.pushedBytes += 4 * regs(pm[1]!);
    else if (op === "vpush" && (pm = /\{([^}]*)\}/.exec(args))) fn.pushedBytes += (/\bd\d/.test(pm[1]!) ? 8 : 4) * regs(pm[1]!);
    else if (/^sub(s|w)?(\.w)?$/.test(op) && (pm = /^sp,\s*(?:sp,\s*)?#(\d+)/.exec(args))) fn.pushedBytes += Number(pm[1]);
    else if (/^str(d)?(\.w)?$/.test(op) && (pm = /\[sp,\s*#-(\d+)\]!/.exec(args))) fn.pushedBytes += Number(pm[1]);
  }
  return result;
}

/** Every function reachable from `root` through direct calls (root included). */
export function reachable(funcs: Map<string, FunctionCode>, root: string): Set<string> {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f) || !funcs.has(f)) continue;
    seen.add(f);
    stack.push(...funcs.get(f)!.calls);
  }
  return seen;
}
