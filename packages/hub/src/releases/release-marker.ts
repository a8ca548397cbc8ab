/**
 * The releases' change marker in the shared database (docs/releases.md "Following releases"): one `hub_meta` row
 * whose version moves in the same transaction as every change to a release row (publication, rollout). A replica
 * with long polls waiting reads it (one primary-key lookup) to learn of releases another replica published, on
 * PostgreSQL and on one SQLite file alike, without a notification channel either backend would need its own of.
 */
import type { Kysely, Transaction } from "kysely";
import type { HubDatabase } from "../store/schema.ts";

/** The `hub_meta` key of the marker. */
export const RELEASE_MARKER_KEY = "releases/changes";

/** Reads the shared marker: a number that moves whenever a release row changes. */
export type ReleaseMarker = () => Promise<number>;

/**
 * Moves the marker; call it inside the transaction that changes a release, after the change, so a replica that
 * reads the moved marker also reads the change.
 */
export async function bumpReleaseMarker(db: Kysely<HubDatabase> | Transaction<HubDatabase>): Promise<void> {
  await db
    .insertInto("hub_meta")
    .values({ key: RELEASE_MARKER_KEY, value: "", version: 1 })
    .onConflict((oc) => oc.column("key").doUpdateSet((eb) => ({ version: eb("hub_meta.version", "+", 1) })))
    .execute();
}

/** The marker of the hub's database, as the release feed polls it (0 before any release changed). */
export function databaseReleaseMarker(db: Kysely<HubDatabase>): ReleaseMarker {
  return async () => {
    const row = await db
      .selectFrom("hub_meta")
      .select("version")
      .where("key", "=", RELEASE_MARKER_KEY)
      .executeTakeFirst();
    return row === undefined ? 0 : Number(row.version);
  };
}
