import { EdgewardError, parsePcrSelectionText } from "@edgeward/core";

// A group's policy as stored in groups.policy (JSON) and sent on the operator API. The device side reads it for
// enrolment, attestation and key release (device/types.ts GroupPolicy is the same shape plus the group's name).

const PCR_SELECTION = "^sha(1|256|384|512):([0-9]|1[0-9]|2[0-3])(,([0-9]|1[0-9]|2[0-3]))*$";
const HEX_DIGEST = "^[0-9a-f]{40,128}$";

/** JSON Schema of a policy; omitted fields take the defaults in {@link DEFAULT_POLICY}. */
export const POLICY_SCHEMA = {
  type: "object",
  properties: {
    autoApprove: { type: "boolean" },
    attestPcrs: { type: "string", pattern: PCR_SELECTION },
    reference: {
      type: "object",
      maxProperties: 4,
      propertyNames: { enum: ["sha1", "sha256", "sha384", "sha512"] },
      additionalProperties: {
        type: "object",
        propertyNames: { pattern: "^([0-9]|1[0-9]|2[0-3])$" },
        additionalProperties: {
          type: "array",
          maxItems: 64,
          items: { type: "string", pattern: HEX_DIGEST },
        },
      },
    },
    learn: { type: "boolean" },
    quarantineOnFail: { type: "boolean" },
    unwrapPolicy: {
      type: "object",
      required: ["pcrs", "digests"],
      properties: {
        pcrs: { type: "string", pattern: PCR_SELECTION },
        digests: { type: "array", maxItems: 64, items: { type: "string", pattern: HEX_DIGEST } },
      },
      additionalProperties: false,
    },
    minFirmware: { type: "string", pattern: "^[0-9]{1,20}$" },
    freshnessMs: { type: "integer", minimum: 1000, maximum: 86_400_000 },
    attestIntervalMs: { type: "integer", minimum: 1000, maximum: 86_400_000 },
    secureBoot: { enum: ["required", "off"] },
  },
  additionalProperties: false,
} as const;

/**
 * A group policy (stored without the group's name, which is the row's key). The device side's GroupPolicy is this
 * plus `name`.
 */
export interface Policy {
  /** New devices become trusted at activation, without an operator. */
  readonly autoApprove: boolean;
  /** The PCRs quotes must cover, tpm2-tools text form, e.g. `sha256:0,1,2,3,4,5,6,7`. */
  readonly attestPcrs: string;
  /** Allowed values per PCR: bank → PCR index → allowed lowercase hex values. */
  readonly reference: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  /** Learn mode (labelled weaker): PCRs without reference values take the first passing device's values. */
  readonly learn: boolean;
  /** A failed attestation moves the device to quarantined. */
  readonly quarantineOnFail: boolean;
  /** The unwrap key's PCR selection and allowed PolicyPCR digests (hex). */
  readonly unwrapPolicy: { readonly pcrs: string; readonly digests: readonly string[] };
  /** Lowest accepted TPM firmware version, decimal; absent = any. */
  readonly minFirmware?: string;
  /** How long a pass stays fresh for key release and certificate renewal (ms). */
  readonly freshnessMs: number;
  /** Interval between attestations (ms). */
  readonly attestIntervalMs: number;
  /**
   * `required`: every quote comes with the firmware event log, whose replayed sha256 PCR 7 must equal the quoted one
   * and which must show SecureBoot enabled (ARCHITECTURE.md promise 2). Absent or `off`: the log is not checked.
   */
  readonly secureBoot?: "required" | "off";
}

/**
 * Defaults: an operator approves each device; quotes cover the boot PCRs 0–7 (firmware, Secure Boot state in 7)
 * and the unwrap key binds 7; a pass is fresh for 10 minutes; devices attest every minute (ARCHITECTURE.md, flows).
 */
export const DEFAULT_POLICY: Policy = {
  autoApprove: false,
  attestPcrs: "sha256:0,1,2,3,4,5,6,7",
  reference: {},
  learn: false,
  quarantineOnFail: true,
  unwrapPolicy: { pcrs: "sha256:7", digests: [] },
  freshnessMs: 10 * 60_000,
  attestIntervalMs: 60_000,
};

/**
 * The policy with defaults filled in; refuses (EW_ERR_HUB_POLICY_INVALID) a freshness shorter than the interval, and
 * `secureBoot: required` without sha256 PCR 7 in the quoted selection.
 */
export function completePolicy(partial: Partial<Policy>): Policy {
  const policy = { ...DEFAULT_POLICY, ...partial };
  if (policy.freshnessMs < policy.attestIntervalMs)
    throw new EdgewardError("EW_ERR_HUB_POLICY_INVALID", {
      detail: "freshnessMs is shorter than attestIntervalMs, so a device could never hold a fresh pass",
    });
  const quotesPcr7 = parsePcrSelectionText(policy.attestPcrs).some((s) => s.bank === "sha256" && s.pcrs.includes(7));
  if (policy.secureBoot === "required" && !quotesPcr7)
    throw new EdgewardError("EW_ERR_HUB_POLICY_INVALID", {
      detail: "secureBoot: required needs sha256:7 in attestPcrs: the event log is checked against the quoted PCR 7",
    });
  return policy;
}

/** Parses a stored policy (written by this module, so a parse failure means the database was altered). */
export function parseStoredPolicy(text: string): Policy {
  try {
    return completePolicy(JSON.parse(text) as Partial<Policy>);
  } catch (err) {
    throw new EdgewardError("EW_ERR_HUB_POLICY_INVALID", { detail: "stored policy is not valid", cause: err });
  }
}
