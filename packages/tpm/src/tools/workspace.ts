/**
 * One TPM operation's scratch space: a private temporary directory for context files, the tool runner, and the
 * flushing that a TPM without a resource manager needs (swtpm, /dev/tpm0): every tool leaves its objects loaded,
 * so transient objects are flushed after each tool and sessions at the end, also when the operation fails.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTool, type RunOptions, type ToolContext, type ToolResult } from "./exec.ts";

/** Runs tools for one operation. */
export class Workspace {
  readonly #ctx: ToolContext;
  readonly #flush: boolean;
  #sessions = false;

  constructor(ctx: ToolContext, flush: boolean) {
    this.#ctx = ctx;
    this.#flush = flush;
  }

  /** Runs a tool; with `loads` (the default) flushes the transient objects it left behind. */
  async run(
    tool: string,
    args: readonly string[],
    options: RunOptions & { loads?: boolean } = {},
  ): Promise<ToolResult> {
    const loads = options.loads !== false;
    let result: ToolResult;
    try {
      result = await runTool(this.#ctx, tool, args, options);
    } catch (err) {
      // Keep the tool's error: a failing flush must not replace it.
      if (loads) await this.flush("-t").catch(() => undefined);
      throw err;
    }
    if (loads) await this.flush("-t");
    return result;
  }

  /** Starts a policy session in `file` and marks the workspace as holding one. */
  async startPolicySession(file: string): Promise<void> {
    this.#sessions = true;
    await this.run("tpm2_startauthsession", ["--policy-session", "-S", file], { loads: false });
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    await writeFile(join(this.#ctx.cwd, name), bytes, { mode: 0o600 });
  }

  async read(name: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(join(this.#ctx.cwd, name)));
  }

  /**
   * Flushes what this operation may have left; after a failure, everything. A policy session can be left saved
   * (tpm2_startauthsession) or loaded (tpm2_ecdhzgen exits without flushing the session it used), so both go.
   */
  async finish(failed: boolean): Promise<void> {
    if (failed) await this.flush("-t").catch(() => undefined);
    if (failed || this.#sessions) {
      await this.flush("-l").catch(() => undefined);
      await this.flush("-s").catch(() => undefined);
    }
  }

  /**
   * `tpm2_flushcontext` honours only its last flag in tpm2-tools 5.4 (`-t -l -s` flushes saved sessions only),
   * so each kind is flushed with its own run.
   */
  async flush(kind: "-t" | "-l" | "-s"): Promise<void> {
    if (!this.#flush) return;
    await runTool(this.#ctx, "tpm2_flushcontext", [kind]);
  }
}

/** Runs `fn` in a fresh workspace and always cleans up: flushes the TPM, removes the directory. */
export async function inWorkspace<T>(
  base: Omit<ToolContext, "cwd">,
  flush: boolean,
  fn: (ws: Workspace) => Promise<T>,
): Promise<T> {
  const cwd = await mkdtemp(join(tmpdir(), "edgeward-tpm-"));
  const ws = new Workspace({ ...base, cwd }, flush);
  let failed = true;
  try {
    const out = await fn(ws);
    failed = false;
    return out;
  } finally {
    await ws.finish(failed);
    await rm(cwd, { recursive: true, force: true });
  }
}
