export * from "./package.js";
export { checkArduinoLibrary, parseProperties, checkName, CATEGORIES, REQUIRED_PROPERTIES, type SpecProblem } from "./arduino-spec.js";
export { planFlash, findOnPath, runFlash, type FlashPlan } from "./flash.js";
