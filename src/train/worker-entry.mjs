// Worker thread bootstrap: the trainer is TypeScript run through tsx (like bin/strongnet.js),
// so register tsx in this thread before loading the kernel worker.
import { register } from "tsx/esm/api";

register({ tsconfig: false });
await import("./worker.ts");
