/**
 * `edgeward agent run` as a real process, for the tests and benchmarks that watch a device from outside
 * (docs/agent.md "Serving"): started on a Unix socket, spoken to over HTTP on that socket, and stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { CLI_BIN } from "./cli.ts";

/** An HTTP answer from the agent's local API. */
export interface AgentAnswer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

/** A running agent daemon. */
export interface AgentProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly sock: string;
  /** Everything the daemon wrote to stderr so far (its `edgeward agent: …` lines). */
  stderr(): string;
  /** GET or POST `path` on the agent's socket; `body` is sent as `type` (default JSON). */
  call(path: string, body?: string | Uint8Array, type?: string): Promise<AgentAnswer>;
  /** Polls `check` every `everyMs` until it returns true; rejects after `timeoutMs` with the daemon's stderr. */
  until(what: string, check: () => Promise<boolean> | boolean, timeoutMs?: number, everyMs?: number): Promise<void>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** Options for {@link startAgentProcess}. */
export interface StartAgentOptions {
  readonly tcti: string;
  readonly state: string;
  readonly sock: string;
  readonly config?: string;
  /** How long to wait for "listening on" (default 60 s). */
  readonly timeoutMs?: number;
}

/** Runs `edgeward agent --tcti T run --state S --listen unix:SOCK [--config C]`; resolves once it listens. */
export async function startAgentProcess(options: StartAgentOptions): Promise<AgentProcess> {
  const args = [CLI_BIN, "agent", "--tcti", options.tcti, "run", "--state", options.state];
  args.push("--listen", `unix:${options.sock}`);
  if (options.config !== undefined) args.push("--config", options.config);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr?.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const agent: AgentProcess = {
    child,
    pid: child.pid ?? -1,
    sock: options.sock,
    stderr: () => err,
    call: (path, body, type) => callSocket(options.sock, path, body, type),
    async until(what, check, timeoutMs = 60_000, everyMs = 50) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`the agent exited while waiting for ${what}:\n${err}`);
        if (await check()) return;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${err}`);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
  try {
    await agent.until("the agent to listen", () => err.includes("listening on"), options.timeoutMs ?? 60_000);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return agent;
}

/** The serving model as `NAME/VERSION` from GET /healthz, or undefined while none serves. */
export async function servingRelease(agent: AgentProcess): Promise<string | undefined> {
  const health = await agent.call("/healthz").catch(() => undefined);
  const model = health?.json["model"] as { name?: unknown; version?: unknown } | undefined;
  if (health?.status !== 200 || typeof model?.name !== "string" || typeof model.version !== "string") return undefined;
  return `${model.name}/${model.version}`;
}

function callSocket(sock: string, path: string, body?: string | Uint8Array, type?: string): Promise<AgentAnswer> {
  const headers = body === undefined ? {} : { "content-type": type ?? "application/json" };
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, path, method: body === undefined ? "GET" : "POST", headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: jsonObject(Buffer.concat(parts)) }));
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${path} took over 30 s`)));
    req.end(body);
  });
}

/** The answer's JSON object; a body that is not JSON comes back as `{text}`. */
function jsonObject(bytes: Buffer): Record<string, unknown> {
  const text = bytes.toString("utf8");
  if (text === "") return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
}
