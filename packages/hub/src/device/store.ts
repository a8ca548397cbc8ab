// The storage the device side needs, as one interface (ARCHITECTURE.md "hub": storage behind one interface). Every
// "take" is atomic and single use across replicas: a nonce, an enrolment or a token is returned to one caller only.
import type {
  AttestationRecord,
  DeviceLogState,
  DeviceRecord,
  DeviceState,
  GroupPolicy,
  NonceRecord,
  PendingEnrolment,
} from "./types.ts";

/** An issued device certificate as stored. */
export interface IssuedRecord {
  readonly serial: string;
  readonly deviceId: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly pem: string;
}

/**
 * Fields of a device that change after enrolment; absent fields are left as they are. `floors` is merged per model
 * name into the stored floors (so two replicas raising floors of different models at once both keep theirs).
 */
export type DevicePatch = Partial<Omit<DeviceRecord, "id" | "ekDigest" | "akPublic" | "akQualifiedName" | "createdAt">>;

/** The device side's storage. */
export interface DeviceStore {
  /**
   * The group `name`. With `of`, a device this store read, the store may answer from a cache when the group's
   * version read with that device is still the cached one (a policy change bumps the version on every replica).
   */
  getGroup(name: string, of?: DeviceRecord): Promise<GroupPolicy | undefined>;
  putGroup(group: GroupPolicy): Promise<void>;

  /** Stores a one-time enrolment token by its sha256 (hex). */
  putEnrolToken(tokenDigest: string, group: string, expiresAt: string): Promise<void>;
  getEnrolToken(tokenDigest: string): Promise<{ group: string; expiresAt: string } | undefined>;
  /** Removes and returns the token's group and expiry, or undefined when unknown or already used. */
  takeEnrolToken(tokenDigest: string): Promise<{ group: string; expiresAt: string } | undefined>;

  putEnrolment(pending: PendingEnrolment): Promise<void>;
  takeEnrolment(id: string): Promise<PendingEnrolment | undefined>;

  getDevice(id: string): Promise<DeviceRecord | undefined>;
  findDeviceByEk(ekDigest: string): Promise<DeviceRecord | undefined>;
  /** Inserts a device; false when a device with the same EK digest or id exists. */
  insertDevice(device: DeviceRecord): Promise<boolean>;
  /**
   * Applies `patch`; when `fromStates` is given, only if the device's state is one of them. True when applied.
   * `basis`, the record this store last read for the device, saves the read when nothing changed it since (the
   * update is still conditional on the stored version).
   */
  updateDevice(
    id: string,
    patch: DevicePatch,
    fromStates?: readonly DeviceState[],
    basis?: DeviceRecord,
  ): Promise<boolean>;
  listDevices(): Promise<DeviceRecord[]>;

  putNonce(nonce: NonceRecord): Promise<void>;
  /** Spends the nonce (single use, on every replica) and returns it, or undefined when unknown or spent. */
  takeNonce(nonce: string, now: string): Promise<NonceRecord | undefined>;
  /**
   * Stores the nonce only while the device has fewer than `limit` outstanding nonces at `now` (the rate limit);
   * false when it has that many. PostgreSQL: one statement.
   */
  putNonceWithin(nonce: NonceRecord, limit: number, now: string): Promise<boolean>;
  /** Outstanding (unexpired, unused) nonces of a device, for rate limiting. */
  countNonces(deviceId: string, now: string): Promise<number>;

  addAttestation(record: AttestationRecord): Promise<void>;
  /**
   * A quote's outcome: `patch` applied to the device (from `basis`, as {@link updateDevice}) and `record` stored,
   * both or neither (PostgreSQL: one statement, one round trip, when nothing changed the device since `basis`).
   */
  recordResult(basis: DeviceRecord, patch: DevicePatch, record: AttestationRecord): Promise<void>;
  listAttestations(deviceId: string, limit: number): Promise<AttestationRecord[]>;

  getDeviceLog(deviceId: string): Promise<DeviceLogState | undefined>;
  /** Replaces the device log state only if the held tree size is still `expectedSize` (0 = none held). */
  putDeviceLog(state: DeviceLogState, expectedSize: number): Promise<boolean>;

  putAuditReport(deviceId: string, at: string, report: Record<string, unknown>): Promise<void>;
  getAuditReport(deviceId: string): Promise<{ at: string; report: Record<string, unknown> } | undefined>;

  /** Records an issued device certificate. */
  recordCertificate(cert: IssuedRecord): Promise<void>;
  /** Serials of certificates revoked, or issued to a device that is now revoked, for the CRL. */
  listRevokedSerials(): Promise<Array<{ serial: string; at: string }>>;

  /**
   * Runs `fn` with a store whose writes commit together, or not at all (one transaction on a database). Inside `fn`
   * use only that store: on SQLite the transaction holds the one connection, so a query through another waits forever.
   */
  batch<T>(fn: (store: DeviceStore) => Promise<T>): Promise<T>;
}

/** `device` with `patch` applied; floors merge per model name. */
export function applyPatch(device: DeviceRecord, patch: DevicePatch): DeviceRecord {
  const next: DeviceRecord = { ...device, ...patch };
  return patch.floors === undefined ? next : { ...next, floors: { ...(device.floors ?? {}), ...patch.floors } };
}
