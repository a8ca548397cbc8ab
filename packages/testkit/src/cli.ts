import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Result of one CLI run. */
export interface CliResult {
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** The CLI entry point, for tests that must wrap the process (strace). */
export const CLI_BIN = fileURLToPath(new URL("../../cli/src/bin.ts", import.meta.url));

/** Runs `edgeward ARGS` as a real process on this Node (24), with optional stdin bytes. */
export function runCli(
  args: readonly string[],
  options: { stdin?: Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
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
    child.stdin.end(options.stdin ?? new Uint8Array(0));
  });
}

/** The `EW_ERR_*` code a failed CLI run printed on stderr, or undefined. */
export function printedCode(result: CliResult): string | undefined {
  return /^error (EW_ERR_[A-Z0-9_]+):/m.exec(result.stderr)?.[1];
}
