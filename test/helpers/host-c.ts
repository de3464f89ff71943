/**
 * Builds generated model code plus the host harness with a host C compiler and runs it over
 * input vectors, returning every layer's output per vector (trace build).
 */
import ejs from "ejs";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEMPLATE_DIR, generateC } from "../../src/codegen/index.js";
import { shapeSize, type Graph } from "../../src/ir/index.js";

export const STRICT_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"];
export const SANITIZE_FLAGS = ["-fsanitize=undefined,address", "-fno-sanitize-recover=all", "-g", "-O1"];

export interface HostBuild {
  exe: string;
  dir: string;
}

export function buildHost(graph: Graph, compiler: string, extraFlags: string[]): HostBuild {
  const dir = mkdtempSync(join(tmpdir(), "strongnet-host-"));
  const { source, header } = generateC(graph);
  writeFileSync(join(dir, `${graph.name}.c`), source);
  writeFileSync(join(dir, `${graph.name}.h`), header);
  const harnessTemplate = join(TEMPLATE_DIR, "host-harness.c.ejs");
  const harness = ejs.render(readFileSync(harnessTemplate, "utf8"), { name: graph.name, NAME: graph.name.toUpperCase() });
  writeFileSync(join(dir, "harness.c"), harness);
  const exe = join(dir, "model");
  execFileSync(compiler, [...STRICT_FLAGS, ...extraFlags, "-DSTRONGNET_TRACE", "-o", exe, join(dir, `${graph.name}.c`), join(dir, "harness.c")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { exe, dir };
}

/** Runs the trace build: for each vector, each layer's output in execution order. */
export function runHost(build: HostBuild, graph: Graph, vectors: Int8Array[]): Int8Array[][] {
  const input = Buffer.concat(vectors.map((v) => Buffer.from(v.buffer, v.byteOffset, v.length)));
  const out = execFileSync(build.exe, [], { input, maxBuffer: 1 << 28, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } });
  const sizes = [...graph.layers.map((l) => shapeSize(l.outputShape)), shapeSize(graph.outputShape)];
  const perVector = sizes.reduce((a, b) => a + b, 0);
  if (out.length !== perVector * vectors.length) {
    throw new Error(`host harness wrote ${out.length} bytes, expected ${perVector * vectors.length}`);
  }
  const bytes = new Int8Array(out.buffer, out.byteOffset, out.length);
  return vectors.map((_, v) => {
    let offset = v * perVector;
    return sizes.map((size) => {
      const slice = bytes.slice(offset, offset + size);
      offset += size;
      return slice;
    });
  });
}
