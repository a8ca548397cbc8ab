import { PostgresAdapter, sql, type Kysely, type Selectable } from "kysely";
import { relaxedDurability } from "./group-commit.ts";
import type { EnrolTokensTable, HubDatabase, NoncesTable } from "./schema.ts";

/**
 * The outcome of spending a single-use value: `ok` exactly once, for the one caller whose UPDATE … WHERE used_at
 * IS NULL changed the row; every other caller, on any replica, sees `used`. Expiry is judged after the value is
 * spent, so an expired value can never be spent later either.
 */
export type SpendResult<Row> =
  | { readonly status: "ok"; readonly row: Row }
  | { readonly status: "expired"; readonly row: Row }
  | { readonly status: "used" }
  | { readonly status: "unknown" };

/** A stored attestation nonce. */
export type NonceRow = Selectable<NoncesTable>;

/** A stored enrolment token. */
export type EnrolTokenRow = Selectable<EnrolTokensTable>;

/** What {@link issueNonce} stores. */
export interface NonceInit {
  nonce: string;
  deviceId: string;
  purpose: string;
  data: string;
  now: Date;
  expiresAt: Date;
}

/**
 * Stores a nonce for `device_id`, valid until `expires_at`. With `durable: false` the insert is not waited for on
 * disk (SQLite: it returns before the group commit, store/group-commit.ts; PostgreSQL: `synchronous_commit` off for
 * its transaction). Only for attestation nonces: one lost in a crash only makes the device ask for another, and
 * single use still holds, because spending is a durable UPDATE that any replica sees (an asynchronous commit is
 * visible at once; only its WAL flush is deferred, and the spend's flush carries it).
 */
export async function issueNonce(
  db: Kysely<HubDatabase>,
  init: NonceInit,
  options: { durable?: boolean } = {},
): Promise<void> {
  if (options.durable !== false) return insertNonce(db, init);
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // set_config(…, true) lasts for this statement's implicit transaction, and its COMMIT reads the setting.
    await sql`INSERT INTO nonces (nonce, device_id, purpose, data, created_at, expires_at, used_at)
      SELECT ${init.nonce}, ${init.deviceId}, ${init.purpose}, ${init.data}, ${init.now.toISOString()},
        ${init.expiresAt.toISOString()}, NULL
      FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed`.execute(db);
    return;
  }
  await relaxedDurability(() => insertNonce(db, init));
}

/**
 * PostgreSQL: stores a nonce as {@link issueNonce} does without durability, but only while the device has fewer than
 * `limit` unspent, unexpired nonces at `now` — the count and the insert in one statement, one round trip. True when
 * it was stored. (Like a count before an insert, two concurrent requests may both pass the count.)
 */
export async function issueRelaxedNonceWithin(
  db: Kysely<HubDatabase>,
  init: NonceInit,
  limit: number,
  now: Date,
): Promise<boolean> {
  const r = await sql<{
    nonce: string;
  }>`INSERT INTO nonces (nonce, device_id, purpose, data, created_at, expires_at, used_at)
    SELECT ${init.nonce}, ${init.deviceId}, ${init.purpose}, ${init.data}, ${init.now.toISOString()},
      ${init.expiresAt.toISOString()}, NULL
    FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
    WHERE (SELECT count(*) FROM nonces WHERE device_id = ${init.deviceId} AND used_at IS NULL
      AND expires_at > ${now.toISOString()}) < ${limit}
    RETURNING nonce`.execute(db);
  return r.rows.length === 1;
}

async function insertNonce(db: Kysely<HubDatabase>, init: NonceInit): Promise<void> {
  await db
    .insertInto("nonces")
    .values({
      nonce: init.nonce,
      device_id: init.deviceId,
      purpose: init.purpose,
      data: init.data,
      created_at: init.now.toISOString(),
      expires_at: init.expiresAt.toISOString(),
      used_at: null,
    })
    .execute();
}

/**
 * Spends a nonce: one atomic `UPDATE … SET used_at WHERE nonce = ? AND used_at IS NULL RETURNING *`. On PostgreSQL
 * a second concurrent UPDATE waits for the first's row lock and then re-checks `used_at IS NULL` (READ COMMITTED),
 * so only one transaction on one replica ever gets the row back.
 */
export async function spendNonce(db: Kysely<HubDatabase>, nonce: string, now: Date): Promise<SpendResult<NonceRow>> {
  const spent = db
    .updateTable("nonces")
    .set({ used_at: now.toISOString() })
    .where("nonce", "=", nonce)
    .where("used_at", "is", null)
    .returningAll()
    .executeTakeFirst();
  return outcome(await spent, now, () =>
    db.selectFrom("nonces").select("nonce").where("nonce", "=", nonce).executeTakeFirst(),
  );
}

/** Deletes nonces that expired before `before`; returns how many. */
export async function purgeNonces(db: Kysely<HubDatabase>, before: Date): Promise<number> {
  const r = await db.deleteFrom("nonces").where("expires_at", "<", before.toISOString()).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Stores a one-time enrolment token (by its hash) bound to a group. */
export async function insertEnrolToken(
  db: Kysely<HubDatabase>,
  init: { id: string; hash: string; group: string; createdBy: string | null; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto("enrol_tokens")
    .values({
      id: init.id,
      hash: init.hash,
      group_name: init.group,
      created_at: init.now.toISOString(),
      created_by: init.createdBy,
      expires_at: init.expiresAt.toISOString(),
      used_at: null,
    })
    .execute();
}

/** Spends an enrolment token by its hash, with the same single-use guarantee as {@link spendNonce}. */
export async function spendEnrolToken(
  db: Kysely<HubDatabase>,
  hash: string,
  now: Date,
): Promise<SpendResult<EnrolTokenRow>> {
  const spent = db
    .updateTable("enrol_tokens")
    .set({ used_at: now.toISOString() })
    .where("hash", "=", hash)
    .where("used_at", "is", null)
    .returningAll()
    .executeTakeFirst();
  return outcome(await spent, now, () =>
    db.selectFrom("enrol_tokens").select("id").where("hash", "=", hash).executeTakeFirst(),
  );
}

/** What spending found: the row we spent (fresh or expired), or why there was none to spend. */
async function outcome<Row extends { expires_at: string }>(
  row: Row | undefined,
  now: Date,
  exists: () => Promise<unknown>,
): Promise<SpendResult<Row>> {
  if (row !== undefined) return { status: row.expires_at > now.toISOString() ? "ok" : "expired", row };
  return { status: (await exists()) === undefined ? "unknown" : "used" };
}
