// The device side's DeviceStore on the hub's database (store/README.md tables; node:sqlite or PostgreSQL). Spending
// a nonce, a token or an enrolment is one `UPDATE … WHERE used_at IS NULL RETURNING`, so exactly one caller on one
// replica gets it; device updates are optimistic on `version`, retried, so no replica loses another's change.
import { randomBytes } from "node:crypto";
import { PostgresAdapter, sql, type Kysely, type Selectable } from "kysely";
import { EdgewardError } from "@edgeward/core";
import { parseStoredPolicy } from "../groups/policy.ts";
import type { DevicesTable, HubDatabase } from "../store/schema.ts";
import {
  insertEnrolToken,
  issueNonce,
  issueRelaxedNonceWithin,
  spendEnrolToken,
  spendNonce,
} from "../store/single-use.ts";
import { backoff, deviceColumns, deviceFromRow, factsOf, type Facts } from "./database-rows.ts";
import { applyPatch } from "./store.ts";
import type { DevicePatch, DeviceStore, IssuedRecord } from "./store.ts";
import type {
  AttestationRecord,
  DeviceLogState,
  DeviceRecord,
  DeviceState,
  GroupPolicy,
  NonceRecord,
  PendingEnrolment,
} from "./types.ts";

const ATTEMPTS = 10;
/** Most groups whose parsed policy is kept. */
const MAX_CACHED_GROUPS = 10_000;

/** What a store remembers of the rows it read, shared with the stores of its transactions. */
interface Memory {
  /** The row each returned record came from, and the version its group had in the same read. */
  readonly rows: WeakMap<DeviceRecord, { row: Selectable<DevicesTable>; groupVersion: number | null }>;
  /** Parsed group policies by name, with the version they were read at. */
  readonly groups: Map<string, { version: number; group: GroupPolicy }>;
}

/**
 * A DeviceStore over the hub's Kysely database. A device is read with its group's version, so the group's parsed
 * policy can be reused while that version holds: any replica's change bumps it, and the next device read sees it.
 */
export class DatabaseDeviceStore implements DeviceStore {
  readonly #db: Kysely<HubDatabase>;
  readonly #memory: Memory;

  constructor(db: Kysely<HubDatabase>, memory?: Memory) {
    this.#db = db;
    this.#memory = memory ?? { rows: new WeakMap(), groups: new Map() };
  }

