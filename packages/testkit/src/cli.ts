// The `edgeward` entry point, for helpers that start its subcommands as real processes (startServe, the hub's and
// the agent's tests). Resolved through the package's own export, not a path into its folder; tests of the CLI itself
// name their own entry point (packages/cli/test/helpers/cli.ts).
import { fileURLToPath } from "node:url";
import { runNodeScript, type CliResult } from "./process.ts";

/** The CLI's source entry point (`@edgeward/cli/bin`). */
export const CLI_BIN = fileURLToPath(import.meta.resolve("@edgeward/cli/bin"));

/** Runs `edgeward ARGS` as a real process on this Node (24). */
export function runCli(
  args: readonly string[],
  options: { stdin?: Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return runNodeScript(CLI_BIN, args, options);
}
