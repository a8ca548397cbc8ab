/**
 * The fleet demo's processes (README "Quick start"): every step runs the real `edgeward` command as a child
 * process, so what the demo shows is what an operator would type. Each process is tracked so it is stopped on
 * success and on failure alike.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../bin.ts", import.meta.url));

/** The outcome of one `edgeward` run. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The EW_ERR_* code it printed, if any. */
  readonly code?: string;
}

/** Runs `edgeward ARGS` to completion. */
export function edgeward(args: readonly string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  return new Promise((resolve) =>
    child.on("close", (status) => {
      const code = /EW_ERR_[A-Z0-9_]+/.exec(stderr)?.[0];
      resolve({ status, stdout, stderr, ...(code === undefined ? {} : { code }) });
    }),
  );
}

/** Runs `edgeward ARGS --json`-style commands and parses stdout; a failure throws with its stderr. */
export async function edgewardJson<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
  const r = await edgeward(args);
  if (r.status !== 0) throw new Error(`edgeward ${args.slice(0, 3).join(" ")} failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

/** A long-running `edgeward` child (the hub, an agent daemon). */
export interface Daemon {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then waits for exit (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

/** Starts `edgeward ARGS` and resolves once its output matches `ready` (or rejects after `timeoutMs`). */
export function startDaemon(args: readonly string[], ready: RegExp, timeoutMs = 30_000): Promise<Daemon> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const daemon: Daemon = {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void daemon.stop();
      reject(new Error(`edgeward ${args.slice(0, 2).join(" ")} did not start: ${out.slice(-2000)}`));
    }, timeoutMs);
    const onData = (c: Buffer) => {
      out += c.toString("utf8");
      if (!ready.test(out)) return;
      clearTimeout(timer);
      resolve(daemon);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`edgeward ${args.slice(0, 2).join(" ")} exited: ${out.slice(-2000)}`));
    });
  });
}

/** An HTTP request to an agent's Unix-socket API; the JSON body of the answer and its status. */
export function agentCall(
  socketPath: string,
  path: string,
  body?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path,
        method: body === undefined ? "GET" : "POST",
        headers: body === undefined ? {} : { "content-type": "application/json" },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text || "{}") as Record<string, unknown>;
          } catch {
            json = { text };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("agent API timed out")));
    req.end(body);
  });
}

/** Polls `probe` every 100 ms until it returns a value or `timeoutMs` passes (then undefined). */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}
