import { Kysely, PostgresDialect, sql, type Dialect } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { EdgewardError, redactSecrets } from "@edgeward/core";
import { MIGRATIONS } from "./migrations/index.ts";
import type { HubDatabase } from "./schema.ts";
import { GroupCommitSqliteDialect } from "./group-commit-dialect.ts";
import type { GroupCommitOptions } from "./group-commit.ts";

/**
 * Where the hub's database is: a SQLite file (the embedded default) or a PostgreSQL URL (exactly one). On SQLite,
 * `groupCommit` tunes how writes share a COMMIT (store/group-commit.ts).
 */
export type HubStoreLocation =
  | { readonly sqlite: string; readonly groupCommit?: GroupCommitOptions }
  | { readonly postgres: string };

/**
 * The hub's database behind one interface: a Kysely instance over `node:sqlite` or PostgreSQL (`pg`), migrated to
 * the current schema on open. Queries live beside the feature that owns them (store/tokens.ts, store/nonces.ts, …)
 * and take `store.db`; see store/README.md for the tables.
 */
export class HubStore {
  readonly db: Kysely<HubDatabase>;
  readonly kind: "sqlite" | "postgres";
  /** The location, without any password, for messages. */
  readonly location: string;

  readonly #dialect: Dialect;
  readonly #pool: pg.Pool | undefined;

  private constructor(
    db: Kysely<HubDatabase>,
    kind: "sqlite" | "postgres",
    location: string,
    dialect: Dialect,
    pool?: pg.Pool,
  ) {
    this.db = db;
    this.#pool = pool;
    this.kind = kind;
    this.location = location;
    this.#dialect = dialect;
  }

  /** COMMITs of the SQLite database's group commit so far (undefined on PostgreSQL), for metrics and benchmarks. */
  get commits(): number | undefined {
    return this.#dialect instanceof GroupCommitSqliteDialect ? this.#dialect.commits : undefined;
  }

  /**
   * Statements sent to PostgreSQL so far (each one round trip: BEGIN and COMMIT count), for benchmarks; undefined on
   * SQLite, which has no round trips.
   */
  get roundTrips(): number | undefined {
    return this.#pool === undefined ? undefined : (roundTrips.get(this.#pool) ?? 0);
  }

  /**
   * Database operations waiting for a connection now: PostgreSQL, queries queued for the pool; SQLite, writes
   * waiting for another request's transaction. The overload check reads it on every device request.
   */
  get pendingWrites(): number {
    if (this.#dialect instanceof GroupCommitSqliteDialect) return this.#dialect.waiting;
    return this.#pool?.waitingCount ?? 0;
  }

  /** Opens the database and runs every pending migration (safe when several replicas start at once). */
  static async open(where: HubStoreLocation): Promise<HubStore> {
    const pool = "postgres" in where ? postgresPool(where.postgres) : undefined;
    const [dialect, kind, location] =
      "postgres" in where
        ? ([new PostgresDialect({ pool: pool! }), "postgres", redactSecrets(where.postgres)] as const)
        : ([new GroupCommitSqliteDialect(where.sqlite, where.groupCommit), "sqlite", where.sqlite] as const);
    const store = new HubStore(new Kysely<HubDatabase>({ dialect }), kind, location, dialect, pool);
    try {
      await store.migrate();
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err instanceof EdgewardError
        ? err
        : new EdgewardError("EW_ERR_HUB_STORAGE", { detail: location, cause: err });
    }
    return store;
  }

  /** Brings the schema up to date; Kysely's migrator holds a lock, so concurrent replicas migrate once. */
  async migrate(): Promise<void> {
    // Kysely looks for its migration tables in every schema; name the connection's own (a PostgreSQL database may
    // hold several hubs, one per schema, chosen with search_path).
    const schema =
      this.kind === "postgres"
        ? (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(this.db)).rows[0]?.s
        : undefined;
    const migrator = new Migrator({
      db: this.db,
      provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
      ...(schema === undefined ? {} : { migrationTableSchema: schema }),
    });
    const { error } = await migrator.migrateToLatest();
    if (error !== undefined) throw new EdgewardError("EW_ERR_HUB_STORAGE", { detail: this.location, cause: error });
  }

  /** True when the database answers a trivial query (for /readyz). */
  async ping(): Promise<boolean> {
    try {
      await sql`SELECT 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function postgresPool(url: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // bigint columns (lengths, log indices) come back as numbers; every value the hub stores is below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === 20 ? Number : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client's error (a server restart) must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  countRoundTrips(pool);
  return pool;
}

const roundTrips = new WeakMap<pg.Pool, number>();

/** Counts every query a pooled client sends (Kysely's statements, BEGIN and COMMIT alike): one round trip each. */
function countRoundTrips(pool: pg.Pool): void {
  roundTrips.set(pool, 0);
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      roundTrips.set(pool, (roundTrips.get(pool) ?? 0) + 1);
      return query(...args);
    };
  });
}
