export { generateC, formatValues, TEMPLATE_DIR, toTarget, type CodegenTarget, type GeneratedModel } from "./generate.js";
export { writeGenerated } from "./write.js";
