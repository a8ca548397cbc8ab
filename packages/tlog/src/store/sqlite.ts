import { DatabaseSync, type StatementSync } from "node:sqlite";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { EdgewardError } from "@edgeward/core/errors";
import { MAX_TREE_SIZE, nodeId, type NodeRef } from "../merkle/math.ts";
import { parseMeta } from "./meta.ts";
import type { Batch, EntryStats, LogMeta, LogStore, StoredCheckpoint, StoredEntry } from "./types.ts";

/** Durability settings for the SQLite store. */
export interface SqliteOptions {
  /**
   * "full" (default): WAL with synchronous=FULL, the WAL is fsynced at every commit, so an acknowledged append
   * survives power loss. "normal": WAL with synchronous=NORMAL, commits survive a process crash (SIGKILL) but the
   * last ones may be lost on power loss or an OS crash (SQLite docs, "PRAGMA synchronous"). Use "normal" only
   * where the machine's power is not a concern.
   */
  readonly synchronous?: "full" | "normal";
  /** Open without creating the file (readers). */
  readonly mustExist?: boolean;
  /**
   * Open for reading only (auditors): nothing is written, not even the journal mode, so a log on read-only
   * media or a write-protected copy can be checked. Implies `mustExist`.
   */
  readonly readOnly?: boolean;
  /** How long a writer waits for another process's write transaction, in ms (default 60000). */
  readonly lockTimeoutMs?: number;
}

const ROWS_PER_INSERT = 64;

const SCHEMA = `
CREATE TABLE tlog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE tlog_entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT;
CREATE TABLE tlog_nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL) STRICT;
CREATE TABLE tlog_checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL) STRICT;
`;

/**
 * The embedded log store on `node:sqlite` (built into Node 24). Nodes are keyed by level * 2^40 + index, so a
 * proof is O(log n) primary-key lookups. Every commit is one `BEGIN IMMEDIATE` transaction, which also takes
 * SQLite's write lock, so a second writer waits or fails instead of interleaving.
 */
export class SqliteStore implements LogStore {
  readonly location: string;
  readonly #db: DatabaseSync;
  readonly #stmts = new Map<string, StatementSync>();

  constructor(path: string, options: SqliteOptions = {}) {
    this.location = path;
    const readOnly = options.readOnly === true;
    if ((options.mustExist === true || readOnly) && path !== ":memory:" && !existsSync(path))
      throw new EdgewardError("EW_ERR_LOG_NOT_FOUND", { detail: path });
    try {
      this.#db = readOnly ? openReadOnly(path) : new DatabaseSync(path);
      // A writer waits its turn behind another process's write transaction (SQLite's busy handler retries
      // BEGIN IMMEDIATE until the timeout) instead of failing at once.
      this.#db.exec(`PRAGMA busy_timeout = ${options.lockTimeoutMs ?? 60_000}`);
      if (!readOnly) {
        this.#db.exec("PRAGMA journal_mode = WAL");
        this.#db.exec(`PRAGMA synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
      }
    } catch (err) {
      throw new EdgewardError("EW_ERR_LOG_STORAGE", { detail: path, cause: err });
    }
  }

