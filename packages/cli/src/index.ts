// @edgeward/cli: the `edgeward` command, thin, one file per command (ARCHITECTURE.md).
export { buildProgram, main } from "./main.ts";
