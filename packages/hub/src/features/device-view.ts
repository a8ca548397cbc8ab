import type { DeviceRow } from "../store/devices.ts";

/** How late past its next attestation a trusted device may be before it shows as `timeout`. */
export const ATTEST_GRACE_MS = 30_000;

/** The JSON schema of a device on the operator API. */
export const DEVICE_SCHEMA = {
  type: "object",
  required: ["id", "group", "state", "attestation", "createdAt", "updatedAt", "version"],
  properties: {
    id: { type: "string" },
    group: { type: "string" },
    state: { type: "string", enum: ["pending", "trusted", "quarantined", "revoked"] },
    attestation: { type: "string", enum: ["none", "pass", "fail", "timeout"] },
    recipient: { type: ["string", "null"] },
    createdAt: { type: "string" },
    updatedAt: { type: "string" },
    lastSeenAt: { type: ["string", "null"] },
    lastAttestAt: { type: ["string", "null"] },
    lastPassAt: { type: ["string", "null"] },
    nextAttestAt: { type: ["string", "null"] },
    version: { type: "integer" },
  },
  additionalProperties: false,
} as const;

/**
 * A device as operators see it. `attestation` is derived when read: a device that missed its next attestation by
 * more than the grace shows `timeout`, distinct from `fail`; it comes from stored times, so it survives restarts
 * (the stale-PASS-after-restart problem Keylime users report cannot happen).
 */
export function deviceView(row: DeviceRow, now: Date): Record<string, unknown> {
  return {
    id: row.id,
    group: row.group_name,
    state: row.state,
    attestation: attestationStatus(row, now),
    recipient: row.recipient,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSeenAt: row.last_seen_at,
    lastAttestAt: row.last_attest_at,
    lastPassAt: row.last_pass_at,
    nextAttestAt: row.next_attest_at,
    version: row.version,
  };
}

/** none, pass, fail or timeout (see {@link deviceView}). */
export function attestationStatus(row: DeviceRow, now: Date): "none" | "pass" | "fail" | "timeout" {
  if (row.next_attest_at !== null && Date.parse(row.next_attest_at) + ATTEST_GRACE_MS < now.getTime()) return "timeout";
  if (row.last_result === "pass" || row.last_result === "fail") return row.last_result;
  return "none";
}
