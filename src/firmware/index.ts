export { BOARDS_DIR, BoardError, BoardSchema, CORES, DEFAULT_BOARD, getBoard, linkRegions, loadBoardFile, loadBoards, parseBoard, type Board } from "./boards.js";
export {
  BASE_CFLAGS,
  compilerVersion,
  firmwareCflags,
  OPT_LEVELS,
  type OptLevel,
  buildFirmware,
  FIRMWARE_TEMPLATE_DIR,
  firmwareSizes,
  metaPath,
  type BuildFirmwareOptions,
  type FirmwareBuild,
  type FirmwareMeta,
  type FirmwareMode,
  type FirmwareSizes,
} from "./build.js";
export { fnv1a32, qemuArgs, runFirmware, type FirmwareRun, type RunFirmwareOptions, type VectorResult } from "./run.js";
export { CompileError, EmulatorError, FirmwareError, FirmwareTooLargeError, INSTALL_HINT, ToolMissingError, requireTool } from "./tools.js";
