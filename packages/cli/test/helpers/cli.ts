import { fileURLToPath } from "node:url";
import { runNodeScript, type CliResult } from "@edgeward/testkit";

export { printedCode, type CliResult } from "@edgeward/testkit";

/** The CLI entry point, for tests that must wrap the process (strace). */
export const CLI_BIN = fileURLToPath(new URL("../../src/bin.ts", import.meta.url));

/** Runs `edgeward ARGS` as a real process on this Node (24), with optional stdin bytes. */
export function runCli(
  args: readonly string[],
  options: { stdin?: Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return runNodeScript(CLI_BIN, args, options);
}
