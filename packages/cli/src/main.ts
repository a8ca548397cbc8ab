import { Command, CommanderError } from "commander";
import { EdgewardError, isEdgewardError } from "@edgeward/core";
import { COMMANDS } from "./commands/index.ts";

/**
 * Builds the `edgeward` program. One file per command under `commands/` (sigstore-js `cli/src/commands`);
 * each exports a `register(program)` that adds itself. With `only`, just that command is loaded (the one being
 * run); otherwise all of them (for help, and for an unknown command's error).
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command("edgeward")
    .description("Edgeward: sealed models, TPM-bound keys, attestation and a tamper-evident audit log for edge AI")
    .version("0.1.0")
    // `edgeward --version` only before a command: `model publish --version V` names a release's version.
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "error EW_ERR_USAGE: ")) })
    .exitOverride();
  const loaders = only !== undefined && Object.hasOwn(COMMANDS, only) ? [COMMANDS[only]!] : Object.values(COMMANDS);
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program);
  // Only the program's own options are positional; a command's options (`tpm --software`) still follow its
  // subcommand (`tpm status --software`), as without positional options.
  for (const command of program.commands) command.enablePositionalOptions(false);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    // The command is the first argument that is not an option (edgeward has no global options taking values).
    const program = await buildProgram(argv.find((a) => !a.startsWith("-")));
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    return report(err);
  }
}

/** Prints the error's code and one actionable sentence (STYLE.md: a CLI prints the code and exits non-zero). */
function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end through exitOverride with status 0; commander already printed its message.
    if (err.exitCode === 0) return 0;
    return new EdgewardError("EW_ERR_USAGE").exitCode;
  }
  const e = isEdgewardError(err) ? err : new EdgewardError("EW_ERR_INTERNAL", { cause: err });
  process.stderr.write(`error ${e.code}: ${e.message}\n`);
  if (!isEdgewardError(err) || process.env["EDGEWARD_DEBUG"]) {
    const cause = e.cause instanceof Error ? (e.cause.stack ?? e.cause.message) : "";
    if (cause) process.stderr.write(`${cause}\n`);
  }
  return e.exitCode;
}
