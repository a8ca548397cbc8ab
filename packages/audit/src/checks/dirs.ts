/**
 * The directories the scans read, as real paths: the agent's state directory, its data directories (state.json
 * agent.dataDirs, host paths under the audit's root) and, for promise 5, the temporary folders.
 */
import { HostView } from "../host/host-view.ts";
import type { AuditContext } from "./check.ts";

/** Temporary folders where a leaked input or model would land (promise 5). */
export const TEMP_DIRS = ["/tmp", "/var/tmp", "/dev/shm"];

/** A view of the whole file system, for scans of real paths. */
export const FILESYSTEM = new HostView("/");

/** The agent's directories that exist, as real paths; with `temp`, the host's temporary folders too. */
export async function scanDirs(ctx: AuditContext, temp = false): Promise<string[]> {
  const dirs = [
    ...(ctx.stateDir === undefined ? [] : [ctx.stateDir.root]),
    ...(ctx.state?.agent?.dataDirs ?? []).map((d) => ctx.host.path(d)),
    ...(temp ? TEMP_DIRS.map((d) => ctx.host.path(d)) : []),
  ];
  const present: string[] = [];
  for (const d of new Set(dirs)) if (await FILESYSTEM.exists(d)) present.push(d);
  return present;
}
