import { spawn } from "node:child_process";

/** Result of one child process run. */
export interface CliResult {
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs `script ARGS` as a real process on this Node (24), with optional stdin bytes. A package's tests name
 * their own entry point (the CLI's tests pass its bin.ts), so the kit reaches into no package by path.
 */
export function runNodeScript(
  script: string,
  args: readonly string[],
  options: { stdin?: Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (status) =>
      resolve({ status: status ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }),
    );
    // A child that exits before reading its stdin must not fail the run with EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.stdin ?? new Uint8Array(0));
  });
}

/** The `EW_ERR_*` code a failed run printed on stderr (`error EW_ERR_…: …`), or undefined. */
export function printedCode(result: CliResult): string | undefined {
  return /^error (EW_ERR_[A-Z0-9_]+):/m.exec(result.stderr)?.[1];
}
