import { sql, type Kysely } from "kysely";

// The attestation challenge counts a device's outstanding nonces (its quota) on every request. With only the expiry
// index that count scanned every unexpired nonce of the whole fleet — at 1,000 cycles/s and a 60 s lifetime, some
// 60,000 rows per challenge. A partial index on (device_id, expires_at) over unspent nonces makes it a range of a
// few rows; spent nonces leave the index. Partial indexes exist on both backends (SQLite "Partial Indexes",
// PostgreSQL "Partial Indexes"), and the count's `used_at IS NULL` matches the index's WHERE exactly.

/** Adds the index of a device's unspent nonces. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex("nonces_device_unspent")
    .on("nonces")
    .columns(["device_id", "expires_at"])
    .where(sql.ref("used_at"), "is", null)
    .execute();
}
