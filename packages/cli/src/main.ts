import { Command, CommanderError } from "commander";
// The errors subpath, not the package root: `edgeward --help` should not load the age, OMS and TPM code.
import { EdgewardError, isEdgewardError } from "@edgeward/core/errors";
import { COMMANDS } from "./commands/index.ts";
import { COMMAND_SUMMARIES } from "./commands/summaries.ts";

/**
 * Builds the `edgeward` program. One file per command under `commands/` (sigstore-js `cli/src/commands`);
 * each exports a `register(program)` that adds itself. With `only`, just that command is loaded (the one being
 * run); otherwise every command appears by name and summary only (for the top-level help, and for an unknown
 * command's error), and none is loaded.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command("edgeward")
    .description("Edgeward: sealed models, TPM-bound keys, attestation and a tamper-evident audit log for edge AI")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "error EW_ERR_USAGE: ")) })
    .exitOverride();
  if (only !== undefined && Object.hasOwn(COMMANDS, only)) (await COMMANDS[only]!())(program);
  else for (const name of Object.keys(COMMANDS)) program.command(name).description(COMMAND_SUMMARIES[name] ?? "");
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    // The command is the first argument that is not an option (edgeward has no global options taking values).
    const words = argv.filter((a) => !a.startsWith("-"));
    // `edgeward help CMD` is CMD's help: load CMD.
    const program = await buildProgram(words[0] === "help" ? words[1] : words[0]);
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
