import { DatabaseSync } from "node:sqlite";
import {
  RawNode,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type SqliteDatabase,
} from "kysely";
import { EdgewardError } from "@edgeward/core";
import { GroupCommit, isRelaxed, type GroupCommitOptions } from "./group-commit.ts";
import { adaptDatabaseSync } from "./sqlite-adapter.ts";

/** The name of the SAVEPOINT a caller's transaction runs in, inside the group's transaction. */
const TX = "ew_tx";

/**
 * Kysely on `node:sqlite` with group commit (store/group-commit.ts): writes share transactions and resolve once
 * their COMMIT is durable; a caller's `db.transaction()` is a SAVEPOINT inside the group's transaction, holding the
 * connection until it ends (so it is atomic on its own and rolls back alone). Plain SELECTs outside a transaction
 * run on a second, read-only connection, which in WAL mode sees only committed data, so they never wait for a
 * COMMIT and never see a write that might still be lost. Raw SQL (`sql\`…\``: PRAGMAs, `SELECT 1`) runs outside the
 * group's transaction, after committing it, exactly as it would without group commit.
 */
export class GroupCommitSqliteDialect implements Dialect {
  readonly #path: string;
  readonly #options: GroupCommitOptions;
  readonly #drivers: GroupCommitDriver[] = [];

  constructor(path: string, options: GroupCommitOptions = {}) {
    this.#path = path;
    this.#options = options;
  }

  /** COMMITs so far on this dialect's database (each one fsync under synchronous=FULL). */
  get commits(): number {
    return this.#drivers.reduce((n, d) => n + d.commits, 0);
  }

  /** Writes waiting for the connection, over this dialect's drivers. */
  get waiting(): number {
    return this.#drivers.reduce((n, d) => n + d.waiting, 0);
  }

  createDriver(): Driver {
    const driver = new GroupCommitDriver(this.#path, this.#options);
    this.#drivers.push(driver);
    return driver;
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new ConcurrentSqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * Kysely's SQLite adapter says one connection, which makes Kysely queue every query behind the one before — also
 * behind its wait for a COMMIT. The group commit orders statements itself, so Kysely may hand out many handles.
 */
class ConcurrentSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

class GroupCommitDriver implements Driver {
  readonly #path: string;
  readonly #options: GroupCommitOptions;
  #writer: SqliteDatabase | undefined;
  #reader: SqliteDatabase | undefined;
  #group: GroupCommit | undefined;

  constructor(path: string, options: GroupCommitOptions) {
    this.#path = path;
    this.#options = options;
  }

  get commits(): number {
    return this.#group?.commits ?? 0;
  }

  get waiting(): number {
    return this.#group?.waiting ?? 0;
  }

  init(): Promise<void> {
    try {
      const db = new DatabaseSync(this.#path);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      // The group commit retries a busy write lock itself (group-commit.ts #begin).
      db.exec("PRAGMA busy_timeout = 0");
      this.#writer = adaptDatabaseSync(db);
      this.#group = new GroupCommit(db, this.#options);
      // An in-memory database has no second connection to the same data: reads then share the writer.
      if (this.#path !== ":memory:" && this.#path !== "") {
        const reader = new DatabaseSync(this.#path, { readOnly: true });
        reader.exec("PRAGMA busy_timeout = 5000");
        this.#reader = adaptDatabaseSync(reader);
      }
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(new EdgewardError("EW_ERR_HUB_STORAGE", { detail: this.#path, cause: err }));
    }
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(new GroupCommitConnection(this.#writer!, this.#reader, this.#group!));
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as GroupCommitConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as GroupCommitConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as GroupCommitConnection).rollback();
  }

  releaseConnection(): Promise<void> {
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    await this.#group?.flush().catch(() => undefined);
    this.#reader?.close();
    this.#writer?.close();
  }
}

/** One Kysely connection handle; all handles share the writer, the reader and the group commit. */
class GroupCommitConnection implements DatabaseConnection {
  readonly #writer: SqliteDatabase;
  readonly #reader: SqliteDatabase | undefined;
  readonly #group: GroupCommit;
  /** The group transaction's durability while this handle's own transaction is open. */
  #held: Promise<void> | undefined;

  constructor(writer: SqliteDatabase, reader: SqliteDatabase | undefined, group: GroupCommit) {
    this.#writer = writer;
    this.#reader = reader;
    this.#group = group;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#held !== undefined) return run(this.#writer, query);
    const select = SelectQueryNode.is(query.query);
    if (select && this.#reader !== undefined) return run(this.#reader, query);
    if (select) {
      await this.#group.turn(this);
      const result = run<R>(this.#writer, query);
      await this.#group.pending;
      return result;
    }
    if (RawNode.is(query.query)) {
      // Outside the group's transaction: commit it first (a caller's transaction may still hold it open).
      while (this.#group.pending !== undefined) {
        await this.#group.flush();
        await this.#group.turn(this);
      }
      return run(this.#writer, query);
    }
    let written: { result: QueryResult<R>; durable: Promise<void> };
    try {
      written = await this.#group.write(this, () => run<R>(this.#writer, query));
    } catch (err) {
      // A refused statement (a constraint) may reveal rows still uncommitted: answer once they are durable.
      await this.#group.pending?.catch(() => undefined);
      throw err;
    }
    if (!isRelaxed()) await written.durable;
    return written.result;
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const result = await this.executeQuery<R>(query);
    for (const row of result.rows) yield { rows: [row] };
  }

  async begin(): Promise<void> {
    const { durable } = await this.#group.hold(this);
    try {
      this.#writer.prepare(`SAVEPOINT ${TX}`).run([]);
    } catch (err) {
      this.#group.release(this);
      throw err;
    }
    this.#held = durable;
  }

  async commit(): Promise<void> {
    const durable = this.#held;
    try {
      this.#writer.prepare(`RELEASE ${TX}`).run([]);
    } finally {
      this.#held = undefined;
      this.#group.release(this);
    }
    if (durable !== undefined && !isRelaxed()) await durable;
  }

  rollback(): Promise<void> {
    try {
      this.#writer.prepare(`ROLLBACK TO ${TX}`).run([]);
      this.#writer.prepare(`RELEASE ${TX}`).run([]);
    } catch (err) {
      // No savepoint left: a statement in it ended the whole group transaction (group-commit.ts). Nothing is left
      // to roll back, and the statement's own error is the one the caller hears.
      if (!this.#group.checkRolledBack(err)) throw err;
    } finally {
      this.#held = undefined;
      this.#group.release(this);
    }
    return Promise.resolve();
  }
}

function run<R>(db: SqliteDatabase, query: CompiledQuery): QueryResult<R> {
  const stmt = db.prepare(query.sql);
  if (stmt.reader) return { rows: stmt.all(query.parameters) as R[] };
  const { changes, lastInsertRowid } = stmt.run(query.parameters);
  return {
    ...(lastInsertRowid === undefined || lastInsertRowid === null ? {} : { insertId: BigInt(lastInsertRowid) }),
    ...(changes === undefined || changes === null ? {} : { numAffectedRows: BigInt(changes) }),
    rows: [],
  };
}
