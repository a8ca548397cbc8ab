import type { StoredNode } from "../merkle/compact-range.ts";
import type { NodeRef } from "../merkle/math.ts";

/** What a log records about itself when it is created. */
export interface LogMeta {
  /** Checkpoint origin line (c2sp.org/tlog-checkpoint §Note text). */
  readonly origin: string;
  /** The log's verifier key (`name+keyid+base64`). */
  readonly vkey: string;
  /** Where the signing key file was when the log was created (so `edgeward log append` can find it). */
  readonly keyPath?: string;
  /** Creation time, RFC 3339. */
  readonly createdAt: string;
}

/** A signed checkpoint as stored: its tree size and the whole note. */
export interface StoredCheckpoint {
  readonly size: number;
  readonly note: string;
}

/** One group commit: entries, the tree nodes they complete, and the checkpoint that covers them. */
export interface Batch {
  /** Tree size before the batch; storage must still be at this size or the commit fails. */
  readonly fromSize: number;
  readonly entries: readonly Uint8Array[];
  /** Every perfect subtree completed by the batch, leaf hashes (level 0) included. */
  readonly nodes: readonly StoredNode[];
  /** The signed checkpoint at fromSize + entries.length. */
  readonly checkpoint: StoredCheckpoint;
}

/** What the entry table holds, counted over every row (not only those inside the tree). */
export interface EntryStats {
  readonly count: number;
  readonly minIndex: number;
  readonly maxIndex: number;
}

/** A stored entry. */
export interface StoredEntry {
  readonly index: number;
  readonly data: Uint8Array;
}

/**
 * Durable storage for a log, implemented on SQLite and on PostgreSQL. A commit is atomic: entries, nodes and
 * the checkpoint become visible and durable together, or not at all. Storage keeps interior nodes by
 * (level, index), so proofs read O(log n) rows and appends never recompute the tree.
 */
export interface LogStore {
  /** Human-readable location (path or URL without password), for messages. */
  readonly location: string;
  /** Creates the schema and the first (empty-tree) checkpoint; EW_ERR_LOG_EXISTS when a log is already there. */
  create(meta: LogMeta, first: StoredCheckpoint): Promise<void>;
  /** The log's metadata; EW_ERR_LOG_NOT_FOUND when there is no log. */
  readMeta(): Promise<LogMeta>;
  /**
   * Runs `body` as the only writer: holds the store's write lock (waiting while another process holds it) and
   * passes the latest stored checkpoint. A batch `body` returns is committed in the same transaction, so nothing
   * can be written between reading the head and committing; `undefined` writes nothing.
   * EW_ERR_LOG_CONCURRENT_WRITER when the batch does not start at the stored size.
   */
  exclusive(body: (latest: StoredCheckpoint) => Promise<Batch | undefined>): Promise<void>;
  /** The checkpoint with the largest size. */
  latestCheckpoint(): Promise<StoredCheckpoint>;
  /** The checkpoint stored for exactly `size`, if any. */
  checkpointAt(size: number): Promise<StoredCheckpoint | undefined>;
  /** Every stored checkpoint, by increasing size. */
  checkpoints(): Promise<StoredCheckpoint[]>;
  /** Number of stored entries, the smallest index and the largest index (both −1 when empty). */
  entryStats(): Promise<EntryStats>;
  /** Entries with from ≤ index < to, by increasing index (gaps are simply absent). */
  readEntries(from: number, to: number): Promise<StoredEntry[]>;
  /** Node hashes for `refs`, in order; a missing node is absent storage (EW_ERR_LOG_STORAGE_MISMATCH). */
  getNodes(refs: readonly NodeRef[]): Promise<Uint8Array[]>;
  /** Stored nodes of one level with from ≤ index < to, as a map from index to hash. */
  readLevel(level: number, from: number, to: number): Promise<Map<number, Uint8Array>>;
  /**
   * Runs `body` so that every read it makes sees one committed state of the log, whatever other writers commit
   * meanwhile (SQLite: one read transaction; PostgreSQL: a REPEATABLE READ transaction on one connection).
   */
  snapshot<T>(body: () => Promise<T>): Promise<T>;
  /** Releases the connection or file. */
  close(): Promise<void>;
}
