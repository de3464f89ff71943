/**
 * The per-core cycle model behind the latency figure. QEMU counts instructions, not cycles, so
 * latency = instructions x cycles-per-instruction / clock is an ESTIMATE. The CPI values and
 * their ranges, and the reasoning behind them (instruction timings from the Arm Technical
 * Reference Manuals, the instruction mix of strongnet's table-lookup code, flash wait states),
 * are documented in docs/report.md; keep the two in step.
 */
import type { Board } from "../firmware/boards.js";

export interface CoreCycleModel {
  /** typical cycles per instruction for strongnet's generated code */
  cpi: number;
  /** plausible range: best case (everything from zero-wait-state memory) to worst case */
  low: number;
  high: number;
  basis: string;
}

export const CYCLE_MODEL: Record<Board["core"], CoreCycleModel> = {
  "cortex-m0": {
    cpi: 1.5,
    low: 1.2,
    high: 2.0,
    basis: "3-stage pipeline, no prediction: loads/stores 2 cycles, taken branches 3, BL 4; table-lookup code is ~40% loads",
  },
  "cortex-m0plus": {
    cpi: 1.4,
    low: 1.1,
    high: 1.9,
    basis: "2-stage pipeline: loads/stores 2 cycles, taken branches 2; +1 flash wait state at 48 MHz partly hidden by the NVM cache",
  },
  "cortex-m1": {
    cpi: 1.6,
    low: 1.2,
    high: 2.2,
    basis: "FPGA core with M0-like timings, slower loads from block RAM",
  },
  "cortex-m3": {
    cpi: 1.4,
    low: 1.1,
    high: 2.0,
    basis: "3-stage pipeline: loads 2 cycles (1 when pipelined), taken branches 2-4 (1 + refill); flash wait states hidden by the prefetch buffer on straight code only",
  },
  "cortex-m4": {
    cpi: 1.3,
    low: 1.1,
    high: 1.8,
    basis: "M3 pipeline timings; ST's ART accelerator (prefetch + 1 KB instruction cache) hides most flash wait states in loops",
  },
  "cortex-m7": {
    cpi: 0.9,
    low: 0.6,
    high: 1.4,
    basis: "6-stage dual-issue pipeline with branch prediction and L1 caches: often more than one instruction per cycle, worse on cache misses",
  },
  "cortex-m23": {
    cpi: 1.4,
    low: 1.1,
    high: 1.9,
    basis: "2-stage ARMv8-M baseline pipeline, M0+-like timings",
  },
  "cortex-m33": {
    cpi: 1.25,
    low: 1.0,
    high: 1.7,
    basis: "3-stage ARMv8-M mainline pipeline with limited dual issue",
  },
  "cortex-m55": {
    cpi: 1.1,
    low: 0.8,
    high: 2.0,
    basis:
      "4-stage pipeline with dual issue of some 16-bit pairs; the dense, convolution, depthwise and average-pooling kernels use Helium (MVE), whose 128-bit instructions take two beats (about 2 cycles, partly overlapped with the next one)",
  },
};

export interface LatencyEstimate {
  /** always true: a cycle model applied to an instruction count, not a measurement */
  estimate: true;
  microseconds: number;
  rangeMicroseconds: [number, number];
  cycles: number;
  cpi: number;
  cpiRange: [number, number];
  clockHz: number;
  core: Board["core"];
  method: string;
}

export function estimateLatency(instructions: number, board: Pick<Board, "core" | "clockHz">): LatencyEstimate {
  const m = CYCLE_MODEL[board.core];
  const us = (cpi: number) => (instructions * cpi * 1e6) / board.clockHz;
  return {
    estimate: true,
    microseconds: us(m.cpi),
    rangeMicroseconds: [us(m.low), us(m.high)],
    cycles: Math.round(instructions * m.cpi),
    cpi: m.cpi,
    cpiRange: [m.low, m.high],
    clockHz: board.clockHz,
    core: board.core,
    method: `estimate: QEMU instruction count x ${m.cpi} cycles/instruction (${board.core} cycle model, range ${m.low}-${m.high}) / ${board.clockHz / 1e6} MHz; see docs/report.md`,
  };
}
