import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import { EdgewardError } from "@edgeward/core";
import type { DevicesTable, HubDatabase } from "./schema.ts";

/** Device states (ARCHITECTURE.md, flows: Enrol): pending → trusted → quarantined → revoked. */
export const DEVICE_STATES = ["pending", "trusted", "quarantined", "revoked"] as const;

/** One device state. */
export type DeviceState = (typeof DEVICE_STATES)[number];

/** A stored device. */
export type DeviceRow = Selectable<DevicesTable>;

/** The columns a caller may change; `version` and `updated_at` are set by {@link updateDevice}. */
export type DevicePatch = Omit<Updateable<DevicesTable>, "id" | "version" | "updated_at" | "created_at">;

/** Inserts a new device (enrolment writes this). */
export async function insertDevice(db: Kysely<HubDatabase>, row: Insertable<DevicesTable>): Promise<void> {
  await db.insertInto("devices").values(row).execute();
}

/** The device with `id`, or EW_ERR_HUB_DEVICE_NOT_FOUND. */
export async function getDevice(db: Kysely<HubDatabase>, id: string): Promise<DeviceRow> {
  const row = await db.selectFrom("devices").selectAll().where("id", "=", id).executeTakeFirst();
  if (row === undefined) throw new EdgewardError("EW_ERR_HUB_DEVICE_NOT_FOUND", { detail: id });
  return row;
}

/** Devices, optionally of one group or state, ordered by id; `after` and `limit` page through them. */
export async function listDevices(
  db: Kysely<HubDatabase>,
  filter: { group?: string | undefined; state?: DeviceState | undefined; after?: string | undefined; limit: number },
): Promise<DeviceRow[]> {
  let q = db.selectFrom("devices").selectAll();
  if (filter.group !== undefined) q = q.where("group_name", "=", filter.group);
  if (filter.state !== undefined) q = q.where("state", "=", filter.state);
  if (filter.after !== undefined) q = q.where("id", ">", filter.after);
  return q.orderBy("id").limit(filter.limit).execute();
}

/**
 * Applies `patch` to the device only if it still has `version` (optimistic concurrency): the UPDATE matches no row
 * when another request, on any replica, changed the device in between, and the caller gets EW_ERR_HUB_CONFLICT
 * instead of silently overwriting that change. Returns the updated row.
 */
export async function updateDevice(
  db: Kysely<HubDatabase>,
  id: string,
  version: number,
  patch: DevicePatch,
  now: Date,
): Promise<DeviceRow> {
  const row = await db
    .updateTable("devices")
    .set((eb) => ({ ...patch, updated_at: now.toISOString(), version: eb("version", "+", 1) }))
    .where("id", "=", id)
    .where("version", "=", version)
    .returningAll()
    .executeTakeFirst();
  if (row !== undefined) return row;
  await getDevice(db, id);
  throw new EdgewardError("EW_ERR_HUB_CONFLICT", { detail: `device ${id} changed meanwhile` });
}
