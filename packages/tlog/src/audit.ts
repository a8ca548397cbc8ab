import { EdgewardError, isEdgewardError, type ErrorCode } from "@edgeward/core/errors";
import { openCheckpoint } from "./checkpoint.ts";
import { CompactRange, type StoredNode } from "./merkle/compact-range.ts";
import { EMPTY_ROOT, equalBytes, leafHash, nodeHash } from "./merkle/hash.ts";
import type { NodeRef } from "./merkle/math.ts";
import { foldRight } from "./merkle/plan.ts";
import { encodeBase64 } from "./note/base64.ts";
import { parseVerifierKey } from "./note/keys.ts";
import type { LogStore } from "./store/types.ts";

/** What to audit a stored log against. */
export interface AuditOptions {
  /** The log's verifier key, from a trusted source (not from the log's own storage). */
  readonly vkey: string;
  /** Expected origin; defaults to the key's name. */
  readonly origin?: string;
  /** Checkpoint notes kept outside the log (by a witness, the hub, an operator). */
  readonly external?: readonly string[];
  /** Entries read per query (default 8192). */
  readonly chunk?: number;
}

/** The first problem found, with the entry it concerns when there is one. */
export interface AuditProblem {
  readonly code: ErrorCode;
  /** The first entry where history was changed (or is missing). */
  readonly index?: number;
  /**
   * Set when the changed entry cannot be told exactly (the stored hashes were rewritten with it): it is one of
   * the entries in [index, end).
   */
  readonly end?: number;
  readonly detail: string;
}

/** Result of {@link auditLog}. */
export interface AuditReport {
  readonly ok: boolean;
  readonly origin: string;
  /** Entries found in storage, up to the first gap. */
  readonly entries: number;
  /** Tree size of the largest verified checkpoint. */
  readonly treeSize: number;
  /** Checkpoints whose signature verified and whose root the entries reproduce. */
  readonly checkpoints: number;
  /** Root recomputed from the entries, base64. */
  readonly root: string;
  readonly problem?: AuditProblem;
}

interface Boundary {
  readonly size: number;
  readonly root: Uint8Array;
  readonly label: string;
}

/**
 * Audits a whole stored log: checks every stored checkpoint's signature with the trusted key (and any external
 * ones), recomputes the tree from the entries with a compact range, and compares its root at every checkpoint's
 * size, so all checkpoints are consistent with one history. It also checks every stored node hash (from which
 * proofs are served). At the first checkpoint the entries no longer reproduce, it walks down from that signed
 * root through the stored node hashes, authenticating each level, to name the first changed entry.
 */
export function auditLog(store: LogStore, options: AuditOptions): Promise<AuditReport> {
  // One consistent picture: a writer appending meanwhile must not look like stray or missing entries.
  return store.snapshot(() => audit(store, options));
}

