import type { Kysely } from "kysely";

// Deleting a review entry (docs/hub.md "Review entries") removes its blob only when no other row names the same
// SHA-256 (content addressing shares blobs), so the reference check looks rows up by digest; retention and the
// per-device quota use the existing received_at index and primary key.

/** Indexes `review_entries` by SHA-256. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("review_entries_sha256").on("review_entries").column("sha256").execute();
}
