/**
 * A bounded walk of directory trees on the host, for the scans of promises 1 and 5 and the permission check:
 * symbolic links are not followed, and depth and file count are capped so an audit of a large disk stays quick.
 */
import type { Stats } from "node:fs";
import { posix } from "node:path";
import type { HostView } from "./host-view.ts";

/** A file or directory found by {@link walk}. */
export interface WalkEntry {
  readonly path: string;
  readonly stats: Stats;
}

/** Limits of one walk. */
export interface WalkLimits {
  readonly maxDepth: number;
  readonly maxEntries: number;
}

const DEFAULT_LIMITS: WalkLimits = { maxDepth: 6, maxEntries: 20_000 };

/** Every entry under each of `dirs` (host paths), the directories themselves included, up to the limits. */
export async function walk(
  host: HostView,
  dirs: readonly string[],
  limits: WalkLimits = DEFAULT_LIMITS,
): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  const queue: { path: string; depth: number }[] = dirs.map((path) => ({ path, depth: 0 }));
  while (queue.length > 0 && out.length < limits.maxEntries) {
    const { path, depth } = queue.shift()!;
    const stats = await host.stat(path);
    if (stats === undefined) continue;
    out.push({ path, stats });
    if (!stats.isDirectory() || depth >= limits.maxDepth) continue;
    for (const name of await host.list(path)) queue.push({ path: posix.join(path, name), depth: depth + 1 });
  }
  return out;
}
