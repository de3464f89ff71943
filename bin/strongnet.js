#!/usr/bin/env node
// The strongnet command. The compiler is TypeScript run through tsx, so a fresh clone works
// after `npm ci` with no separate build step, and so does the installed package. tsconfig: false:
// the sources need no tsconfig at run time, and the tsconfig.json of whatever project the
// command runs in must not change how they are compiled.
import { register } from "tsx/esm/api";

register({ tsconfig: false });
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv);
