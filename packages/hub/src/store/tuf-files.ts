import { sql } from "kysely";
import type { TufFile, TufMetadataStore } from "../tuf/store.ts";
import type { HubStore } from "./hub-store.ts";

const PREFIX = "tuf/";
/** The PostgreSQL advisory lock key of the TUF writer (any constant shared by every replica). */
const TUF_LOCK_KEY = 0x45_57_54_55; // "EWTU"

/** The writer queue of each database in this process, whichever instance asks. */
const QUEUES = new Map<string, Promise<unknown>>();

/**
 * The TUF repository's metadata files in the hub's database (`hub_meta`, keys `tuf/<name>`), so every replica
 * serves the same repository. Files are UTF-8 JSON, stored as text and returned as the same bytes. The writer lock
 * is a PostgreSQL session advisory lock held on one pooled connection for the whole update (every replica waits
 * for it), plus an in-process queue per database shared by every instance (SQLite: one process owns the file).
 */
export class DatabaseTufStore implements TufMetadataStore {
  readonly #store: HubStore;

  constructor(store: HubStore) {
    this.#store = store;
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    const row = await this.#store.db
      .selectFrom("hub_meta")
      .select("value")
      .where("key", "=", PREFIX + name)
      .executeTakeFirst();
    return row === undefined ? undefined : new Uint8Array(Buffer.from(row.value, "utf8"));
  }

  async putAll(files: readonly TufFile[]): Promise<void> {
    await this.#store.db.transaction().execute(async (tx) => {
      for (const f of files) {
        const value = Buffer.from(f.bytes).toString("utf8");
        await tx
          .insertInto("hub_meta")
          .values({ key: PREFIX + f.name, value })
          .onConflict((oc) =>
            oc.column("key").doUpdateSet((eb) => ({ value, version: eb("hub_meta.version", "+", 1) })),
          )
          .execute();
      }
    });
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const key = `${this.#store.kind}:${this.#store.location}`;
    const run = (QUEUES.get(key) ?? Promise.resolve()).then(() =>
      this.#store.kind === "postgres" ? this.#withAdvisoryLock(fn) : fn(),
    );
    const tail = run.catch(() => undefined);
    QUEUES.set(key, tail);
    void tail.then(() => {
      if (QUEUES.get(key) === tail) QUEUES.delete(key);
    });
    return run;
  }

  async #withAdvisoryLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.#store.db.connection().execute(async (conn) => {
      await sql`SELECT pg_advisory_lock(${TUF_LOCK_KEY})`.execute(conn);
      try {
        return await fn();
      } finally {
        await sql`SELECT pg_advisory_unlock(${TUF_LOCK_KEY})`.execute(conn);
      }
    });
  }
}
