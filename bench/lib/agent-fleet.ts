// Shared by the agent update benchmarks: one swtpm device enrolled (by token) with a real hub process
// (`edgeward hub serve`), a publisher key, and agent daemons (`edgeward agent run`) started on that device's state
// with a configuration that tracks the given targets. Everything lives in one temporary directory that `close()`
// removes with the processes it started.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  initFleetHub,
  startFleetDevice,
  startServe,
  type FleetDevice,
  type FleetHub,
  type ServeProcess,
} from "@edgeward/testkit";

/** A hub process, one enrolled device (agents check the hub every 200 ms, the shortest allowed), a publisher. */
export interface BenchFleet extends FleetDevice {
  readonly dir: string;
  readonly hub: FleetHub;
  readonly serve: ServeProcess;
}

/** Sets the fleet up: hub init and serve, the group, swtpm, enrolment. */
export async function startBenchFleet(): Promise<BenchFleet> {
  const dir = mkdtempSync(join(tmpdir(), "edgeward-bench-fleet-"));
  const hub = await initFleetHub(join(dir, "hub"), "bench");
  const serve = await startServe(["--dir", hub.dir, "--listen", "127.0.0.1:0"]);
  const device = await startFleetDevice(hub, serve.url, dir, async () => {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ...device, dir, hub, serve };
}

/** The agent process's peak and current resident set (VmHWM, VmRSS in /proc/PID/status), in bytes. */
export function residentOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { peak: kib("VmHWM") * 1024, now: kib("VmRSS") * 1024 };
}
