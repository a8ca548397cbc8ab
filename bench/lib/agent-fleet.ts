// Shared by the agent update benchmarks: one swtpm device enrolled (by token) with a real hub process
// (`edgeward hub serve`), a publisher key, and agent daemons (`edgeward agent run`) started on that device's state
// with a configuration that tracks the given targets. Everything lives in one temporary directory that `close()`
// removes with the processes it started.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createFleetGroup,
  enrolDevice,
  initFleetHub,
  publisherKeys,
  publishModel,
  startAgentProcess,
  startServe,
  startSwtpm,
  type AgentProcess,
  type FleetHub,
  type ServeProcess,
  type Swtpm,
} from "@edgeward/testkit";

/** A hub, one enrolled device, and a publisher. */
export interface BenchFleet {
  readonly dir: string;
  readonly hub: FleetHub;
  readonly serve: ServeProcess;
  readonly tpm: Swtpm;
  readonly state: string;
  /** Starts `edgeward agent run` tracking `track` (checking the hub every 200 ms, the shortest allowed). */
  agent(track: readonly string[]): Promise<AgentProcess>;
  /** `edgeward model publish` of `file` as `name`/`version`, signed; resolves when the command returned. */
  publish(file: string, name: string, version: string): Promise<void>;
  close(): Promise<void>;
}

/** Sets the fleet up: hub init and serve, the group, swtpm, enrolment. */
export async function startBenchFleet(): Promise<BenchFleet> {
  const dir = mkdtempSync(join(tmpdir(), "edgeward-bench-fleet-"));
  const hub = await initFleetHub(join(dir, "hub"), "bench");
  const serve = await startServe(["--dir", hub.dir, "--listen", "127.0.0.1:0"]);
  const tpm = await startSwtpm();
  const agents: AgentProcess[] = [];
  const close = async () => {
    for (const a of agents) await a.stop();
    await serve.stop();
    await tpm.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await createFleetGroup(hub, serve.url);
    const state = join(dir, "state");
    const enrolled = await enrolDevice(hub, serve.url, tpm.tcti, state);
    if (enrolled.status !== 0) throw new Error(`enrolment failed: ${enrolled.stderr}`);
    const keys = await publisherKeys(join(dir, "publisher"));
    let n = 0;
    return {
      dir,
      hub,
      serve,
      tpm,
      state,
      async agent(track) {
        const config = join(dir, `agent-${++n}.yaml`);
        const key = readFileSync(keys.pub, "utf8").trim().split("\n");
        writeFileSync(
          config,
          [
            `track: [${track.join(", ")}]`,
            "hubIntervalMs: 200",
            "publisherKey: |",
            ...key.map((l) => `  ${l}`),
            "",
          ].join("\n"),
        );
        const a = await startAgentProcess({ tcti: tpm.tcti, state, sock: join(dir, `agent-${n}.sock`), config });
        agents.push(a);
        return a;
      },
      async publish(file, name, version) {
        await publishModel(hub, serve.url, file, name, version, keys.key);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The agent process's peak and current resident set (VmHWM, VmRSS in /proc/PID/status), in bytes. */
export function residentOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { peak: kib("VmHWM") * 1024, now: kib("VmRSS") * 1024 };
}
