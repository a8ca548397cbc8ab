import { Command, CommanderError } from "commander";
// The errors subpath, not the package root: `edgeward --help` should not load the age, OMS and TPM code.
import { EdgewardError, isEdgewardError, redactSecrets } from "@edgeward/core/errors";
import { errnoOf, ioError } from "@edgeward/io/errno";
import { COMMANDS } from "./commands/index.ts";
import { COMMAND_SUMMARIES } from "./commands/summaries.ts";

/**
 * Builds the `edgeward` program. One file per command under `commands/` (sigstore-js `cli/src/commands`);
 * each exports a `register(program)` that adds itself. With `only`, just that command is loaded (the one being
 * run), and with `sub` only that subcommand where the command loads its subcommands on demand; otherwise every
 * command appears by name and summary only (for the top-level help, and for an unknown
 * command's error), and none is loaded.
 */
export async function buildProgram(only?: string, sub?: string): Promise<Command> {
  const program = new Command("edgeward")
    .description("Edgeward: sealed models, TPM-bound keys, attestation and a tamper-evident audit log for edge AI")
    .version("0.1.0")
    // `edgeward --version` only before a command: `model publish --version V` names a release's version.
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      outputError: (text, write) => write(redactSecrets(text.replace(/^error: /, "error EW_ERR_USAGE: "))),
    })
    .exitOverride();
  if (only !== undefined && Object.hasOwn(COMMANDS, only)) (await COMMANDS[only]!(sub))(program);
  else for (const name of Object.keys(COMMANDS)) program.command(name).description(COMMAND_SUMMARIES[name] ?? "");
  // Only the program's own options are positional; a command's options (`tpm --software`) still follow its
  // subcommand (`tpm status --software`), as without positional options.
  for (const command of program.commands) command.enablePositionalOptions(false);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes("--json");
  const failure = new FailureReport(json);
  // A reader that goes away (`edgeward open -o - | head -c 10`) makes stdout emit EPIPE as an event; without a
  // listener Node would crash with a stack trace. Report it once, typed, and exit with its status.
  process.stdout.on("error", (err) => {
    process.exitCode = failure.report(ioError(err, "writing to standard output"));
  });
  if (json) failure.watch(process.stdout);
  try {
    // The command is the first argument that is not an option (edgeward has no global options taking values).
    const words = argv.filter((a) => !a.startsWith("-"));
    // `edgeward help CMD` is CMD's help: load CMD with all its subcommands, so its help lists them all.
    const program = await (words[0] === "help" ? buildProgram(words[1]) : buildProgram(words[0], words[1]));
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    return failure.report(err);
  }
}

/**
 * Prints a failure once: the code and one actionable sentence on stderr (STYLE.md: a CLI prints the code and
 * exits non-zero), and with --json also `{"error": {"code", "message"}}` on stdout, so a script reading JSON
 * gets JSON either way. Secrets (a database URL's password) are removed from every line printed.
 */
class FailureReport {
  #done = false;
  readonly #json: boolean;
  /** Codes a command already printed on stdout in its own JSON report (`log verify --json`'s `problem.code`). */
  readonly #printed = new Set<string>();

  constructor(json: boolean) {
    this.#json = json;
  }

  /** Notes the codes in text written to `out`, so a failure a command already reported as JSON is not repeated. */
  watch(out: NodeJS.WriteStream): void {
    const write = out.write.bind(out) as (...args: unknown[]) => boolean;
    out.write = (chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === "string") for (const m of chunk.matchAll(/EW_ERR_[A-Z0-9_]+/g)) this.#printed.add(m[0]);
      return write(chunk, ...rest);
    };
  }

  report(err: unknown): number {
    if (err instanceof CommanderError) {
      // --help and --version end through exitOverride with status 0; commander already printed its message.
      if (err.exitCode === 0) return 0;
      const usage = new EdgewardError("EW_ERR_USAGE", { detail: err.message.replace(/^error: /, "") });
      if (this.#json && !this.#done) this.#printJson(usage.code, usage.message);
      this.#done = true;
      return usage.exitCode;
    }
    // An ordinary I/O failure (a system error with an errno) is typed even where no layer below caught it.
    const e =
      isEdgewardError(err) || errnoOf(err) !== undefined
        ? ioError(err, "reading or writing a file")
        : new EdgewardError("EW_ERR_INTERNAL", { cause: err });
    if (this.#done) return e.exitCode;
    this.#done = true;
    const message = redactSecrets(e.message);
    if (this.#json && !this.#printed.has(e.code)) this.#printJson(e.code, message);
    process.stderr.write(`error ${e.code}: ${message}\n`);
    if (e.code === "EW_ERR_INTERNAL" || process.env["EDGEWARD_DEBUG"]) {
      const cause = e.cause instanceof Error ? (e.cause.stack ?? e.cause.message) : "";
      if (cause) process.stderr.write(`${redactSecrets(cause)}\n`);
    }
    return e.exitCode;
  }

  #printJson(code: string, message: string): void {
    // Not after a closed pipe: the write would fail again.
    if (!process.stdout.writable) return;
    process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  }
}
