import type { TufFile, TufMetadataStore } from "../tuf/store.ts";
import type { HubStore } from "./hub-store.ts";
import { LOCK_KEYS, writerLock, type WriterLock } from "./writer-lock.ts";

const PREFIX = "tuf/";

/**
 * The TUF repository's metadata files in the hub's database (`hub_meta`, keys `tuf/<name>`), so every replica
 * serves the same repository. Files are UTF-8 JSON, stored as text and returned as the same bytes. The writer lock
 * is the database's TUF writer lock (store/writer-lock.ts): one writer at a time in this process and, on
 * PostgreSQL, across every replica.
 */
export class DatabaseTufStore implements TufMetadataStore {
  readonly #store: HubStore;
  readonly #lock: WriterLock;

  constructor(store: HubStore) {
    this.#store = store;
    this.#lock = writerLock(store, LOCK_KEYS.tuf);
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
    return this.#lock.run(fn);
  }
}
