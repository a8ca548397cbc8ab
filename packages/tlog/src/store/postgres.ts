import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";
import { EdgewardError, redactSecrets } from "@edgeward/core/errors";
import { MAX_TREE_SIZE, nodeId, type NodeRef } from "../merkle/math.ts";
import { parseMeta } from "./meta.ts";
import type { Batch, EntryStats, LogMeta, LogStore, StoredCheckpoint, StoredEntry } from "./types.ts";

const SCHEMA = `
CREATE TABLE tlog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tlog_entries (idx BIGINT PRIMARY KEY, data BYTEA NOT NULL);
CREATE TABLE tlog_nodes (id BIGINT PRIMARY KEY, hash BYTEA NOT NULL);
CREATE TABLE tlog_checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL);
CREATE FUNCTION tlog_commit(from_size BIGINT, e_idx BIGINT[], e_data BYTEA[], n_ids BIGINT[], n_hashes BYTEA[], cp_size BIGINT, cp_note TEXT)
RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
  head BIGINT;
BEGIN
  -- Writers queue here; readers are not blocked. The size check makes a stale writer fail instead of forking.
  LOCK TABLE tlog_checkpoints IN EXCLUSIVE MODE;
  SELECT max(size) INTO head FROM tlog_checkpoints;
  IF head IS DISTINCT FROM from_size THEN
    RAISE EXCEPTION USING ERRCODE = 'EW409', MESSAGE = format('storage is at %s, expected %s', head, from_size);
  END IF;
  INSERT INTO tlog_entries (idx, data) SELECT * FROM unnest(e_idx, e_data);
  INSERT INTO tlog_nodes (id, hash) SELECT * FROM unnest(n_ids, n_hashes);
  INSERT INTO tlog_checkpoints (size, note) VALUES (cp_size, cp_note);
END $$;
`;

/**
 * The log store on PostgreSQL, for the hub at scale. A commit is one transaction: it takes an EXCLUSIVE lock on
 * the checkpoint table (readers continue, a second writer waits), reads the head the new checkpoint is signed
 * over, and inserts entries, nodes and the checkpoint with one call of `tlog_commit` (`unnest`). It is acknowledged after COMMIT returns, which with PostgreSQL's default synchronous_commit=on
 * means the commit's WAL record is flushed to disk.
 */
export class PostgresStore implements LogStore {
  readonly location: string;
  readonly #pool: pg.Pool;
  /** The connection of the snapshot the current async context runs in, if any. */
  readonly #snapshotClient = new AsyncLocalStorage<pg.PoolClient>();

  constructor(url: string) {
    this.location = redactSecrets(url);
    this.#pool = new pg.Pool({ connectionString: url, max: 4 });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    this.#pool.on("error", () => undefined);
  }