async function audit(store: LogStore, options: AuditOptions): Promise<AuditReport> {
  const key = parseVerifierKey(options.vkey);
  const origin = options.origin ?? key.name;
  const chunk = options.chunk ?? 8192;
  const base = { origin, entries: 0, treeSize: 0, checkpoints: 0, root: encodeBase64(EMPTY_ROOT) };
  const fail = (problem: AuditProblem, progress: Partial<AuditReport> = {}): AuditReport => ({
    ...base,
    ...progress,
    ok: false,
    problem,
  });

  await store.readMeta();
  const boundaries: Boundary[] = [];
  for (const stored of await store.checkpoints()) {
    const opened = tryOpen(stored.note, key, origin, `the stored checkpoint at size ${stored.size}`);
    if ("problem" in opened) return fail(opened.problem);
    if (opened.cp.size !== stored.size)
      return fail({
        code: "EW_ERR_LOG_STORAGE_MISMATCH",
        detail: `the checkpoint stored at size ${stored.size} says ${opened.cp.size}`,
      });
    boundaries.push({ size: stored.size, root: opened.cp.root, label: `stored checkpoint ${stored.size}` });
  }
  const storedMax = boundaries.reduce((m, b) => Math.max(m, b.size), 0);
  for (const [i, note] of (options.external ?? []).entries()) {
    const opened = tryOpen(note, key, origin, `external checkpoint ${i + 1}`);
    if ("problem" in opened) return fail(opened.problem);
    boundaries.push({
      size: opened.cp.size,
      root: opened.cp.root,
      label: `external checkpoint at size ${opened.cp.size}`,
    });
  }
  boundaries.sort((a, b) => a.size - b.size);

  const range = CompactRange.empty();
  let next = 0; // next boundary to check
  let good = 0; // largest size whose checkpoints all matched
  let nodeProblem: AuditProblem | undefined;
  let verified = 0;
  const checkBoundaries = async (): Promise<AuditProblem | undefined> => {
    while (next < boundaries.length && boundaries[next]!.size === range.size) {
      const b = boundaries[next++]!;
      if (!equalBytes(range.root(), b.root)) {
        const at = await locate(store, good, b.size, b.root, chunk);
        if (at.end === undefined)
          return {
            code: "EW_ERR_LOG_ENTRY_CHANGED",
            index: at.index,
            detail: `entry ${at.index} differs from what the ${b.label} signed`,
          };
        return {
          code: "EW_ERR_LOG_ENTRY_CHANGED",
          index: at.index,
          end: at.end,
          detail: `an entry in [${at.index}, ${at.end}) differs from what the ${b.label} signed; the stored tree hashes were rewritten with it, so which one cannot be told from this copy`,
        };
      }
      good = b.size;
      verified++;
    }
    return undefined;
  };

  let problem = await checkBoundaries();
  let gap = false;
  for (let at = 0; problem === undefined && !gap; at += chunk) {
    const entries = await store.readEntries(at, at + chunk);
    if (entries.length === 0) break;
    const created: StoredNode[] = [];
    for (const e of entries) {
      if (e.index !== range.size) {
        // A gap before the last checkpoint's size is a missing entry; rows after the last one are stray rows.
        gap = true;
        if (next < boundaries.length)
          problem = { code: "EW_ERR_LOG_ENTRY_MISSING", index: range.size, detail: `entry ${range.size} is missing` };
        break;
      }
      for (const n of range.append(leafHash(e.data))) created.push(n);
      if (boundaries[next]?.size === range.size) problem = await checkBoundaries();
      if (problem !== undefined) break;
    }
    nodeProblem ??= await compareNodes(store, created);
    if (entries.length < chunk) break;
  }
  const progress = { entries: range.size, treeSize: good, checkpoints: verified, root: encodeBase64(range.root()) };
  if (problem !== undefined) return fail(problem, progress);
  const extra = await strayEntries(store, range.size);
  if (extra !== undefined) return fail(extra, progress);
  const beyond = boundaries[next];
  if (beyond !== undefined)
    return fail(
      {
        code: "EW_ERR_LOG_TRUNCATED",
        index: range.size,
        detail: `entries from ${range.size} are missing; the ${beyond.label} covers ${beyond.size}`,
      },
      progress,
    );
  if (range.size > storedMax)
    return fail(
      {
        code: "EW_ERR_LOG_ENTRY_EXTRA",
        index: storedMax,
        detail: `entries from ${storedMax} are not covered by any signed checkpoint`,
      },
      progress,
    );
  if (nodeProblem !== undefined) return fail(nodeProblem, progress);
  return { ...base, ...progress, ok: true };
}

/**
 * The whole entry table against the `size` entries the walk read from index 0 up: a row below 0 or past the end
 * (which the walk never reads, and which would block every later append) is named by its index.
 */
async function strayEntries(store: LogStore, size: number): Promise<AuditProblem | undefined> {
  const stats = await store.entryStats();
  if (stats.count === size && (size === 0 || (stats.minIndex === 0 && stats.maxIndex === size - 1))) return undefined;
  const index = stats.minIndex < 0 ? stats.minIndex : stats.maxIndex;
  return {
    code: "EW_ERR_LOG_ENTRY_EXTRA",
    index,
    detail: `entry ${index} is stored outside the tree of ${size} entries (${stats.count} rows, indices ${stats.minIndex} to ${stats.maxIndex})`,
  };
}

function tryOpen(note: string, key: ReturnType<typeof parseVerifierKey>, origin: string, label: string) {
  try {
    return { cp: openCheckpoint(note, key, { origin }) };
  } catch (err) {
    if (!isEdgewardError(err)) throw err;
    return { problem: { code: err.code, detail: `${label}: ${err.message}` } satisfies AuditProblem };
  }
}

