import type { Generated } from "kysely";

// The hub's tables as Kysely sees them. Conventions (so every query runs on SQLite and PostgreSQL alike):
// timestamps are ISO 8601 UTC text from the injected clock (`Date.toISOString()`, so text order is time order);
// binary values are base64 or lowercase hex text; JSON is text; ids are random text; `version` columns count
// updates for optimistic concurrency (UPDATE … WHERE version = ?), so two replicas never lose an update.

/** Operator API tokens; only the sha256 of the secret is stored. */
export interface TokensTable {
  id: string;
  hash: string;
  role: string;
  label: string;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
}

/** One-time enrolment tokens for TPMs without EK certificates, each bound to a group. */
export interface EnrolTokensTable {
  id: string;
  hash: string;
  group_name: string;
  created_at: string;
  created_by: string | null;
  expires_at: string;
  used_at: string | null;
}

/** Device groups: each has one attestation and rollout policy (JSON, see groups/policy.ts). */
export interface GroupsTable {
  name: string;
  policy: string;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

/** Enrolled devices and what the hub knows of their TPM keys and last attestation. */
export interface DevicesTable {
  id: string;
  group_name: string;
  state: string;
  ek_sha256: string | null;
  ak_name: string | null;
  ak_public: string | null;
  unwrap_public: string | null;
  recipient: string | null;
  facts: string;
  created_at: string;
  updated_at: string;
  last_seen_at: string | null;
  last_attest_at: string | null;
  last_result: string | null;
  last_pass_at: string | null;
  next_attest_at: string | null;
  version: Generated<number>;
}

/** Enrolments between MakeCredential and ActivateCredential. */
export interface EnrolmentsTable {
  id: string;
  data: string;
  secret_sha256: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Single-use attestation nonces, shared by every replica. */
export interface NoncesTable {
  nonce: string;
  device_id: string;
  purpose: string;
  data: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Every attestation result with its reasons. */
export interface AttestationsTable {
  id: string;
  device_id: string;
  created_at: string;
  result: string;
  reasons: string;
  evidence: string;
}

/** Releases (TUF targets) and the escrow-wrapped age header of each. */
export interface ReleasesTable {
  id: string;
  kind: string;
  name: string;
  version: string;
  target_name: string;
  sha256: string;
  length: number;
  floor: string | null;
  groups: string;
  header: string | null;
  bundle_sha256: string | null;
  custom: string;
  log_index: number | null;
  created_at: string;
  created_by: string | null;
  /** The release's guard (migration 0002): null without one; guard_uploaded is 1 once its payload is in. */
  guard_config_sha256: string | null;
  guard_sha256: string | null;
  guard_length: number | null;
  guard_uploaded: number | null;
}

/** Which release keys were released to which device. */
export interface DeviceReleasesTable {
  device_id: string;
  release_id: string;
  released_at: string;
  log_index: number | null;
}

/** The version floor recorded per device and release name. */
export interface DeviceFloorsTable {
  device_id: string;
  name: string;
  version: string;
  updated_at: string;
}

/** The last device-log checkpoint the hub accepted from each device. */
export interface DeviceCheckpointsTable {
  device_id: string;
  size: number;
  note: string;
  updated_at: string;
  version: Generated<number>;
}

/** `edgeward audit` reports sent by devices. */
export interface AuditReportsTable {
  id: string;
  device_id: string;
  received_at: string;
  report: string;
}

/** Device certificates the CA issued, and their revocation. */
export interface CertificatesTable {
  serial: string;
  device_id: string;
  not_before: string;
  not_after: string;
  revoked_at: string | null;
  pem: string;
}

/** Small hub-wide values (TUF state and the like). */
export interface HubMetaTable {
  key: string;
  value: string;
  version: Generated<number>;
}

/** The whole database, for `Kysely<HubDatabase>`. */
export interface HubDatabase {
  tokens: TokensTable;
  enrol_tokens: EnrolTokensTable;
  groups: GroupsTable;
  devices: DevicesTable;
  enrolments: EnrolmentsTable;
  nonces: NoncesTable;
  attestations: AttestationsTable;
  releases: ReleasesTable;
  device_releases: DeviceReleasesTable;
  device_floors: DeviceFloorsTable;
  device_checkpoints: DeviceCheckpointsTable;
  audit_reports: AuditReportsTable;
  certificates: CertificatesTable;
  hub_meta: HubMetaTable;
}
