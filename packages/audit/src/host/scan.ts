/**
 * Scans directories for files of the kinds {@link classifyFile} names, reading only each file's first bytes.
 */
import { open } from "node:fs/promises";
import { CLASSIFY_BYTES, classifyFile, type FileKind } from "./classify.ts";
import type { HostView } from "./host-view.ts";
import { walk } from "./walk.ts";

/** A file found by a scan. */
export interface Finding {
  readonly path: string;
  readonly kind: FileKind;
}

/** Regular files under `dirs` (host paths of `host`) whose kind is one of `kinds`. */
export async function scanFor(
  host: HostView,
  dirs: readonly string[],
  kinds: ReadonlySet<FileKind>,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const entry of await walk(host, dirs)) {
    if (!entry.stats.isFile() || entry.stats.size === 0) continue;
    const kind = classifyFile(entry.path, await head(host.path(entry.path)));
    if (kind !== undefined && kinds.has(kind)) findings.push({ path: entry.path, kind });
  }
  return findings;
}

async function head(path: string): Promise<Buffer> {
  try {
    const fh = await open(path, "r");
    try {
      const buf = Buffer.alloc(CLASSIFY_BYTES);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}
