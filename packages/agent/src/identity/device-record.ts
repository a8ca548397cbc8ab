/**
 * device.json: what enrolment leaves in the state directory (docs/agent.md "State directory"). Public parts in the
 * clear, private parts only as TPM-wrapped or TPM-sealed blobs.
 */
import { EdgewardError, formatPcrSelection, parsePcrSelectionText, type PcrSelection } from "@edgeward/core";
import type { EkType, WrappedObject } from "@edgeward/tpm";
import type { SealedNoteKey, SealedP256 } from "./sealed-keys.ts";
import { b64, unb64, wrappedFromJson, wrappedToJson } from "./wrapped-json.ts";

/** The enrolled (or provisioned, not yet enrolled) device. */
export interface DeviceRecord {
  /** Set once the hub activated the enrolment. */
  readonly deviceId?: string;
  /** The hub's base URL, set at enrolment. */
  readonly hubUrl?: string;
  readonly ekType: EkType;
  /** The AK's TPM2B_PUBLIC: the AK is re-derived from the endorsement seed and checked against it. */
  readonly akPublic: Uint8Array;
  /** The PCR policy the unwrap and mTLS keys are bound to. */
  readonly policyPcrs: PcrSelection;
  readonly unwrapKey: WrappedObject;
  /** The unwrap key's `age1tag1…` recipient. */
  readonly recipient: string;
  readonly mtlsKey: SealedP256;
  /** The device log's origin line (c2sp.org/tlog-checkpoint). */
  readonly logOrigin: string;
  readonly logKey: SealedNoteKey;
}

/** device.json's JSON form. */
export function deviceRecordToJson(r: DeviceRecord): unknown {
  return {
    format: "edgeward-agent-device/v1",
    ...(r.deviceId === undefined ? {} : { deviceId: r.deviceId }),
    ...(r.hubUrl === undefined ? {} : { hubUrl: r.hubUrl }),
    ekType: r.ekType,
    akPublic: b64(r.akPublic),
    policyPcrs: formatPcrSelection(r.policyPcrs),
    unwrapKey: wrappedToJson(r.unwrapKey),
    recipient: r.recipient,
    mtlsKey: { sealed: wrappedToJson(r.mtlsKey.sealed), spki: b64(r.mtlsKey.spki) },
    logOrigin: r.logOrigin,
    logKey: { sealed: wrappedToJson(r.logKey.sealed), vkey: r.logKey.vkey },
  };
}

/** Parses device.json; EW_ERR_AGENT_STATE when anything is missing or malformed. */
export function deviceRecordFromJson(value: unknown): DeviceRecord {
  const v = obj(value, "device.json");
  if (v["format"] !== "edgeward-agent-device/v1") throw bad("device.json format");
  const ekType = v["ekType"];
  if (ekType !== "rsa" && ekType !== "ecc") throw bad("ekType");
  const mtls = obj(v["mtlsKey"], "mtlsKey");
  const log = obj(v["logKey"], "logKey");
  const deviceId = optStr(v["deviceId"], "deviceId");
  const hubUrl = optStr(v["hubUrl"], "hubUrl");
  let policyPcrs: PcrSelection;
  try {
    policyPcrs = parsePcrSelectionText(str(v["policyPcrs"], "policyPcrs"));
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: "policyPcrs", cause: err });
  }
  return {
    ...(deviceId === undefined ? {} : { deviceId }),
    ...(hubUrl === undefined ? {} : { hubUrl }),
    ekType,
    akPublic: unb64(v["akPublic"], "akPublic"),
    policyPcrs,
    unwrapKey: wrappedFromJson(v["unwrapKey"], "unwrapKey"),
    recipient: str(v["recipient"], "recipient"),
    mtlsKey: { sealed: wrappedFromJson(mtls["sealed"], "mtlsKey"), spki: unb64(mtls["spki"], "mtlsKey.spki") },
    logOrigin: str(v["logOrigin"], "logOrigin"),
    logKey: { sealed: wrappedFromJson(log["sealed"], "logKey"), vkey: str(log["vkey"], "logKey.vkey") },
  };
}

function obj(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(what);
  return value as Record<string, unknown>;
}

function str(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0) throw bad(what);
  return value;
}

function optStr(value: unknown, what: string): string | undefined {
  return value === undefined ? undefined : str(value, what);
}

function bad(what: string): EdgewardError {
  return new EdgewardError("EW_ERR_AGENT_STATE", { detail: `${what} is missing or malformed` });
}
