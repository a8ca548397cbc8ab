import type { Kysely } from "kysely";

// Review entries shipped by devices (docs/guard.md "Review queue"): one row per device and entry id, naming the age
// ciphertext by its SHA-256 in the content-addressed blob store. Only types both backends share.

/** Creates `review_entries`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("review_entries")
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("entry_id", "text", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("length", "bigint", (c) => c.notNull())
    .addColumn("received_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("review_entries_pk", ["device_id", "entry_id"])
    .execute();
  await db.schema.createIndex("review_entries_received").on("review_entries").column("received_at").execute();
}
