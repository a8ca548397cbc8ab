import type { Kysely, Selectable } from "kysely";
import { EdgewardError } from "@edgeward/core";
import type { GroupsTable, HubDatabase } from "./schema.ts";

/** A stored group; `policy` is JSON text (groups/policy.ts parses it). */
export type GroupRow = Selectable<GroupsTable>;

/** Creates a group, or EW_ERR_HUB_GROUP_EXISTS. */
export async function createGroup(
  db: Kysely<HubDatabase>,
  init: { name: string; policy: string; now: Date },
): Promise<GroupRow> {
  const row = await db
    .insertInto("groups")
    .values({
      name: init.name,
      policy: init.policy,
      created_at: init.now.toISOString(),
      updated_at: init.now.toISOString(),
    })
    .onConflict((oc) => oc.column("name").doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw new EdgewardError("EW_ERR_HUB_GROUP_EXISTS", { detail: init.name });
  return row;
}

/** The group `name`, or EW_ERR_HUB_GROUP_NOT_FOUND. */
export async function getGroup(db: Kysely<HubDatabase>, name: string): Promise<GroupRow> {
  const row = await db.selectFrom("groups").selectAll().where("name", "=", name).executeTakeFirst();
  if (row === undefined) throw new EdgewardError("EW_ERR_HUB_GROUP_NOT_FOUND", { detail: name });
  return row;
}

/** Every group, by name. */
export async function listGroups(db: Kysely<HubDatabase>): Promise<GroupRow[]> {
  return db.selectFrom("groups").selectAll().orderBy("name").execute();
}

/**
 * Replaces a group's policy. With `version`, only if the group still has it (else EW_ERR_HUB_CONFLICT), so an
 * operator's edit based on a stale read does not overwrite a newer one.
 */
export async function setGroupPolicy(
  db: Kysely<HubDatabase>,
  name: string,
  policy: string,
  now: Date,
  version?: number,
): Promise<GroupRow> {
  let q = db
    .updateTable("groups")
    .set((eb) => ({ policy, updated_at: now.toISOString(), version: eb("version", "+", 1) }))
    .where("name", "=", name);
  if (version !== undefined) q = q.where("version", "=", version);
  const row = await q.returningAll().executeTakeFirst();
  if (row !== undefined) return row;
  await getGroup(db, name);
  throw new EdgewardError("EW_ERR_HUB_CONFLICT", { detail: `group ${name} changed meanwhile` });
}
