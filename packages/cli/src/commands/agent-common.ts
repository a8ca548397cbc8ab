// Shared plumbing of the `edgeward agent` subcommands: the state directory and the TPM the options name. Apart from
// agent.ts, which registers the subcommands, so that no subcommand imports the file that imports it.
import { resolve } from "node:path";
import type { Command } from "commander";
import { stateLayout, type StateLayout } from "@edgeward/agent";
import { openTpmDevice, type TpmDevice } from "@edgeward/tpm";

/** Options every `edgeward agent` subcommand shares (set on `agent`, read with optsWithGlobals). */
export interface AgentGlobalOptions {
  tcti?: string;
}

/** The TPM the `--tcti` option (or $TPM2TOOLS_TCTI) names. The agent never falls back to the software keystore. */
export function agentTpm(cmd: Command): TpmDevice {
  const o = cmd.optsWithGlobals<AgentGlobalOptions>();
  return openTpmDevice(o.tcti === undefined ? {} : { tcti: o.tcti });
}

/** The state directory's layout, from `--state DIR`. */
export function agentState(dir: string): StateLayout {
  // Whatever the agent's libraries create in the state directory (tuf-js's metadata, SQLite's log and its journal)
  // is the agent's alone, as under the unit's UMask=0077 (docs/agent.md "systemd"), also when the agent
  // runs outside systemd.
  process.umask(0o077);
  return stateLayout(resolve(dir));
}
