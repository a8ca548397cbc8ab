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

/** What a scan found; `truncated` when the walk stopped at its depth or entry limit. */
export interface ScanResult {
  readonly findings: readonly Finding[];
  readonly files: number;
  readonly truncated: boolean;
}

/** Regular files under `dirs` (host paths of `host`) whose kind is one of `kinds`. */
export async function scanFor(
  host: HostView,
  dirs: readonly string[],
  kinds: ReadonlySet<FileKind>,
): Promise<ScanResult> {
  const { entries, truncated } = await walk(host, dirs);
  const files = entries.filter((e) => e.stats.isFile() && e.stats.size > 0);
  const findings: Finding[] = [];
  // Files are read in batches so their I/O overlaps without opening thousands of descriptors at once.
  for (let i = 0; i < files.length; i += 64) {
    const batch = files.slice(i, i + 64);
    const heads = await Promise.all(batch.map((e) => head(host.path(e.path))));
    batch.forEach((e, j) => {
      const kind = classifyFile(e.path, heads[j]!);
      if (kind !== undefined && kinds.has(kind)) findings.push({ path: e.path, kind });
    });
  }
  return { findings, files: files.length, truncated };
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
