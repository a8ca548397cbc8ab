/**
 * Opening a release's guard into memory (docs/releases.md "A guard in a release"): the guard payload is a second
 * age payload under the release's own file key, so the one device header the hub released makes an age file with
 * it (c2sp.org/age "Payload"). The TPM unwraps the file key again, the payload is authenticated chunk by chunk into
 * memory, and the bundle is unpacked there; its plaintext is zeroed once unpacked. Nothing is written.
 */
import { readFile } from "node:fs/promises";
import { createP256TagIdentity, EdgewardError, isEdgewardError, openToMemory } from "@edgeward/core";
import { unpackGuardBundle } from "@edgeward/guard";
import { tpmKeyAgreement, type TpmDevice } from "@edgeward/tpm";
import type { DeviceRecord } from "../identity/device-record.ts";
import type { ReleaseStore } from "./release-store.ts";

/**
 * Opens release `id`'s guard payload with its device header through the TPM and unpacks the guard bundle: the
 * files, fresh buffers the caller zeroes (the guard loader does). EW_ERR_AGENT_STATE without a header or payload,
 * EW_ERR_AGE_* for a payload that does not authenticate, EW_ERR_GUARD_BUNDLE for a bundle that does not unpack,
 * EW_ERR_AGENT_BOOT_CHANGED when the TPM refuses the key.
 */
export async function openStoredGuard(
  tpm: TpmDevice,
  record: DeviceRecord,
  releases: ReleaseStore,
  id: string,
): Promise<Map<string, Uint8Array>> {
  const header = await releases.header(id);
  if (header === undefined)
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `release ${id} has no device header` });
  let payload: Buffer;
  try {
    payload = await readFile(releases.guardPayload(id));
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `release ${id} has no guard payload`, cause: err });
  }
  const identity = createP256TagIdentity(tpmKeyAgreement(tpm, record.unwrapKey));
  let plaintext: Uint8Array;
  try {
    plaintext = await openToMemory(Buffer.concat([header, payload]), [identity]);
  } catch (err) {
    if (isEdgewardError(err, "EW_ERR_TPM_POLICY"))
      throw new EdgewardError("EW_ERR_AGENT_BOOT_CHANGED", { detail: `release ${id} guard`, cause: err });
    throw err;
  }
  try {
    return unpackGuardBundle(plaintext);
  } finally {
    plaintext.fill(0);
  }
}
