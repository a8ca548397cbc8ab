// The `edgeward` entry point, for helpers that start its subcommands as real processes (startServe and the hub's
// tests). Tests of the CLI itself name their own entry point (packages/cli/test/helpers/cli.ts).
import { fileURLToPath } from "node:url";
import { runNodeScript, type CliResult } from "./process.ts";

/** The CLI's source entry point. */
export const CLI_BIN = fileURLToPath(new URL("../../cli/src/bin.ts", import.meta.url));

/** Runs `edgeward ARGS` as a real process on this Node (24). */
export function runCli(
  args: readonly string[],
  options: { stdin?: Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return runNodeScript(CLI_BIN, args, options);
}