  async create(meta: LogMeta, first: StoredCheckpoint): Promise<void> {
    await this.#tx(async (c) => {
      const exists = await c.query("SELECT to_regclass('tlog_meta') IS NOT NULL AS e");
      if ((exists.rows[0] as { e: boolean }).e) throw new EdgewardError("EW_ERR_LOG_EXISTS", { detail: this.location });
      await c.query(SCHEMA);
      await c.query("INSERT INTO tlog_meta (key, value) VALUES ('meta', $1)", [JSON.stringify(meta)]);
      await c.query("INSERT INTO tlog_checkpoints (size, note) VALUES ($1, $2)", [first.size, first.note]);
    });
  }

  async readMeta(): Promise<LogMeta> {
    const exists = await this.#query("SELECT to_regclass('tlog_meta') IS NOT NULL AS e");
    if (!(exists[0] as { e: boolean }).e) throw new EdgewardError("EW_ERR_LOG_NOT_FOUND", { detail: this.location });
    const rows = await this.#query("SELECT value FROM tlog_meta WHERE key = 'meta'");
    const row = rows[0] as { value: string } | undefined;
    if (row === undefined) throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: "metadata is missing" });
    return parseMeta(row.value);
  }

  /**
   * The EXCLUSIVE lock on the checkpoint table is taken before the head is read, so a second writer (another
   * process of the hub) waits for this transaction instead of signing over a head that is about to change.
   * The inserts are one call of `tlog_commit`, which checks the head again.
   */
  async exclusive(body: (latest: StoredCheckpoint) => Promise<Batch | undefined>): Promise<void> {
    await this.#tx(async (c) => {
      await c.query("LOCK TABLE tlog_checkpoints IN EXCLUSIVE MODE");
      const head = await c.query("SELECT size::float8 AS size, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1");
      const latest = head.rows[0] as StoredCheckpoint | undefined;
      if (latest === undefined)
        throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: "no checkpoint is stored" });
      const batch = await body(latest);
      if (batch === undefined) return;
      try {
        await c.query("SELECT tlog_commit($1, $2, $3, $4, $5, $6, $7)", [
          batch.fromSize,
          batch.entries.map((_, i) => batch.fromSize + i),
          batch.entries.map(toBuffer),
          batch.nodes.map(nodeId),
          batch.nodes.map((n) => toBuffer(n.hash)),
          batch.checkpoint.size,
          batch.checkpoint.note,
        ]);
      } catch (err) {
        if ((err as { code?: unknown }).code === "EW409")
          throw new EdgewardError("EW_ERR_LOG_CONCURRENT_WRITER", { detail: (err as Error).message, cause: err });
        throw err;
      }
    });
  }

  async latestCheckpoint(): Promise<StoredCheckpoint> {
    const rows = await this.#query(
      "SELECT size::float8 AS size, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1",
    );
    const row = rows[0] as StoredCheckpoint | undefined;
    if (row === undefined)
      throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: "no checkpoint is stored" });
    return row;
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    const rows = await this.#query("SELECT size::float8 AS size, note FROM tlog_checkpoints WHERE size = $1", [size]);
    return rows[0] as StoredCheckpoint | undefined;
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    return (await this.#query(
      "SELECT size::float8 AS size, note FROM tlog_checkpoints ORDER BY size",
    )) as StoredCheckpoint[];
  }

  async entryStats(): Promise<EntryStats> {
    const rows = await this.#query(
      'SELECT count(*)::float8 AS count, coalesce(min(idx), -1)::float8 AS "minIndex", coalesce(max(idx), -1)::float8 AS "maxIndex" FROM tlog_entries',
    );
    return rows[0] as EntryStats;
  }

  async readEntries(from: number, to: number): Promise<StoredEntry[]> {
    const rows = await this.#query(
      "SELECT idx::float8 AS idx, data FROM tlog_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
      [from, to],
    );
    return (rows as { idx: number; data: Buffer }[]).map((r) => ({ index: r.idx, data: new Uint8Array(r.data) }));
  }

  async getNodes(refs: readonly NodeRef[]): Promise<Uint8Array[]> {
    if (refs.length === 0) return [];
    const ids = refs.map(nodeId);
    const rows = (await this.#query("SELECT id::float8 AS id, hash FROM tlog_nodes WHERE id = ANY($1::bigint[])", [
      ids,
    ])) as {
      id: number;
      hash: Buffer;
    }[];
    const byId = new Map(rows.map((r) => [r.id, r.hash]));
    return refs.map((r, i) => {
      const h = byId.get(ids[i]!);
      if (h === undefined)
        throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: `node (${r.level}, ${r.index}) is missing` });
      return new Uint8Array(h);
    });
  }

  async readLevel(level: number, from: number, to: number): Promise<Map<number, Uint8Array>> {
    const base = level * MAX_TREE_SIZE;
    const rows = (await this.#query("SELECT id::float8 AS id, hash FROM tlog_nodes WHERE id >= $1 AND id < $2", [
      base + from,
      base + to,
    ])) as { id: number; hash: Buffer }[];
    return new Map(rows.map((r) => [r.id - base, new Uint8Array(r.hash)]));
  }

  /** A REPEATABLE READ, READ ONLY transaction on one connection; the store's reads inside `body` go through it. */
  async snapshot<T>(body: () => Promise<T>): Promise<T> {
    if (this.#snapshotClient.getStore() !== undefined) return body();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    } catch (err) {
      throw new EdgewardError("EW_ERR_LOG_STORAGE", { detail: this.location, cause: err });
    }
    let broken: Error | undefined;
    try {
      return await this.#snapshotClient.run(client, body);
    } finally {
      await client.query("COMMIT").catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #query(sql: string, params: unknown[] = []): Promise<unknown[]> {
    try {
      return (await (this.#snapshotClient.getStore() ?? this.#pool).query(sql, params)).rows as unknown[];
    } catch (err) {
      throw new EdgewardError("EW_ERR_LOG_STORAGE", { detail: this.location, cause: err });
    }
  }

  async #tx(body: (c: pg.PoolClient) => Promise<void>): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw new EdgewardError("EW_ERR_LOG_STORAGE", { detail: this.location, cause: err });
    }
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      await body(client);
      await client.query("COMMIT");
    } catch (err) {
      // A connection that cannot even roll back is discarded rather than returned to the pool.
      await client.query("ROLLBACK").catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
      if (err instanceof EdgewardError) throw err;
      throw new EdgewardError("EW_ERR_LOG_STORAGE", { detail: this.location, cause: err });
    } finally {
      client.release(broken);
    }
  }
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
