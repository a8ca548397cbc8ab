import { sql, type Kysely } from "kysely";

// The first schema: every table of schema.ts. Written with Kysely's schema builder and only types both backends
// share (text, integer, bigint), so the same migration runs on SQLite and PostgreSQL.

/** Creates the hub's tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema;
  const zero = sql`0`;
  await s
    .createTable("tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("hash", "text", (c) => c.notNull().unique())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("label", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text")
    .addColumn("revoked_at", "text")
    .execute();
  await s
    .createTable("enrol_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("hash", "text", (c) => c.notNull().unique())
    .addColumn("group_name", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text")
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .execute();
  await s
    .createTable("groups")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("policy", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(zero))
    .execute();
  await s
    .createTable("devices")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("group_name", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("ek_sha256", "text")
    .addColumn("ak_name", "text", (c) => c.unique())
    .addColumn("ak_public", "text")
    .addColumn("unwrap_public", "text")
    .addColumn("recipient", "text")
    .addColumn("facts", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("last_seen_at", "text")
    .addColumn("last_attest_at", "text")
    .addColumn("last_result", "text")
    .addColumn("last_pass_at", "text")
    .addColumn("next_attest_at", "text")
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(zero))
    .execute();
  await s.createIndex("devices_group").on("devices").column("group_name").execute();
  await s.createIndex("devices_ek").on("devices").column("ek_sha256").execute();
  await s
    .createTable("enrolments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("data", "text", (c) => c.notNull())
    .addColumn("secret_sha256", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .execute();
  await s
    .createTable("nonces")
    .addColumn("nonce", "text", (c) => c.primaryKey())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .execute();
  await s.createIndex("nonces_expiry").on("nonces").column("expires_at").execute();
  await s
    .createTable("attestations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("result", "text", (c) => c.notNull())
    .addColumn("reasons", "text", (c) => c.notNull())
    .addColumn("evidence", "text", (c) => c.notNull())
    .execute();
  await s.createIndex("attestations_device").on("attestations").columns(["device_id", "created_at"]).execute();
  await s
    .createTable("releases")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("target_name", "text", (c) => c.notNull().unique())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("length", "bigint", (c) => c.notNull())
    .addColumn("floor", "text")
    .addColumn("groups", "text", (c) => c.notNull())
    .addColumn("header", "text")
    .addColumn("bundle_sha256", "text")
    .addColumn("custom", "text", (c) => c.notNull())
    .addColumn("log_index", "bigint")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text")
    .addUniqueConstraint("releases_name_version", ["name", "version"])
    .execute();
  await s
    .createTable("device_releases")
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("release_id", "text", (c) => c.notNull())
    .addColumn("released_at", "text", (c) => c.notNull())
    .addColumn("log_index", "bigint")
    .addPrimaryKeyConstraint("device_releases_pk", ["device_id", "release_id"])
    .execute();
  await s
    .createTable("device_floors")
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("device_floors_pk", ["device_id", "name"])
    .execute();
  await s
    .createTable("device_checkpoints")
    .addColumn("device_id", "text", (c) => c.primaryKey())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addColumn("note", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(zero))
    .execute();
  await s
    .createTable("audit_reports")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("received_at", "text", (c) => c.notNull())
    .addColumn("report", "text", (c) => c.notNull())
    .execute();
  await s
    .createTable("certificates")
    .addColumn("serial", "text", (c) => c.primaryKey())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("not_before", "text", (c) => c.notNull())
    .addColumn("not_after", "text", (c) => c.notNull())
    .addColumn("revoked_at", "text")
    .addColumn("pem", "text", (c) => c.notNull())
    .execute();
  await s.createIndex("certificates_device").on("certificates").column("device_id").execute();
  await s
    .createTable("hub_meta")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(zero))
    .execute();
}
