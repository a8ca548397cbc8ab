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

/** What a walk found, and whether it stopped at a limit before reading everything. */
export interface WalkResult {
  readonly entries: readonly WalkEntry[];
  readonly truncated: boolean;
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
): Promise<WalkResult> {
  const out: WalkEntry[] = [];
  let truncated = false;
  // Breadth first, one directory level at a time, its entries stat'ed together (I/O waits overlap).
  let level: string[] = [...dirs];
  for (let depth = 0; level.length > 0 && out.length < limits.maxEntries; depth++) {
    const found = await Promise.all(level.map(async (path) => ({ path, stats: await host.stat(path) })));
    const next: string[] = [];
    for (const { path, stats } of found) {
      if (stats === undefined) continue;
      if (out.length >= limits.maxEntries) {
        truncated = true;
        continue;
      }
      out.push({ path, stats });
      if (stats.isDirectory() && depth < limits.maxDepth) next.push(path);
      else if (stats.isDirectory() && (await host.list(path)).length > 0) truncated = true;
    }
    const children = await Promise.all(next.map(async (d) => (await host.list(d)).map((n) => posix.join(d, n))));
    level = children.flat();
  }
  return { entries: out, truncated: truncated || level.length > 0 };
}