  async getGroup(name: string, of?: DeviceRecord): Promise<GroupPolicy | undefined> {
    const known = of === undefined || of.group !== name ? undefined : this.#memory.rows.get(of)?.groupVersion;
    const cached = this.#memory.groups.get(name);
    if (known !== undefined && known !== null && cached?.version === known) return cached.group;
    const row = await this.#db.selectFrom("groups").selectAll().where("name", "=", name).executeTakeFirst();
    if (row === undefined) return undefined;
    const group = { ...parseStoredPolicy(row.policy), name };
    if (this.#memory.groups.size >= MAX_CACHED_GROUPS) this.#memory.groups.clear();
    this.#memory.groups.set(name, { version: row.version, group });
    return group;
  }

  batch<T>(fn: (store: DeviceStore) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((trx) => fn(new DatabaseDeviceStore(trx, this.#memory)));
  }

  async putGroup(group: GroupPolicy): Promise<void> {
    const { name, ...policy } = group;
    this.#memory.groups.delete(name);
    const now = new Date().toISOString();
    await this.#db
      .insertInto("groups")
      .values({ name, policy: JSON.stringify(policy), created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.column("name").doUpdateSet((eb) => ({
          policy: JSON.stringify(policy),
          updated_at: now,
          version: eb("groups.version", "+", 1),
        })),
      )
      .execute();
  }

  async putEnrolToken(tokenDigest: string, group: string, expiresAt: string): Promise<void> {
    const id = `enr_${randomBytes(8).toString("hex")}`;
    await insertEnrolToken(this.#db, {
      id,
      hash: tokenDigest,
      group,
      createdBy: null,
      now: new Date(),
      expiresAt: new Date(expiresAt),
    });
  }

  async getEnrolToken(tokenDigest: string): Promise<{ group: string; expiresAt: string } | undefined> {
    const row = await this.#db
      .selectFrom("enrol_tokens")
      .select(["group_name", "expires_at"])
      .where("hash", "=", tokenDigest)
      .where("used_at", "is", null)
      .executeTakeFirst();
    return row === undefined ? undefined : { group: row.group_name, expiresAt: row.expires_at };
  }

  async takeEnrolToken(tokenDigest: string): Promise<{ group: string; expiresAt: string } | undefined> {
    const r = await spendEnrolToken(this.#db, tokenDigest, new Date());
    return r.status === "ok" || r.status === "expired"
      ? { group: r.row.group_name, expiresAt: r.row.expires_at }
      : undefined;
  }

  async putEnrolment(p: PendingEnrolment): Promise<void> {
    await this.#db
      .insertInto("enrolments")
      .values({
        id: p.id,
        data: JSON.stringify(p.device),
        secret_sha256: p.secretDigest,
        created_at: p.device.createdAt,
        expires_at: p.expiresAt,
        used_at: null,
      })
      .execute();
  }

  async takeEnrolment(id: string): Promise<PendingEnrolment | undefined> {
    const row = await this.#db
      .updateTable("enrolments")
      .set({ used_at: new Date().toISOString() })
      .where("id", "=", id)
      .where("used_at", "is", null)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      secretDigest: row.secret_sha256,
      expiresAt: row.expires_at,
      device: JSON.parse(row.data) as DeviceRecord,
    };
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const row = await this.#db
      .selectFrom("devices")
      .leftJoin("groups", "groups.name", "devices.group_name")
      .selectAll("devices")
      .select("groups.version as group_version")
      .where("devices.id", "=", id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const { group_version, ...device } = row;
    return this.#toRecord(device, group_version);
  }

  async findDeviceByEk(ekDigest: string): Promise<DeviceRecord | undefined> {
    const row = await this.#db
      .selectFrom("devices")
      .selectAll()
      .where("ek_sha256", "=", ekDigest)
      .where("state", "!=", "revoked")
      .executeTakeFirst();
    return row === undefined ? undefined : this.#toRecord(row);
  }

  async insertDevice(d: DeviceRecord): Promise<boolean> {
    if ((await this.findDeviceByEk(d.ekDigest)) !== undefined) return false;
    const row = await this.#db
      .insertInto("devices")
      .values({
        id: d.id,
        group_name: d.group,
        state: d.state,
        ek_sha256: d.ekDigest,
        ak_name: d.akQualifiedName,
        ak_public: d.akPublic,
        unwrap_public: null,
        recipient: d.recipient,
        facts: JSON.stringify(factsOf(d)),
        created_at: d.createdAt,
        updated_at: d.createdAt,
      })
      .onConflict((oc) => oc.doNothing())
      .returning("id")
      .executeTakeFirst();
    return row !== undefined;
  }

  async updateDevice(
    id: string,
    patch: DevicePatch,
    fromStates?: readonly DeviceState[],
    basis?: DeviceRecord,
  ): Promise<boolean> {
    // The first attempt may start from the row `basis` was read from; the update below is conditional on its version.
    let known = basis?.id === id ? this.#memory.rows.get(basis)?.row : undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const row = known ?? (await this.#db.selectFrom("devices").selectAll().where("id", "=", id).executeTakeFirst());
      const fromBasis = known !== undefined;
      known = undefined;
      if (row === undefined || (fromStates !== undefined && !fromStates.includes(row.state as DeviceState))) {
        if (fromBasis) continue; // the basis may be stale: decide on the stored row
        return false;
      }
      const current = this.#toRecord(row);
      const next = applyPatch(current, patch);
      const updated = await this.#db
        .updateTable("devices")
        .set((eb) => ({ ...deviceColumns(row, next, patch), version: eb("version", "+", 1) }))
        .where("id", "=", id)
        .where("version", "=", row.version)
        .returning("id")
        .executeTakeFirst();
      if (updated === undefined) {
        if (!fromBasis) await backoff(attempt);
        continue;
      }
      if (patch.floors !== undefined) await this.#putFloors(id, patch.floors);
      return true;
    }
    throw new EdgewardError("EW_ERR_HUB_CONFLICT", { detail: `device ${id} kept changing` });
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const rows = await this.#db.selectFrom("devices").selectAll().orderBy("id").execute();
    return rows.map((r) => this.#toRecord(r));
  }

  async putNonce(n: NonceRecord): Promise<void> {
    // Not waited for on disk: a nonce lost in a crash only makes the device ask again (store/single-use.ts).
    await issueNonce(this.#db, nonceInit(n), { durable: false });
  }

  async putNonceWithin(n: NonceRecord, limit: number, now: string): Promise<boolean> {
    if (this.#db.getExecutor().adapter instanceof PostgresAdapter)
      return issueRelaxedNonceWithin(this.#db, nonceInit(n), limit, new Date(now));
    if ((await this.countNonces(n.deviceId, now)) >= limit) return false;
    await this.putNonce(n);
    return true;
  }

  async takeNonce(nonce: string, now: string): Promise<NonceRecord | undefined> {
    const r = await spendNonce(this.#db, nonce, new Date(now));
    if (r.status !== "ok" && r.status !== "expired") return undefined;
    const data = JSON.parse(r.row.data) as { pcrs: string };
    return { nonce, deviceId: r.row.device_id, pcrs: data.pcrs, expiresAt: r.row.expires_at };
  }

  async countNonces(deviceId: string, now: string): Promise<number> {
    const row = await this.#db
      .selectFrom("nonces")
      .select(sql<number>`count(*)`.as("n"))
      .where("device_id", "=", deviceId)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async addAttestation(r: AttestationRecord): Promise<void> {
    await this.#db.insertInto("attestations").values(attestationValues(r)).execute();
  }

  async recordResult(basis: DeviceRecord, patch: DevicePatch, record: AttestationRecord): Promise<void> {
    const row = this.#memory.rows.get(basis)?.row;
    // PostgreSQL: the conditional device update and the result insert as one statement (atomic on its own), one
    // round trip instead of BEGIN, two statements and COMMIT. When the device changed since `basis` the insert
    // inserts nothing and the transaction below re-reads and retries, as always.
    if (row !== undefined && patch.floors === undefined && this.#db.getExecutor().adapter instanceof PostgresAdapter) {
      const values = attestationValues(record);
      const inserted = await this.#db
        .with("updated", (db) =>
          db
            .updateTable("devices")
            .set((eb) => ({
              ...deviceColumns(row, applyPatch(this.#toRecord(row), patch), patch),
              version: eb("version", "+", 1),
            }))
            .where("id", "=", basis.id)
            .where("version", "=", row.version)
            .returning("id"),
        )
        .insertInto("attestations")
        .columns(["id", "device_id", "created_at", "result", "reasons", "evidence"])
        .expression((eb) =>
          eb
            .selectFrom("updated")
            .select([
              sql<string>`${values.id}::text`.as("id"),
              "updated.id as device_id",
              sql<string>`${values.created_at}::text`.as("created_at"),
              sql<string>`${values.result}::text`.as("result"),
              sql<string>`${values.reasons}::text`.as("reasons"),
              sql<string>`${values.evidence}::text`.as("evidence"),
            ]),
        )
        .returning("id")
        .executeTakeFirst();
      if (inserted !== undefined) return;
    }
    await this.batch(async (store) => {
      await store.updateDevice(basis.id, patch, undefined, basis);
      await store.addAttestation(record);
    });
  }

  async listAttestations(deviceId: string, limit: number): Promise<AttestationRecord[]> {
    const rows = await this.#db
      .selectFrom("attestations")
      .selectAll()
      .where("device_id", "=", deviceId)
      .orderBy("created_at", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      deviceId,
      at: r.created_at,
      result: r.result as "pass" | "fail",
      reasons: JSON.parse(r.reasons) as AttestationRecord["reasons"],
    }));
  }

  async getDeviceLog(deviceId: string): Promise<DeviceLogState | undefined> {
    const cp = await this.#db
      .selectFrom("device_checkpoints")
      .selectAll()
      .where("device_id", "=", deviceId)
      .executeTakeFirst();
    const dev = await this.#db.selectFrom("devices").select("facts").where("id", "=", deviceId).executeTakeFirst();
    const log = dev === undefined ? undefined : (JSON.parse(dev.facts) as Facts).deviceLog;
    if (cp === undefined || log === undefined) return undefined;
    return { deviceId, logKey: log.logKey, treeSize: cp.size, rootHash: log.rootHash, checkpoint: cp.note };
  }

  async putDeviceLog(state: DeviceLogState, expectedSize: number): Promise<boolean> {
    const now = new Date().toISOString();
    const update = () =>
      this.#db
        .updateTable("device_checkpoints")
        .set((eb) => ({
          size: state.treeSize,
          note: state.checkpoint,
          updated_at: now,
          version: eb("version", "+", 1),
        }))
        .where("device_id", "=", state.deviceId)
        .where("size", "=", expectedSize)
        .returning("device_id")
        .executeTakeFirst();
    const inserted =
      expectedSize === 0
        ? await this.#db
            .insertInto("device_checkpoints")
            .values({ device_id: state.deviceId, size: state.treeSize, note: state.checkpoint, updated_at: now })
            .onConflict((oc) => oc.doNothing())
            .returning("device_id")
            .executeTakeFirst()
        : undefined;
    const row = inserted ?? (await update());
    if (row === undefined) return false;
    await this.#patchFacts(state.deviceId, { deviceLog: { logKey: state.logKey, rootHash: state.rootHash } });
    return true;
  }

  async putAuditReport(deviceId: string, at: string, report: Record<string, unknown>): Promise<void> {
    // Only the latest report per device is kept.
    await this.#db.transaction().execute(async (tx) => {
      await tx.deleteFrom("audit_reports").where("device_id", "=", deviceId).execute();
      await tx
        .insertInto("audit_reports")
        .values({
          id: `aud_${randomBytes(10).toString("hex")}`,
          device_id: deviceId,
          received_at: at,
          report: JSON.stringify(report),
        })
        .execute();
    });
  }

  async getAuditReport(deviceId: string): Promise<{ at: string; report: Record<string, unknown> } | undefined> {
    const row = await this.#db
      .selectFrom("audit_reports")
      .selectAll()
      .where("device_id", "=", deviceId)
      .orderBy("received_at", "desc")
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { at: row.received_at, report: JSON.parse(row.report) as Record<string, unknown> };
  }

  async recordCertificate(c: IssuedRecord): Promise<void> {
    await this.#db
      .insertInto("certificates")
      .values({
        serial: c.serial,
        device_id: c.deviceId,
        not_before: c.notBefore,
        not_after: c.notAfter,
        revoked_at: null,
        pem: c.pem,
      })
      .execute();
  }

  async listRevokedSerials(): Promise<Array<{ serial: string; at: string }>> {
    const rows = await this.#db
      .selectFrom("certificates")
      .innerJoin("devices", "devices.id", "certificates.device_id")
      .select(["certificates.serial as serial", "certificates.revoked_at as revokedAt", "devices.updated_at as at"])
      .where((eb) => eb.or([eb("devices.state", "=", "revoked"), eb("certificates.revoked_at", "is not", null)]))
      .execute();
    return rows.map((r) => ({ serial: r.serial, at: r.revokedAt ?? r.at }));
  }

  #toRecord(row: Selectable<DevicesTable>, groupVersion: number | null = null): DeviceRecord {
    const record = deviceFromRow(row);
    this.#memory.rows.set(record, { row, groupVersion });
    return record;
  }

  async #putFloors(deviceId: string, floors: Readonly<Record<string, string>>): Promise<void> {
    const now = new Date().toISOString();
    for (const [name, version] of Object.entries(floors))
      await this.#db
        .insertInto("device_floors")
        .values({ device_id: deviceId, name, version, updated_at: now })
        .onConflict((oc) => oc.columns(["device_id", "name"]).doUpdateSet({ version, updated_at: now }))
        .execute();
  }

  async #patchFacts(deviceId: string, extra: Partial<Facts>): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const row = await this.#db
        .selectFrom("devices")
        .select(["facts", "version"])
        .where("id", "=", deviceId)
        .executeTakeFirst();
      if (row === undefined) return;
      const updated = await this.#db
        .updateTable("devices")
        .set((eb) => ({
          facts: JSON.stringify({ ...(JSON.parse(row.facts) as Facts), ...extra }),
          version: eb("version", "+", 1),
        }))
        .where("id", "=", deviceId)
        .where("version", "=", row.version)
        .returning("id")
        .executeTakeFirst();
      if (updated !== undefined) return;
      await backoff(attempt);
    }
    throw new EdgewardError("EW_ERR_HUB_CONFLICT", { detail: `device ${deviceId} kept changing` });
  }
}

/** The attestations row of a result. */
function attestationValues(r: AttestationRecord) {
  return {
    id: `att_${randomBytes(10).toString("hex")}`,
    device_id: r.deviceId,
    created_at: r.at,
    result: r.result,
    reasons: JSON.stringify(r.reasons),
    evidence: "{}",
  };
}

/** The nonces row of an attestation nonce. */
function nonceInit(n: NonceRecord) {
  return {
    nonce: n.nonce,
    deviceId: n.deviceId,
    purpose: "attest",
    data: JSON.stringify({ pcrs: n.pcrs }),
    now: new Date(),
    expiresAt: new Date(n.expiresAt),
  };
}
