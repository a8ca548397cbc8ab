// Mapping between the device side's DeviceRecord and the hub's `devices` row (store/README.md): the columns every
// feature reads, and the device side's own facts as JSON in `devices.facts`.
import type { Selectable } from "kysely";
import type { DevicesTable } from "../store/schema.ts";
import type { DevicePatch } from "./store.ts";
import type { DeviceRecord, DeviceState } from "./types.ts";

/** Device fields kept in `devices.facts` (JSON), beside the columns every feature reads. */
export type Facts = Pick<
  DeviceRecord,
  "unwrapPolicyDigest" | "enrolledVia" | "clock" | "bootTime" | "certSerial" | "certNotAfter" | "stateReason"
> & {
  deviceLog?: { logKey: string; rootHash: string };
  /**
   * The version floors, read with the device in one query; `device_floors` holds the same values, one row per model
   * name, for queries across devices.
   */
  floors?: Readonly<Record<string, string>>;
};

/** A device row as a DeviceRecord. */
export function deviceFromRow(row: Selectable<DevicesTable>): DeviceRecord {
  const facts = JSON.parse(row.facts) as Facts;
  const d: DeviceRecord = {
    id: row.id,
    group: row.group_name,
    state: row.state as DeviceState,
    ekDigest: row.ek_sha256 ?? "",
    akPublic: row.ak_public ?? "",
    akQualifiedName: row.ak_name ?? "",
    recipient: row.recipient ?? "",
    unwrapPolicyDigest: facts.unwrapPolicyDigest,
    enrolledVia: facts.enrolledVia,
    createdAt: row.created_at,
    ...optional({
      lastSeenAt: row.last_seen_at,
      lastPassAt: row.last_pass_at,
      lastResult: row.last_result as "pass" | "fail" | null,
      nextAttestAt: row.next_attest_at,
      clock: facts.clock,
      bootTime: facts.bootTime,
      certSerial: facts.certSerial,
      certNotAfter: facts.certNotAfter,
      stateReason: facts.stateReason,
    }),
    ...(facts.floors === undefined ? {} : { floors: facts.floors }),
  };
  return d;
}

/** The facts JSON of a device. */
export function factsOf(d: DeviceRecord): Facts {
  return {
    unwrapPolicyDigest: d.unwrapPolicyDigest,
    enrolledVia: d.enrolledVia,
    ...optional({
      clock: d.clock,
      bootTime: d.bootTime,
      certSerial: d.certSerial,
      certNotAfter: d.certNotAfter,
      stateReason: d.stateReason,
      floors: d.floors,
    }),
  };
}

/** A short random pause before retrying an optimistic update another request won, so racers spread out. */
export function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** Math.min(attempt, 6)));
}

/** Drops null and undefined fields (exactOptionalPropertyTypes). */
function optional<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], null | undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], null | undefined>;
  };
}

/** The devices columns an update from `row` to `next` (by `patch`) writes; the version is bumped beside them. */
export function deviceColumns(row: Selectable<DevicesTable>, next: DeviceRecord, patch: DevicePatch) {
  return {
    group_name: next.group,
    state: next.state,
    recipient: next.recipient,
    facts: JSON.stringify({ ...(JSON.parse(row.facts) as Facts), ...factsOf(next) }),
    last_seen_at: next.lastSeenAt ?? null,
    last_result: next.lastResult ?? null,
    last_attest_at: patch.lastResult !== undefined ? (next.lastSeenAt ?? null) : row.last_attest_at,
    last_pass_at: next.lastPassAt ?? null,
    next_attest_at: next.nextAttestAt ?? null,
    updated_at: new Date().toISOString(),
  };
}
