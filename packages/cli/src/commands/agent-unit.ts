import type { Command } from "commander";
import { systemdUnit } from "@edgeward/agent";
import { writeTextOutput } from "@edgeward/io";
import { fileURLToPath } from "node:url";

/** `edgeward agent unit`: the hardened systemd unit for the agent (check it with `systemd-analyze verify`). */
export function registerAgentUnit(agent: Command): void {
  agent
    .command("unit")
    .description("write the agent's systemd unit with systemd's sandboxing (no new privileges, read-only system…)")
    .option("--state <dir>", "state directory under /var/lib", "/var/lib/edgeward")
    .option("--listen <addr>", "127.0.0.1:PORT or unix:PATH", "unix:/run/edgeward/agent.sock")
    .option("--user <name>", "service account", "edgeward")
    .option("-o, --output <file>", "write the unit to a file instead of standard output")
    .action(async (opts: { state: string; listen: string; user: string; output?: string }) => {
      const unit = systemdUnit({
        execStart: `${process.execPath} ${fileURLToPath(new URL("../../bin/edgeward.js", import.meta.url))}`,
        stateDir: opts.state,
        listen: opts.listen,
        user: opts.user,
      });
      if (opts.output === undefined) process.stdout.write(unit);
      else await writeTextOutput(opts.output, unit, { what: "systemd unit" });
    });
}
