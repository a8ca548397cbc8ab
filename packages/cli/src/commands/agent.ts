import type { Command } from "commander";
import { registerAgentEnrol } from "./agent-enrol.ts";
import { registerAgentRun } from "./agent-run.ts";
import { registerAgentStatus } from "./agent-status.ts";
import { registerAgentTamper } from "./agent-tamper.ts";
import { registerAgentUnit } from "./agent-unit.ts";

/**
 * `edgeward agent`: the device daemon and its companions (docs/agent.md): enrol with a hub, run (attest, update,
 * serve from memory, watch for tampering), status, the manual tamper trigger and the systemd unit.
 */
export function registerAgent(program: Command): void {
  const agent = program
    .command("agent")
    .description("the device agent: enrol, run, status, tamper, systemd unit")
    .option("--tcti <tcti>", "TPM connection for tpm2-tools (default: $TPM2TOOLS_TCTI, else device:/dev/tpmrm0)")
    // Whatever an agent command or its libraries create in the state directory (tuf-js's metadata, SQLite's log and
    // its journal) is the agent's alone, as under the unit's UMask=0077 (docs/agent.md "systemd"), also when the
    // agent runs outside systemd.
    .hook("preAction", () => void process.umask(0o077));
  registerAgentEnrol(agent);
  registerAgentRun(agent);
  registerAgentStatus(agent);
  registerAgentTamper(agent);
  registerAgentUnit(agent);
}
