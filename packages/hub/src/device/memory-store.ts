// An in-process DeviceStore: the store of a single-replica hub without a database and of unit tests. Atomicity of
// the "take" operations comes from the single JavaScript thread (no await between read and delete).
import { applyPatch, type DevicePatch, type DeviceStore, type IssuedRecord } from "./store.ts";
import type {
  AttestationRecord,
  DeviceLogState,
  DeviceRecord,
  DeviceState,
  GroupPolicy,
  NonceRecord,
  PendingEnrolment,
} from "./types.ts";

/** A DeviceStore in memory. */
export class MemoryDeviceStore implements DeviceStore {
  readonly #groups = new Map<string, GroupPolicy>();
  readonly #tokens = new Map<string, { group: string; expiresAt: string }>();
  readonly #enrolments = new Map<string, PendingEnrolment>();
  readonly #devices = new Map<string, DeviceRecord>();
  readonly #nonces = new Map<string, NonceRecord>();
  readonly #attestations = new Map<string, AttestationRecord[]>();
  readonly #logs = new Map<string, DeviceLogState>();
  readonly #reports = new Map<string, { at: string; report: Record<string, unknown> }>();
  readonly #certs: IssuedRecord[] = [];

  getGroup(name: string): Promise<GroupPolicy | undefined> {
    return Promise.resolve(this.#groups.get(name));
  }
  putGroup(group: GroupPolicy): Promise<void> {
    this.#groups.set(group.name, group);
    return Promise.resolve();
  }
  putEnrolToken(tokenDigest: string, group: string, expiresAt: string): Promise<void> {
    this.#tokens.set(tokenDigest, { group, expiresAt });
    return Promise.resolve();
  }
  getEnrolToken(tokenDigest: string): Promise<{ group: string; expiresAt: string } | undefined> {
    return Promise.resolve(this.#tokens.get(tokenDigest));
  }
  takeEnrolToken(tokenDigest: string): Promise<{ group: string; expiresAt: string } | undefined> {
    return Promise.resolve(take(this.#tokens, tokenDigest));
  }
  putEnrolment(pending: PendingEnrolment): Promise<void> {
    this.#enrolments.set(pending.id, pending);
    return Promise.resolve();
  }
  takeEnrolment(id: string): Promise<PendingEnrolment | undefined> {
    return Promise.resolve(take(this.#enrolments, id));
  }
  getDevice(id: string): Promise<DeviceRecord | undefined> {
    return Promise.resolve(this.#devices.get(id));
  }
  findDeviceByEk(ekDigest: string): Promise<DeviceRecord | undefined> {
    return Promise.resolve([...this.#devices.values()].find((d) => d.ekDigest === ekDigest && d.state !== "revoked"));
  }
  insertDevice(device: DeviceRecord): Promise<boolean> {
    const sameEk = (d: DeviceRecord) => d.ekDigest === device.ekDigest && d.state !== "revoked";
    if (this.#devices.has(device.id) || [...this.#devices.values()].some(sameEk)) return Promise.resolve(false);
    this.#devices.set(device.id, device);
    return Promise.resolve(true);
  }
  updateDevice(id: string, patch: DevicePatch, fromStates?: readonly DeviceState[]): Promise<boolean> {
    const d = this.#devices.get(id);
    if (d === undefined || (fromStates !== undefined && !fromStates.includes(d.state))) return Promise.resolve(false);
    this.#devices.set(id, applyPatch(d, patch));
    return Promise.resolve(true);
  }
  listDevices(): Promise<DeviceRecord[]> {
    return Promise.resolve([...this.#devices.values()]);
  }
  putNonce(nonce: NonceRecord): Promise<void> {
    this.#nonces.set(nonce.nonce, nonce);
    return Promise.resolve();
  }
  takeNonce(nonce: string, _now: string): Promise<NonceRecord | undefined> {
    return Promise.resolve(take(this.#nonces, nonce));
  }
  countNonces(deviceId: string, now: string): Promise<number> {
    let n = 0;
    for (const r of this.#nonces.values()) {
      if (r.expiresAt <= now) this.#nonces.delete(r.nonce);
      else if (r.deviceId === deviceId) n++;
    }
    return Promise.resolve(n);
  }
  addAttestation(record: AttestationRecord): Promise<void> {
    const list = this.#attestations.get(record.deviceId) ?? [];
    list.push(record);
    this.#attestations.set(record.deviceId, list);
    return Promise.resolve();
  }
  listAttestations(deviceId: string, limit: number): Promise<AttestationRecord[]> {
    return Promise.resolve((this.#attestations.get(deviceId) ?? []).slice(-limit).reverse());
  }
  getDeviceLog(deviceId: string): Promise<DeviceLogState | undefined> {
    return Promise.resolve(this.#logs.get(deviceId));
  }
  putDeviceLog(state: DeviceLogState, expectedSize: number): Promise<boolean> {
    if ((this.#logs.get(state.deviceId)?.treeSize ?? 0) !== expectedSize) return Promise.resolve(false);
    this.#logs.set(state.deviceId, state);
    return Promise.resolve(true);
  }
  putAuditReport(deviceId: string, at: string, report: Record<string, unknown>): Promise<void> {
    this.#reports.set(deviceId, { at, report });
    return Promise.resolve();
  }
  getAuditReport(deviceId: string): Promise<{ at: string; report: Record<string, unknown> } | undefined> {
    return Promise.resolve(this.#reports.get(deviceId));
  }
  recordCertificate(cert: IssuedRecord): Promise<void> {
    this.#certs.push(cert);
    return Promise.resolve();
  }
  listRevokedSerials(): Promise<Array<{ serial: string; at: string }>> {
    const revoked = this.#certs.filter((c) => this.#devices.get(c.deviceId)?.state === "revoked");
    return Promise.resolve(revoked.map((c) => ({ serial: c.serial, at: c.notBefore })));
  }
  async putNonceWithin(nonce: NonceRecord, limit: number, now: string): Promise<boolean> {
    if ((await this.countNonces(nonce.deviceId, now)) >= limit) return false;
    await this.putNonce(nonce);
    return true;
  }
  async recordResult(basis: DeviceRecord, patch: DevicePatch, record: AttestationRecord): Promise<void> {
    await this.updateDevice(basis.id, patch);
    await this.addAttestation(record);
  }
  /** One process, no concurrent writer between awaits of one request: writes apply as they come. */
  batch<T>(fn: (store: DeviceStore) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

function take<K, V>(map: Map<K, V>, key: K): V | undefined {
  const v = map.get(key);
  map.delete(key);
  return v;
}
