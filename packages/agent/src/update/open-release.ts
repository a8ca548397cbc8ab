/**
 * Opening a stored release into memory (ARCHITECTURE.md "The flows" 4 and "Restart without the hub"): its device
 * header and payload make the age file; the TPM unwraps the file key once (TPM2_ECDH_ZGen under the PCR policy) for
 * the model's payload and, when asked, the guard's (sealed under the same key), and each payload file is decrypted
 * straight into one plaintext buffer of its exact size (core's file engine: worker threads for a large model, peak
 * memory the model plus a few MiB). The buffer is returned only after its final chunk authenticated
 * (ARCHITECTURE.md "Rules that hold everywhere": the whole file is verified before a model is loaded) and the OMS
 * signature checked, with the shard digests taken as it was decrypted. On any failure every buffer is zeroed and
 * nothing is returned. Nothing is written. After a boot change the TPM refuses the key: EW_ERR_AGENT_BOOT_CHANGED.
 */
import { open, type FileHandle } from "node:fs/promises";
import {
  checkSignedModel,
  createP256TagIdentity,
  EdgewardError,
  isEdgewardError,
  openDetachedToMemory,
  verifySignature,
  type DetachedPayload,
  type ModelVerification,
  type OpenedPayload,
  type SealedModelCheck,
  type VerifiedSignature,
} from "@edgeward/core";
import { tpmKeyAgreement, type TpmDevice } from "@edgeward/tpm";
import type { DeviceRecord } from "../identity/device-record.ts";
import { readTamperRecord } from "../tamper/respond.ts";
import type { StateLayout } from "../state/layout.ts";
import type { ReleaseStore } from "./release-store.ts";

/** A release opened into memory: zero `plaintext` (and `guard`) once loaded. */
export interface OpenedRelease {
  readonly plaintext: Uint8Array;
  readonly verification: ModelVerification | undefined;
  /** The guard payload's plaintext (the guard bundle), when it was asked for. */
  readonly guard?: Uint8Array;
}

/** Options for {@link openStoredRelease}. */
export interface OpenReleaseOptions {
  /** The publisher signature the model must carry; none means unchecked. */
  readonly check?: SealedModelCheck;
  /** Also open the release's guard payload (under the same file key). */
  readonly guard?: boolean;
}

/**
 * Payloads at least this large are decrypted on every core; below it, worker threads cost more to start (they stop
 * when idle, and updates are rare) than they save.
 */
const PARALLEL_FROM_BYTES = 32 << 20;
/** Worker lanes stage a whole signature shard each; past this shard size the calling thread decrypts alone. */
const PARALLEL_MAX_SHARD = 16 << 20;

/** Opens release `id` from the state directory through the TPM. */
export async function openStoredRelease(
  tpm: TpmDevice,
  record: DeviceRecord,
  layout: StateLayout,
  releases: ReleaseStore,
  id: string,
  options: OpenReleaseOptions = {},
): Promise<OpenedRelease> {
  const header = await releases.header(id);
  if (header === undefined) {
    const tamper = await readTamperRecord(layout);
    if (tamper !== undefined) throw new EdgewardError("EW_ERR_AGENT_TAMPERED", { detail: `since ${tamper.at}` });
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `release ${id} has no device header` });
  }
  // The signature is checked before any decryption (DSSE protocol.md: the statement is read only once the
  // signature verified), so a forged bundle is refused without touching the TPM.
  const signature = options.check === undefined ? undefined : verifySignature(options.check);
  const handles: FileHandle[] = [];
  try {
    const payload = await openPayload(releases.paths(id).payload, `release ${id} has no payload`);
    handles.push(payload);
    const size = (await payload.stat()).size;
    const shardSize = signature?.shardSize;
    const parallel = size >= PARALLEL_FROM_BYTES && (shardSize ?? 0) <= PARALLEL_MAX_SHARD;
    const payloads: DetachedPayload[] = [
      { input: payload, ...(shardSize === undefined ? {} : { shardSize }), ...(parallel ? {} : { parallelism: 1 }) },
    ];
    if (options.guard === true) {
      const guard = await openPayload(releases.guardPayload(id), `release ${id} has no guard payload`);
      handles.push(guard);
      payloads.push({ input: guard, parallelism: 1 });
    }
    const identity = createP256TagIdentity(tpmKeyAgreement(tpm, record.unwrapKey));
    const [model, guard] = await openDetached(header, identity, payloads, id);
    if (model === undefined) throw new EdgewardError("EW_ERR_INTERNAL", { detail: "no model payload opened" });
    let verification: ModelVerification | undefined;
    try {
      verification = await verified(signature, model);
    } catch (err) {
      guard?.plaintext.fill(0);
      throw err;
    }
    return { plaintext: model.plaintext, verification, ...(guard === undefined ? {} : { guard: guard.plaintext }) };
  } finally {
    for (const h of handles) await h.close();
  }
}

async function openPayload(path: string, missing: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: missing, cause: err });
  }
}

/** The payloads opened under the header; the TPM's policy refusal is the boot change it means here. */
async function openDetached(
  header: Uint8Array,
  identity: ReturnType<typeof createP256TagIdentity>,
  payloads: readonly DetachedPayload[],
  id: string,
): Promise<OpenedPayload[]> {
  try {
    return await openDetachedToMemory(header, [identity], payloads);
  } catch (err) {
    if (isEdgewardError(err, "EW_ERR_TPM_POLICY"))
      throw new EdgewardError("EW_ERR_AGENT_BOOT_CHANGED", { detail: `release ${id}`, cause: err });
    throw err;
  }
}

/** The OMS check over the opened plaintext; on a refusal the plaintext is zeroed. */
async function verified(
  signature: VerifiedSignature | undefined,
  opened: OpenedPayload,
): Promise<ModelVerification | undefined> {
  if (signature === undefined) return undefined;
  try {
    return await checkSignedModel(signature, {
      data: opened.plaintext,
      ...(opened.shardDigests === undefined ? {} : { shardDigests: opened.shardDigests }),
    });
  } catch (err) {
    opened.plaintext.fill(0);
    throw err;
  }
}
