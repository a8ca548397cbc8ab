// The records the device side of the hub keeps (ARCHITECTURE.md flows 2-4, 6-7). Binary values are hex in records
// so every store (memory, SQLite, PostgreSQL) keeps them as text.
import type { wire } from "@edgeward/core";
import type { AuditEvent } from "@edgeward/tlog";
import type { Policy } from "../groups/policy.ts";

/** A device state (pending → trusted → quarantined → revoked; back to trusted only by an operator). */
export type DeviceState = wire.DeviceState;

/**
 * A device group's attestation and enrolment policy (groups/policy.ts) with the group's name. Reference values are
 * an allowed set per PCR; `learn` mode records the first device's values as the reference (weaker: it trusts
 * whatever the first device reports).
 */
export interface GroupPolicy extends Policy {
  readonly name: string;
}

/** The TPM clock facts kept from the last verified quote (TPM 2.0 Part 2 §10.11.1 TPMS_CLOCK_INFO). */
export interface StoredClock {
  readonly clock: string;
  readonly resetCount: number;
  readonly restartCount: number;
  readonly safe: boolean;
}

/** An enrolled device. */
export interface DeviceRecord {
  readonly id: string;
  readonly group: string;
  readonly state: DeviceState;
  /** sha256 of the EK public area (hex): one device per EK. */
  readonly ekDigest: string;
  /** AK TPM2B_PUBLIC, hex. */
  readonly akPublic: string;
  /** AK qualified name, hex (what quotes' qualifiedSigner must equal). */
  readonly akQualifiedName: string;
  /** The unwrap key's age1tag1 recipient. */
  readonly recipient: string;
  /** The unwrap key's PolicyPCR digest, hex. */
  readonly unwrapPolicyDigest: string;
  readonly enrolledVia: "ek-certificate" | "token";
  readonly createdAt: string;
  /** Last time the device spoke to the hub (any device route). */
  readonly lastSeenAt?: string;
  /** Last passing attestation. */
  readonly lastPassAt?: string;
  /** Last attestation result: pass, fail. `timeout` is derived from nextAttestAt at read time. */
  readonly lastResult?: "pass" | "fail";
  readonly nextAttestAt?: string;
  readonly clock?: StoredClock;
  /** The boot time the device last announced. */
  readonly bootTime?: string;
  /** The highest release version the device received per release name (its version floor). */
  readonly floors?: Readonly<Record<string, string>>;
  /** Serial (hex) and expiry of the device's current certificate. */
  readonly certSerial?: string;
  readonly certNotAfter?: string;
  /** Why the device was quarantined or revoked. */
  readonly stateReason?: string;
}

/** A single-use attestation nonce. */
export interface NonceRecord {
  readonly nonce: string;
  readonly deviceId: string;
  readonly pcrs: string;
  readonly expiresAt: string;
}

/** An enrolment awaiting ActivateCredential. */
export interface PendingEnrolment {
  readonly id: string;
  /** sha256 of the secret, hex. */
  readonly secretDigest: string;
  readonly expiresAt: string;
  /** The device record created when the secret comes back. */
  readonly device: DeviceRecord;
}

/** One stored attestation result with every reason. */
export interface AttestationRecord {
  readonly deviceId: string;
  readonly at: string;
  readonly result: "pass" | "fail";
  readonly reasons: ReadonlyArray<{ readonly code: string; readonly message: string }>;
}

/** The device log state the hub holds: the last checkpoint it accepted. */
export interface DeviceLogState {
  readonly deviceId: string;
  readonly logKey: string;
  readonly treeSize: number;
  /** Root hash, hex. */
  readonly rootHash: string;
  readonly checkpoint: string;
}

/** Appends one security decision to the hub's audit log. */
export type AuditSink = (event: AuditEvent) => Promise<void>;
