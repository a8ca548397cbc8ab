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
  return stateLayout(resolve(dir));
}
