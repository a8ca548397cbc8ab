/**
 * Opening a stored release into memory (ARCHITECTURE.md "The flows" 4 and "Restart without the hub"): its device
 * header and payload make the age file; the TPM unwraps the file key (TPM2_ECDH_ZGen under the PCR policy), the
 * payload is decrypted and authenticated chunk by chunk into memory, and the OMS signature is checked before the
 * plaintext is returned. Nothing is written. After a boot change the TPM refuses the key: EW_ERR_AGENT_BOOT_CHANGED.
 */
import { readFile } from "node:fs/promises";
import {
  createP256TagIdentity,
  EdgewardError,
  isEdgewardError,
  openSealedModel,
  type ModelVerification,
  type SealedModelCheck,
} from "@edgeward/core";
import { tpmKeyAgreement, type TpmDevice } from "@edgeward/tpm";
import type { DeviceRecord } from "../identity/device-record.ts";
import { readTamperRecord } from "../tamper/respond.ts";
import type { StateLayout } from "../state/layout.ts";
import type { ReleaseStore } from "./release-store.ts";

/** A release opened into memory: zero `plaintext` once loaded. */
export interface OpenedRelease {
  readonly plaintext: Uint8Array;
  readonly verification: ModelVerification | undefined;
}

/** Opens release `id` from the state directory through the TPM. */
export async function openStoredRelease(
  tpm: TpmDevice,
  record: DeviceRecord,
  layout: StateLayout,
  releases: ReleaseStore,
  id: string,
  check?: SealedModelCheck,
): Promise<OpenedRelease> {
  const header = await releases.header(id);
  if (header === undefined) {
    const tamper = await readTamperRecord(layout);
    if (tamper !== undefined) throw new EdgewardError("EW_ERR_AGENT_TAMPERED", { detail: `since ${tamper.at}` });
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `release ${id} has no device header` });
  }
  let payload: Buffer;
  try {
    payload = await readFile(releases.paths(id).payload);
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `release ${id} has no payload`, cause: err });
  }
  const identity = createP256TagIdentity(tpmKeyAgreement(tpm, record.unwrapKey));
  try {
    const opened = await openSealedModel(Buffer.concat([header, payload]), [identity], check ? { check } : {});
    return { plaintext: opened.plaintext, verification: opened.verification };
  } catch (err) {
    if (isEdgewardError(err, "EW_ERR_TPM_POLICY"))
      throw new EdgewardError("EW_ERR_AGENT_BOOT_CHANGED", { detail: `release ${id}`, cause: err });
    throw err;
  }
}
