/**
 * The strongnet library: `import { loadModel, compile, verify, report } from "strongnet"`.
 * docs/api.md documents it. lib/index.js (the package's entry) re-exports exactly these names;
 * test/package.test.ts checks the two lists agree.
 */
export {
  compile,
  importOnnx,
  importTflite,
  loadModel,
  report,
  resolveBoard,
  verify,
  type BoardRef,
  type CompileOptions,
  type CompileResult,
  type LoadModelOptions,
  type ModelSource,
  type ReportApiOptions,
  type VerifyApiOptions,
} from "./api.js";
export {
  boardCatalog,
  BoardError,
  configureBoards,
  DEFAULT_BOARD,
  getBoard,
  loadBoardFile,
  loadBoards,
  type Board,
  type BoardCatalog,
} from "./firmware/boards.js";
export { CompileError, EmulatorError, FirmwareTooLargeError, ToolMissingError } from "./firmware/tools.js";
export { ModelError } from "./format/errors.js";
export { saveModelFile as saveModel } from "./format/load.js";
export type { ModelFileInput as ModelFile } from "./format/schema.js";
export type { ArenaMode } from "./codegen/index.js";
export type { Graph } from "./ir/index.js";
export type { OutputForm } from "./ir/outputs.js";
export { bundledModels, MODELS_DIR, type BundledModel } from "./models/bundled.js";
export { BudgetError } from "./plan/fit.js";
export { predict } from "./reference/interpreter.js";
export type { Report } from "./report/schema.js";
export type { VerifyReport } from "./verify/verify.js";
export { STRONGNET_VERSION as version } from "./version.js";
