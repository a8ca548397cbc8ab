/**
 * Creating the device's keys in its TPM and opening them again (ARCHITECTURE.md "The flows" 2, "Enrol"): the AK
 * (a primary in the endorsement hierarchy), the PCR-bound unwrap key, the sealed mTLS and log keys.
 */
import { createHash } from "node:crypto";
import { EdgewardError, p256TagRecipient, type PcrSelection } from "@edgeward/core";
import type { NoteSigner } from "@edgeward/tlog";
import {
  DEFAULT_POLICY_PCRS,
  wrappedPublicPoint,
  type AttestationKey,
  type EkType,
  type TpmDevice,
} from "@edgeward/tpm";
import { readJson, writeJson } from "../state/files.ts";
import type { StateLayout } from "../state/layout.ts";
import { deviceRecordFromJson, deviceRecordToJson, type DeviceRecord } from "./device-record.ts";
import { createSealedNoteKey, createSealedP256, openSealedNoteKey, openSealedP256 } from "./sealed-keys.ts";
import type { KeyObject } from "node:crypto";

/** The log key is bound to the secure-boot PCR only, so a device that has just been tampered with can still sign. */
export const LOG_KEY_PCRS: PcrSelection = [{ bank: "sha256", pcrs: [7] }];

/** Options for {@link provisionDevice}. */
export interface ProvisionOptions {
  /** The unwrap and mTLS keys' PCR policy (default PCRs 7 and 14, sha256). */
  readonly pcrs?: PcrSelection;
  /** Which EK the hub checks (default: ECC when the TPM has an ECC EK certificate, else RSA, else ECC). */
  readonly ekType?: EkType;
}

/** Creates the device's keys and writes device.json. Refuses when the state directory already holds a device. */
export async function provisionDevice(
  tpm: TpmDevice,
  layout: StateLayout,
  options: ProvisionOptions = {},
): Promise<DeviceRecord> {
  if ((await readJson(layout.device)) !== undefined)
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `${layout.device} exists: this state is enrolled` });
  const pcrs = options.pcrs ?? DEFAULT_POLICY_PCRS;
  const ekType = options.ekType ?? (await preferredEkType(tpm));
  const ak = await tpm.createAttestationKey();
  const unwrapKey = await tpm.createDecryptionKey(pcrs);
  const mtlsKey = await createSealedP256(tpm, pcrs);
  // The origin names the device by its AK, which is unique to this TPM (c2sp.org/tlog-checkpoint §Origin).
  const logOrigin = `edgeward.device/${createHash("sha256").update(ak.public).digest("hex").slice(0, 16)}`;
  const logKey = await createSealedNoteKey(tpm, logOrigin, LOG_KEY_PCRS);
  const record: DeviceRecord = {
    ekType,
    akPublic: ak.public,
    policyPcrs: pcrs,
    unwrapKey,
    recipient: p256TagRecipient(wrappedPublicPoint(unwrapKey)),
    mtlsKey,
    logOrigin,
    logKey,
  };
  await saveDevice(layout, record);
  return record;
}

/** Reads device.json; EW_ERR_AGENT_NOT_ENROLLED when there is none. */
export async function loadDevice(layout: StateLayout): Promise<DeviceRecord> {
  const json = await readJson(layout.device);
  if (json === undefined) throw new EdgewardError("EW_ERR_AGENT_NOT_ENROLLED", { detail: layout.root });
  return deviceRecordFromJson(json);
}

/** Writes device.json. */
export function saveDevice(layout: StateLayout, record: DeviceRecord): Promise<void> {
  return writeJson(layout.device, deviceRecordToJson(record));
}

/**
 * Re-derives the AK and checks it is the one enrolled: a state directory copied to another device (a cloned disk)
 * names an AK that device's TPM cannot produce, and is refused with EW_ERR_TPM_FOREIGN_KEY.
 */
export async function attestationKey(tpm: TpmDevice, record: DeviceRecord): Promise<AttestationKey> {
  const ak = await tpm.createAttestationKey();
  if (!Buffer.from(ak.public).equals(Buffer.from(record.akPublic)))
    throw new EdgewardError("EW_ERR_TPM_FOREIGN_KEY", { detail: "the enrolled AK is not this TPM's" });
  return ak;
}

/** The keys the running agent holds in memory. */
export interface DeviceKeys {
  readonly ak: AttestationKey;
  readonly mtlsKey: KeyObject;
  readonly logSigner: NoteSigner;
}

/** Opens the device's keys (EW_ERR_TPM_FOREIGN_KEY on another TPM, EW_ERR_TPM_POLICY after a boot change). */
export async function openDeviceKeys(tpm: TpmDevice, record: DeviceRecord): Promise<DeviceKeys> {
  const ak = await attestationKey(tpm, record);
  const logSigner = await openSealedNoteKey(tpm, record.logOrigin, record.logKey);
  const mtlsKey = await openSealedP256(tpm, record.mtlsKey);
  return { ak, mtlsKey, logSigner };
}

async function preferredEkType(tpm: TpmDevice): Promise<EkType> {
  if ((await tpm.ekCertificate("ecc")) !== null) return "ecc";
  if ((await tpm.ekCertificate("rsa")) !== null) return "rsa";
  return "ecc";
}
