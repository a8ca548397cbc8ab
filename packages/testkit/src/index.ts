// @edgeward/testkit: helpers that other packages' tests share (ARCHITECTURE.md).
export { rejectsWithCode, throwsWithCode } from "./errors.ts";
export { injectFailsWith, type InjectedResponse } from "./inject.ts";
export { tempDir } from "./tmp.ts";
export { CLI_BIN, printedCode, runCli, type CliResult } from "./cli.ts";
export { startServe, type ServeProcess } from "./hub-serve.ts";
export { syntheticMatMulModel } from "./onnx-synthetic.ts";
export { startSwtpm, startSwtpmFleet, swtpmAvailable, type StartSwtpmOptions, type Swtpm } from "./swtpm.ts";
export { swtpmLocalCa, type SwtpmLocalCa } from "./swtpm-provision.ts";
export { startPostgres, type PostgresServer } from "./postgres.ts";
export { seededRandom } from "./random.ts";
