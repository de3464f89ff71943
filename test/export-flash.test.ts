/**
 * `strongnet flash`: without arduino-cli it exits with the environment code and says what to
 * install and the exact commands it would run; a board without an Arduino FQBN is a usage error;
 * with an arduino-cli on PATH it runs compile then upload with the planned arguments.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { findOnPath, planFlash, runFlash } from "../src/export/index.js";
import { exportBoards } from "./helpers/export-boards.js";
import { randomGraph, randomModelFile, tempDir } from "./helpers/export-fixtures.js";

const ROOT = join(import.meta.dirname, "..");
const boards = exportBoards();
const withFqbn = boards.find((b) => b.arduinoFqbn)!;
const withoutFqbn = boards.find((b) => !b.arduinoFqbn);

/** A PATH that has node but no arduino-cli (and nothing else from the user's PATH). */
function pathWithoutArduinoCli(extra: string[] = []): string {
  const dirs = [...extra, dirname(process.execPath), "/usr/bin", "/bin"];
  for (const d of dirs.slice(extra.length)) expect(existsSync(join(d, "arduino-cli"))).toBe(false);
  return dirs.join(":");
}

function runCli(args: string[], PATH: string) {
  return spawnSync(process.execPath, [join(ROOT, "bin", "strongnet.js"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH } });
}

describe("strongnet flash", () => {
  it("without arduino-cli: exit 3, what to install, and the exact commands it would run", () => {
    const model = randomModelFile(51);
    const sketchbook = tempDir("sketchbook");
    const result = runCli(["flash", model, "--board", withFqbn.name, "--port", "/dev/ttyACM0", "--sketchbook", sketchbook], pathWithoutArduinoCli());
    expect(result.status, result.stderr).toBe(3);
    const lib = join(sketchbook, "libraries", "random_51");
    const sketch = join(lib, "examples", "random_51_demo");
    const build = join(sketchbook, "build", `random_51_${withFqbn.name}`);
    expect(result.stderr).toContain("arduino-cli was not found on PATH");
    expect(result.stderr).toContain("https://arduino.github.io/arduino-cli/latest/installation/");
    expect(result.stderr).toContain(`arduino-cli core install ${withFqbn.arduinoFqbn!.split(":").slice(0, 2).join(":")}`);
    expect(result.stderr).toContain(`  arduino-cli compile --fqbn ${withFqbn.arduinoFqbn} --library ${lib} --build-path ${build} ${sketch}\n`);
    expect(result.stderr).toContain(`  arduino-cli upload -p /dev/ttyACM0 --fqbn ${withFqbn.arduinoFqbn} --input-dir ${build} ${sketch}`);
    // the commands can be run as printed: the library is there
    expect(existsSync(join(sketch, "random_51_demo.ino"))).toBe(true);
  }, 60_000);

  it.skipIf(!withoutFqbn)("a board without an Arduino FQBN: exit 2 naming the board", () => {
    const result = runCli(["flash", randomModelFile(52), "--board", withoutFqbn!.name, "--port", "/dev/ttyACM0"], pathWithoutArduinoCli());
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(`board ${withoutFqbn!.name}`);
    expect(result.stderr).toContain("has no Arduino core");
  }, 60_000);

  it("with arduino-cli on PATH: runs compile, then upload, with the planned arguments", () => {
    const bin = tempDir("fake-cli");
    const log = join(bin, "calls.log");
    const fake = join(bin, "arduino-cli");
    writeFileSync(fake, `#!/bin/sh\necho "$*" >> '${log}'\n`);
    chmodSync(fake, 0o755);
    expect(findOnPath("arduino-cli", `/nonexistent:${bin}`)).toBe(fake);
    expect(findOnPath("arduino-cli", "/nonexistent")).toBeUndefined();

    const plan = planFlash(randomGraph(53), { board: withFqbn, port: "/dev/ttyUSB1", sketchbook: join(tempDir("sb"), "book") });
    const lines: string[] = [];
    runFlash(plan, findOnPath("arduino-cli", bin), (l) => lines.push(l));
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls).toEqual(plan.commands.map(([, ...args]) => args.join(" ")));
    expect(calls[0]).toMatch(/^compile --fqbn \S+ --library /);
    expect(calls[1]).toMatch(/^upload -p \/dev\/ttyUSB1 --fqbn /);
    expect(lines).toHaveLength(2);
  });

  it("a failing arduino-cli step stops with an environment error naming the step", () => {
    const bin = tempDir("failing-cli");
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, "arduino-cli");
    writeFileSync(fake, "#!/bin/sh\nexit 7\n");
    chmodSync(fake, 0o755);
    const plan = planFlash(randomGraph(54), { board: withFqbn, port: "/dev/ttyACM0" });
    expect(() => runFlash(plan, fake, () => {})).toThrow(/arduino-cli compile failed \(exit 7\)/);
  });

  it("export through the CLI writes the package and reports it", () => {
    const out = join(tempDir("cli-export"), "pkg");
    const result = runCli(["export", randomModelFile(55), "--board", withFqbn.name, "--format", "platformio", "-o", out, "--json"], process.env.PATH ?? "");
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.files).toContain("library.json");
    expect(existsSync(join(out, "library.json"))).toBe(true);
    const bad = runCli(["export", randomModelFile(55), "--board", withFqbn.name, "--format", "zip", "-o", out], process.env.PATH ?? "");
    expect(bad.status).toBe(2);
  }, 60_000);
});
