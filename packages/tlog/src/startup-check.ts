import { EdgewardError } from "@edgeward/core/errors";
import { openCheckpoint } from "./checkpoint.ts";
import { CompactRange } from "./merkle/compact-range.ts";
import { equalBytes, leafHash } from "./merkle/hash.ts";
import { parseVerifierKey } from "./note/keys.ts";
import type { LogMeta, LogStore, StoredCheckpoint } from "./store/types.ts";

// The durable log's checks of storage against its last signed checkpoint, at start-up and when another writer
// moved the head (c2sp.org/tlog-checkpoint: a log's checkpoints must all describe one append-only tree).

/** The compact range of the verified checkpoint `latest`, rebuilt from the stored frontier nodes. */
export async function rangeAt(store: LogStore, meta: LogMeta, latest: StoredCheckpoint): Promise<CompactRange> {
  let cp;
  try {
    cp = openCheckpoint(latest.note, parseVerifierKey(meta.vkey), { origin: meta.origin });
  } catch (err) {
    throw mismatch("the last stored checkpoint does not verify", err);
  }
  if (cp.size !== latest.size) throw mismatch("the last checkpoint's row and note disagree on the size");
  let range: CompactRange;
  try {
    range = CompactRange.fromFrontier(cp.size, await store.getNodes(CompactRange.frontier(cp.size)));
  } catch (err) {
    throw mismatch("the stored tree nodes are incomplete", err);
  }
  if (!equalBytes(range.root(), cp.root))
    throw mismatch("the stored tree nodes do not reproduce the last checkpoint's root");
  return range;
}

function mismatch(detail: string, cause?: unknown): EdgewardError {
  return new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", cause === undefined ? { detail } : { detail, cause });
}

/**
 * At start-up: the last checkpoint verifies, exactly its number of entries is stored (indices 0 to size − 1), the
 * stored frontier nodes reproduce its root, and the last `tailCheck` entries hash to their stored leaf hashes.
 * Any contradiction is EW_ERR_LOG_STORAGE_MISMATCH.
 */
export async function startupCheck(
  store: LogStore,
  meta: LogMeta,
  latest: StoredCheckpoint,
  tailCheck: number,
): Promise<CompactRange> {
  const range = await rangeAt(store, meta, latest);
  const size = range.size;
  const stats = await store.entryStats();
  if (stats.count !== size || stats.maxIndex !== size - 1 || stats.minIndex !== (size === 0 ? -1 : 0))
    throw mismatch(
      `${stats.count} entries are stored (indices ${stats.minIndex} to ${stats.maxIndex}) but the last checkpoint has ${size}`,
    );
  const from = Math.max(0, size - tailCheck);
  const entries = await store.readEntries(from, size);
  const leaves = await store.readLevel(0, from, size);
  for (const e of entries) {
    const stored = leaves.get(e.index);
    if (stored === undefined || !equalBytes(stored, leafHash(e.data)))
      throw mismatch(`entry ${e.index} does not match its stored leaf hash`);
  }
  return range;
}