/** Compares the nodes the entries produce with the stored ones (proofs are served from those). */
async function compareNodes(store: LogStore, created: readonly StoredNode[]): Promise<AuditProblem | undefined> {
  const byLevel = new Map<number, StoredNode[]>();
  for (const n of created) (byLevel.get(n.level) ?? byLevel.set(n.level, []).get(n.level)!).push(n);
  for (const [level, nodes] of byLevel) {
    const stored = await store.readLevel(level, nodes[0]!.index, nodes[nodes.length - 1]!.index + 1);
    for (const n of nodes) {
      const s = stored.get(n.index);
      if (s === undefined || !equalBytes(s, n.hash)) {
        const index = n.index * 2 ** level;
        return {
          code: "EW_ERR_LOG_STORAGE_MISMATCH",
          index,
          detail: `stored tree node (${level}, ${n.index}) does not match the entries`,
        };
      }
    }
  }
  return undefined;
}

/**
 * Names the first entry in [good, size) that differs from the tree whose signed root is `root`. Starting from
 * that root, the walk keeps an authenticated hash for the current subtree and descends into the child whose hash
 * recomputed from the entries differs. A child's authentic hash is either the stored one (when the stored pair
 * hashes to the authenticated parent, RFC 9162 §2.1.1) or, when the stored pair was altered too, the stored hash
 * of one child next to the recomputed hash of the other. When nothing authenticates, it falls back to the first
 * entry in the subtree whose stored leaf hash differs, else it names the subtree as a range rather than guess.
 */
async function locate(
  store: LogStore,
  good: number,
  size: number,
  root: Uint8Array,
  chunk: number,
): Promise<{ index: number; end?: number }> {
  const fallback = async (begin: number, end: number): Promise<{ index: number; end?: number }> => {
    const from = Math.max(begin, good);
    const leaves = await store.readLevel(0, from, end);
    for (let at = from; at < end; at += chunk)
      for (const e of await store.readEntries(at, Math.min(end, at + chunk))) {
        const s = leaves.get(e.index);
        if (s !== undefined && !equalBytes(s, leafHash(e.data))) return { index: e.index };
      }
    // Nothing authentic below the signed root: the entries before `good` are verified, so the change is in
    // [from, end), and naming its first entry would be a guess.
    return end - from === 1 ? { index: from } : { index: from, end };
  };
  const frontier = CompactRange.frontier(size);
  let claimed: Uint8Array[];
  try {
    claimed = await store.getNodes(frontier);
  } catch {
    return fallback(0, size);
  }
  if (!equalBytes(foldRight(claimed), root)) return fallback(0, size);
  for (const [j, ref] of frontier.entries()) {
    if (equalBytes(await recompute(store, ref, chunk), claimed[j]!)) continue;
    let node = ref;
    let auth = claimed[j]!;
    while (node.level > 0) {
      const left = { level: node.level - 1, index: node.index * 2 };
      const right = { level: node.level - 1, index: node.index * 2 + 1 };
      const stored = await store.readLevel(left.level, left.index, left.index + 2);
      const cL = stored.get(left.index);
      const cR = stored.get(right.index);
      const rL = await recompute(store, left, chunk);
      const rR = await recompute(store, right, chunk);
      const authentic = (l: Uint8Array | undefined, r: Uint8Array | undefined): boolean =>
        l !== undefined && r !== undefined && equalBytes(nodeHash(l, r), auth);
      let next: { ref: NodeRef; auth: Uint8Array } | undefined;
      if (authentic(cL, cR)) next = equalBytes(rL, cL!) ? { ref: right, auth: cR! } : { ref: left, auth: cL! };
      else if (authentic(rL, cR)) next = { ref: right, auth: cR! };
      else if (authentic(cL, rR)) next = { ref: left, auth: cL! };
      if (next === undefined) return fallback(node.index * 2 ** node.level, (node.index + 1) * 2 ** node.level);
      node = next.ref;
      auth = next.auth;
    }
    return { index: node.index };
  }
  return fallback(0, size);
}

/** The hash of a perfect subtree recomputed from the stored entries. */
async function recompute(store: LogStore, ref: NodeRef, chunk: number): Promise<Uint8Array> {
  const begin = ref.index * 2 ** ref.level;
  const end = begin + 2 ** ref.level;
  const range = CompactRange.empty();
  for (let at = begin; at < end; at += chunk)
    for (const e of await store.readEntries(at, Math.min(end, at + chunk))) range.append(leafHash(e.data));
  if (range.size !== end - begin)
    throw new EdgewardError("EW_ERR_LOG_ENTRY_MISSING", { detail: `entries in [${begin}, ${end})` });
  return range.root();
}
