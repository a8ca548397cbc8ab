import type { Kysely } from "kysely";

// A guard shipped in a model release (docs/releases.md, "A guard in a release"): the guard file's digest, the guard
// payload's length and SHA-256, and whether that payload is uploaded. All null for a release without a guard.
// One column per ALTER TABLE: SQLite adds one at a time.

/** Adds the guard columns to `releases`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const columns = [
    ["guard_config_sha256", "text"],
    ["guard_sha256", "text"],
    ["guard_length", "bigint"],
    ["guard_uploaded", "bigint"],
  ] as const;
  for (const [name, type] of columns) await db.schema.alterTable("releases").addColumn(name, type).execute();
}
