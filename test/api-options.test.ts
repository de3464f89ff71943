/**
 * The library's option types come from the modules that implement them, not copies: report()'s
 * options are the report module's (ReportOptions) but for the model, boards and budget, and
 * compile / verify take the code generator's arena modes. (Type checks run under tsc --noEmit;
 * the runtime checks below pin the values the API documents.)
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { CompileOptions, ReportApiOptions, VerifyApiOptions } from "../src/api.js";
import { ARENA_MODES, type ArenaMode } from "../src/codegen/index.js";
import type { ReportOptions } from "../src/report/report.js";

type Shared = Exclude<keyof ReportOptions, "graph" | "board" | "boards" | "budget">;

describe("API option types", () => {
  it("report(): every report-module option but graph/board/boards/budget, with the same type", () => {
    expectTypeOf<Pick<ReportApiOptions, Shared>>().toEqualTypeOf<Pick<ReportOptions, Shared>>();
    expectTypeOf<ReportApiOptions["board"]>().toEqualTypeOf<string | import("../src/firmware/boards.js").Board | undefined>();
    expectTypeOf<ReportApiOptions["boards"]>().toEqualTypeOf<(string | import("../src/firmware/boards.js").Board)[] | "all" | undefined>();
    const shared: Shared[] = ["vectors", "dataset", "inputs", "seed", "keepDir", "opt", "onProgress"];
    expect(shared).toHaveLength(7);
  });

  it("compile() and verify() take the generator's arena modes", () => {
    expectTypeOf<CompileOptions["arena"]>().toEqualTypeOf<ArenaMode | undefined>();
    expectTypeOf<VerifyApiOptions["arena"]>().toEqualTypeOf<ArenaMode | undefined>();
    expect([...ARENA_MODES]).toEqual(["static", "external"]);
  });
});
