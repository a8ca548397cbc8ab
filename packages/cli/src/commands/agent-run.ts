import { existsSync } from "node:fs";
import { chmod, rm } from "node:fs/promises";
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { Agent, DEFAULT_CONFIG, hubLink, loadConfig } from "@edgeward/agent";
import { runAudit } from "@edgeward/audit";
import { agentState, agentTpm } from "./agent-common.ts";

/**
 * `edgeward agent run`: the daemon. Serves the stored release (when the boot state still matches) on loopback or a
 * Unix socket, watches the tamper sources, and stops cleanly on SIGTERM or SIGINT.
 */
export function registerAgentRun(agent: Command): void {
  agent
    .command("run")
    .description("run the agent: serve the model from memory on loopback or a Unix socket, watch for tampering")
    .requiredOption("--state <dir>", "the agent's state directory")
    .requiredOption("--listen <addr>", "127.0.0.1:PORT, [::1]:PORT or unix:PATH")
    .option("--config <file>", "the agent's YAML configuration (tamper sources, publisher key …)")
    .action(async (opts: { state: string; listen: string; config?: string }, cmd: Command) => {
      const listen = parseListen(opts.listen);
      const say = (line: string) => process.stderr.write(`edgeward agent: ${line}\n`);
      const layout = agentState(opts.state);
      // An enrolled agent talks to its hub, and sends it the audit of its state directory soon after start, then
      // every auditIntervalMs (docs/agent.md "state.json and the daily audit"); one that never enrolled serves
      // what its state directory holds.
      const audit = (stateDir: string) => runAudit({ stateDir });
      const hub = existsSync(layout.hub) ? hubLink({ say, audit }) : undefined;
      const running = await Agent.start({
        tpm: agentTpm(cmd),
        layout,
        ...(hub === undefined ? {} : { hub }),
        config: opts.config === undefined ? DEFAULT_CONFIG : await loadConfig(opts.config),
        say,
      });
      if ("path" in listen) await rm(listen.path, { force: true });
      const address = await running.app.listen(listen);
      // Clients of a Unix socket need only connect; the socket carries no secret but the service is local only.
      if ("path" in listen) await chmod(listen.path, 0o660);
      say(`listening on ${address}`);
      await new Promise<void>((resolve) => {
        const stop = () => void running.close().then(resolve);
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
    });
}

/** Parses `--listen`: loopback only, or a Unix socket path. */
function parseListen(text: string): { host: string; port: number } | { path: string } {
  if (text.startsWith("unix:") && text.length > 6) return { path: text.slice(5) };
  const m = /^(127\.0\.0\.1|\[::1\]|localhost):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (m?.[1] === undefined || port > 65535)
    throw new EdgewardError("EW_ERR_USAGE", { detail: "--listen must be 127.0.0.1:PORT, [::1]:PORT or unix:PATH" });
  return { host: m[1] === "[::1]" ? "::1" : m[1], port };
}