  create(meta: LogMeta, first: StoredCheckpoint): Promise<void> {
    return this.#run(() => {
      const exists = this.#db.prepare("SELECT name FROM sqlite_master WHERE name = 'tlog_meta'").get();
      if (exists !== undefined) throw new EdgewardError("EW_ERR_LOG_EXISTS", { detail: this.location });
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        this.#db.exec(SCHEMA);
        const put = this.#db.prepare("INSERT INTO tlog_meta (key, value) VALUES (?, ?)");
        put.run("meta", JSON.stringify(meta));
        this.#db.prepare("INSERT INTO tlog_checkpoints (size, note) VALUES (?, ?)").run(first.size, first.note);
        this.#db.exec("COMMIT");
      } catch (err) {
        this.#db.exec("ROLLBACK");
        throw err;
      }
    });
  }

  readMeta(): Promise<LogMeta> {
    return this.#run(() => {
      const exists = this.#db.prepare("SELECT name FROM sqlite_master WHERE name = 'tlog_meta'").get();
      if (exists === undefined) throw new EdgewardError("EW_ERR_LOG_NOT_FOUND", { detail: this.location });
      const row = this.#stmt("SELECT value FROM tlog_meta WHERE key = 'meta'").get() as { value: string } | undefined;
      if (row === undefined) throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: "metadata is missing" });
      return parseMeta(row.value);
    });
  }

  /**
   * BEGIN IMMEDIATE takes SQLite's write lock before anything is read, so the head `body` sees is still the head
   * at COMMIT; a second process's BEGIN IMMEDIATE waits in the busy handler meanwhile.
   */
  async exclusive(body: (latest: StoredCheckpoint) => Promise<Batch | undefined>): Promise<void> {
    const db = this.#db;
    await this.#run(() => db.exec("BEGIN IMMEDIATE"));
    try {
      const batch = await body(await this.latestCheckpoint());
      if (batch !== undefined) await this.#run(() => this.#insertBatch(batch));
      await this.#run(() => db.exec("COMMIT"));
    } catch (err) {
      if (db.isOpen && db.isTransaction) db.exec("ROLLBACK");
      throw err;
    }
  }

  #insertBatch(batch: Batch): void {
    const head = this.#stmt("SELECT max(size) AS size FROM tlog_checkpoints").get() as { size: number | null };
    if (head.size !== batch.fromSize)
      throw new EdgewardError("EW_ERR_LOG_CONCURRENT_WRITER", {
        detail: `storage is at ${head.size}, expected ${batch.fromSize}`,
      });
    const entries = batch.entries.map((data, i): [number, Uint8Array] => [batch.fromSize + i, data]);
    this.#insertRows("tlog_entries (idx, data)", entries);
    this.#insertRows(
      "tlog_nodes (id, hash)",
      batch.nodes.map((n): [number, Uint8Array] => [nodeId(n), n.hash]),
    );
    this.#stmt("INSERT INTO tlog_checkpoints (size, note) VALUES (?, ?)").run(
      batch.checkpoint.size,
      batch.checkpoint.note,
    );
  }

  latestCheckpoint(): Promise<StoredCheckpoint> {
    return this.#run(() => {
      const row = this.#stmt("SELECT size, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1").get();
      if (row === undefined)
        throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: "no checkpoint is stored" });
      return row as unknown as StoredCheckpoint;
    });
  }

  checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    return this.#run(
      () =>
        this.#stmt("SELECT size, note FROM tlog_checkpoints WHERE size = ?").get(size) as StoredCheckpoint | undefined,
    );
  }

  checkpoints(): Promise<StoredCheckpoint[]> {
    return this.#run(
      () => this.#stmt("SELECT size, note FROM tlog_checkpoints ORDER BY size").all() as unknown as StoredCheckpoint[],
    );
  }

  entryStats(): Promise<EntryStats> {
    return this.#run(() => {
      const row = this.#stmt(
        "SELECT count(*) AS count, coalesce(min(idx), -1) AS minIndex, coalesce(max(idx), -1) AS maxIndex FROM tlog_entries",
      ).get();
      return row as unknown as EntryStats;
    });
  }

  readEntries(from: number, to: number): Promise<StoredEntry[]> {
    return this.#run(() =>
      (
        this.#stmt("SELECT idx, data FROM tlog_entries WHERE idx >= ? AND idx < ? ORDER BY idx").all(from, to) as {
          idx: number;
          data: Uint8Array;
        }[]
      ).map((r) => ({ index: r.idx, data: r.data })),
    );
  }

  getNodes(refs: readonly NodeRef[]): Promise<Uint8Array[]> {
    return this.#run(() => {
      const get = this.#stmt("SELECT hash FROM tlog_nodes WHERE id = ?");
      return refs.map((r) => {
        const row = get.get(nodeId(r)) as { hash: Uint8Array } | undefined;
        if (row === undefined)
          throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", {
            detail: `node (${r.level}, ${r.index}) is missing`,
          });
        return row.hash;
      });
    });
  }

  readLevel(level: number, from: number, to: number): Promise<Map<number, Uint8Array>> {
    return this.#run(() => {
      const base = level * MAX_TREE_SIZE;
      const rows = this.#stmt("SELECT id, hash FROM tlog_nodes WHERE id >= ? AND id < ?").all(
        base + from,
        base + to,
      ) as {
        id: number;
        hash: Uint8Array;
      }[];
      return new Map(rows.map((r) => [r.id - base, r.hash]));
    });
  }

  /** A deferred transaction: its first read fixes the WAL snapshot every later read in it sees. */
  async snapshot<T>(body: () => Promise<T>): Promise<T> {
    const db = this.#db;
    if (db.isTransaction) return body();
    await this.#run(() => db.exec("BEGIN"));
    try {
      return await body();
    } finally {
      if (db.isOpen && db.isTransaction) db.exec("COMMIT");
    }
  }

  close(): Promise<void> {
    return this.#run(() => {
      if (this.#db.isOpen) this.#db.close();
    });
  }

  /**
   * Inserts (key, blob) rows with multi-row INSERT statements of up to 64 rows: each statement call crosses from
   * JavaScript into SQLite once, which is most of an insert's CPU cost.
   */
  #insertRows(target: string, rows: readonly [number, Uint8Array][]): void {
    for (let at = 0; at < rows.length; at += ROWS_PER_INSERT) {
      const chunk = rows.slice(at, at + ROWS_PER_INSERT);
      const stmt = this.#stmt(`INSERT INTO ${target} VALUES ${"(?, ?), ".repeat(chunk.length - 1)}(?, ?)`);
      stmt.run(...chunk.flat());
    }
  }

  #stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /** Runs a synchronous database step as a promise, mapping SQLite failures to EW_ERR_LOG_STORAGE. */
  #run<T>(step: () => T): Promise<T> {
    try {
      return Promise.resolve(step());
    } catch (err) {
      if (err instanceof EdgewardError) return Promise.reject(err);
      return Promise.reject(new EdgewardError("EW_ERR_LOG_STORAGE", { detail: this.location, cause: err }));
    }
  }
}

/**
 * Opens a database for reading only. A WAL database needs its shared-memory file, which cannot be created on
 * read-only media; there nothing can be writing either, so it is opened as immutable (SQLite URI parameter
 * `immutable=1`), which reads the file without any locking or shared memory.
 */
function openReadOnly(path: string): DatabaseSync {
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return db;
  } catch {
    const url = pathToFileURL(resolve(path));
    url.searchParams.set("immutable", "1");
    return new DatabaseSync(url, { readOnly: true });
  }
}
