/** The external tools the firmware layer runs, and the errors it raises. */
import { spawnSync } from "node:child_process";

export const INSTALL_HINT =
  "install them with: apt-get install --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm " +
  "(or run scripts/setup.sh)";

/** Base class: every firmware failure is one of these, with a one-paragraph message. */
export class FirmwareError extends Error {
  override name = "EnvironmentError";
}

/** arm-none-eabi-gcc, arm-none-eabi-size or qemu-system-arm is not installed. */
export class ToolMissingError extends FirmwareError {
  constructor(readonly tool: string) {
    super(`${tool} was not found on PATH; strongnet needs the ARM cross toolchain and QEMU to build and run firmware: ${INSTALL_HINT}`);
  }
}

/** The compiler or linker refused the sources; `stderr` is the compiler's own output. */
export class CompileError extends FirmwareError {
  constructor(
    readonly board: string,
    readonly stderr: string,
  ) {
    super(`arm-none-eabi-gcc failed building the test firmware for ${board}:\n${stderr.trim()}`);
  }
}

/** The image does not fit the board's flash or RAM (the link failed on a region). */
export class FirmwareTooLargeError extends FirmwareError {
  override name = "BudgetError";
  constructor(
    readonly board: string,
    readonly region: "FLASH" | "RAM",
    readonly overflowBytes: number | undefined,
    readonly regionBytes: number,
    readonly stderr: string,
  ) {
    super(
      `the test firmware does not fit ${board}: ${region} (${regionBytes} bytes) ` +
        (overflowBytes === undefined ? "leaves less than the minimum stack" : `overflowed by ${overflowBytes} bytes`) +
        ` (linker: ${stderr.trim().split("\n").filter((l) => /overflow|strongnet:/.test(l))[0]?.trim() ?? stderr.trim()})`,
    );
  }
}

/** QEMU crashed, timed out, or the firmware faulted or reported a bad protocol. */
export class EmulatorError extends FirmwareError {
  constructor(
    message: string,
    readonly stderr = "",
  ) {
    super(stderr.trim() ? `${message}\nqemu output:\n${stderr.trim()}` : message);
  }
}

const checked = new Set<string>();

/** Throws ToolMissingError unless `tool --version` runs. */
export function requireTool(tool: string): void {
  if (checked.has(tool)) return;
  const r = spawnSync(tool, ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new ToolMissingError(tool);
  checked.add(tool);
}
