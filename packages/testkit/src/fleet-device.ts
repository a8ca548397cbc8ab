/**
 * One swtpm device of a fleet hub, seen from outside as an operator sees it (docs/agent.md "Enrolment and the
 * hub"): the hub's group set up with the fleet policy, the device enrolled by token into `DIR/state`, a publisher
 * whose releases the agent's configuration requires (`publisherKey`), `edgeward agent run` processes on the
 * device, and the device's own log read back.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { decodeAuditEvent, type AuditEvent } from "@edgeward/tlog";
import { startSwtpm, type Swtpm } from "@edgeward/swtpm";
import { startAgentProcess, type AgentProcess } from "./agent-process.ts";
import { createFleetGroup, enrolDevice, publisherKeys, publishModel, type FleetHub } from "./device-fleet.ts";

/** An enrolled device and its publisher. */
export interface FleetDevice {
  readonly tpm: Swtpm;
  readonly state: string;
  /**
   * Publishes `model` (bytes, written under DIR first, or a file path) as `name`/`version`, signed; returns the
   * release as `model publish --json` prints it.
   */
  publish(model: Uint8Array | string, name: string, version: string): Promise<Record<string, unknown>>;
  /**
   * Starts `edgeward agent run` on the device's state tracking `track` and following the release names `follow`,
   * attesting every `intervalMs`.
   */
  agent(track: readonly string[], intervalMs: number, follow?: readonly string[]): Promise<AgentProcess>;
  /** Every entry of the device's own log (docs/agent.md "State directory": log/device-log.db), decoded, in order. */
  deviceLog(): AuditEvent[];
  /** Stops every agent started here and the TPM. */
  close(): Promise<void>;
}

/**
 * Sets up the group of `hub` (listening at `url`), starts a swtpm and enrols it; files go under `dir`. `stopHub`
 * (the caller's hub) is called by `close()` after the agents and the TPM stop, and at once if setting up fails.
 */
export async function startFleetDevice(
  hub: FleetHub,
  url: string,
  dir: string,
  stopHub: () => Promise<unknown>,
): Promise<FleetDevice> {
  const agents: AgentProcess[] = [];
  let tpm: Swtpm | undefined;
  const close = async () => {
    for (const a of agents) await a.stop();
    await tpm?.stop();
    await stopHub();
  };
  try {
    await createFleetGroup(hub, url);
    tpm = await startSwtpm();
    const { tcti } = tpm;
    const state = join(dir, "state");
    const enrolled = await enrolDevice(hub, url, tcti, state);
    if (enrolled.status !== 0) throw new Error(`enrolment failed: ${enrolled.stderr}`);
    const keys = await publisherKeys(join(dir, "publisher"), hub);
    const publisherKey = readFileSync(keys.pub, "utf8").trim().split("\n");
    return {
      tpm,
      state,
      async publish(model, name, version) {
        let file = model;
        if (typeof file !== "string") {
          file = join(dir, `${name}-${version}.onnx`);
          writeFileSync(file, model);
        }
        return publishModel(hub, url, file, name, version, keys.key);
      },
      async agent(track, intervalMs, follow = []) {
        const n = agents.length;
        const config = join(dir, `agent-${n}.yaml`);
        const yaml = [
          `track: [${track.join(", ")}]`,
          `follow: [${follow.join(", ")}]`,
          `hubIntervalMs: ${intervalMs}`,
          "publisherKey: |",
        ];
        writeFileSync(config, [...yaml, ...publisherKey.map((l) => `  ${l}`), ""].join("\n"));
        const started = await startAgentProcess({ tcti, state, sock: join(dir, `agent-${n}.sock`), config });
        agents.push(started);
        return started;
      },
      deviceLog: () => readDeviceLog(state),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The entries of the device log in the agent state directory `state`, in order (read-only). */
export function readDeviceLog(state: string): AuditEvent[] {
  const db = new DatabaseSync(join(state, "log", "device-log.db"), { readOnly: true });
  try {
    const rows = db.prepare("SELECT data FROM tlog_entries ORDER BY idx").all() as { data: Uint8Array }[];
    return rows.map((r) => decodeAuditEvent(r.data));
  } finally {
    db.close();
  }
}
