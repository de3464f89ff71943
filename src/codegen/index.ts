export {
  ARENA_MODES,
  EXTERNAL_ARENA_ALIGN,
  generateC,
  formatValues,
  TEMPLATE_DIR,
  toTarget,
  type ArenaMode,
  type CodegenOptions,
  type CodegenTarget,
  type GeneratedModel,
} from "./generate.js";
export { writeGenerated } from "./write.js";
