#!/usr/bin/env node
// Entry point: run the CLI and map every failure to its registered code and exit status.
import module from "node:module";

// Cache compiled (and type-stripped) modules across runs: start-up is most of a short command's time.
module.enableCompileCache?.();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
