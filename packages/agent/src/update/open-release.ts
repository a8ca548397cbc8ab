/**
 * Opening a stored release into memory (ARCHITECTURE.md "The flows" 4 and "Restart without the hub"): its device
 * header and payload make the age file; the TPM unwraps the file key (TPM2_ECDH_ZGen under the PCR policy), and the
 * payload is read from its file in 1 MiB pieces and decrypted chunk by chunk straight into one plaintext buffer of
 * its exact size, so the ciphertext is never held whole in memory (peak: the model plus a few MiB). Only
 * authenticated chunks land in the buffer, and it is returned only after the final chunk authenticated
 * (ARCHITECTURE.md "Rules that hold everywhere": the whole file is verified before a model is loaded) and the OMS
 * signature checked. On any failure the buffer is zeroed and nothing is returned. Nothing is written.
 * After a boot change the TPM refuses the key: EW_ERR_AGENT_BOOT_CHANGED.
 */
import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import {
  checkSignedModel,
  createP256TagIdentity,
  EdgewardError,
  isEdgewardError,
  openStream,
  verifySignature,
  type ModelVerification,
  type SealedModelCheck,
  type VerifiedSignature,
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

/** c2sp.org/age §Payload: a 16-byte nonce, then 64 KiB chunks each followed by a 16-byte Poly1305 tag. */
const NONCE_SIZE = 16;
const TAG_SIZE = 16;
const ENCRYPTED_CHUNK_SIZE = 65536 + TAG_SIZE;
const READ_SIZE = 1 << 20;

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
  // The signature is checked before any decryption (DSSE protocol.md: the statement is read only once the
  // signature verified), so a forged bundle is refused without touching the TPM.
  const signature = check === undefined ? undefined : verifySignature(check);
  let payload: FileHandle;
  try {
    payload = await open(releases.paths(id).payload, "r");
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `release ${id} has no payload`, cause: err });
  }
  const identity = createP256TagIdentity(tpmKeyAgreement(tpm, record.unwrapKey));
  try {
    const size = (await payload.stat()).size;
    const opened = await decryptInto(
      openStream(sourceOf(header, payload), [identity]),
      plaintextSize(size),
      signature?.shardSize,
    );
    return { plaintext: opened.plaintext, verification: await verified(signature, opened) };
  } catch (err) {
    if (isEdgewardError(err, "EW_ERR_TPM_POLICY"))
      throw new EdgewardError("EW_ERR_AGENT_BOOT_CHANGED", { detail: `release ${id}`, cause: err });
    throw err;
  } finally {
    await payload.close();
  }
}

interface Decrypted {
  readonly plaintext: Uint8Array;
  readonly shardDigests?: Buffer[];
}

/**
 * Copies each authenticated chunk of `stream` into one regular ArrayBuffer of `size` bytes (onnxruntime-node loads
 * a model from one without a copy) and zeroes the chunk; with `shardSize`, hashes each shard while its bytes are
 * in cache, so the signature check costs no second pass. The buffer is zeroed on any failure.
 */
async function decryptInto(
  stream: AsyncIterable<Uint8Array>,
  size: number,
  shardSize: number | undefined,
): Promise<Decrypted> {
  const plaintext = new Uint8Array(new ArrayBuffer(size));
  const shardDigests: Buffer[] = [];
  let shard = shardSize === undefined ? undefined : createHash("sha256");
  let filled = 0;
  try {
    for await (const chunk of stream) {
      if (filled + chunk.length > size) throw changedWhileReading();
      plaintext.set(chunk, filled);
      if (shard !== undefined && shardSize !== undefined) {
        // Chunks are 64 KiB and shard sizes whole multiples of it, so a chunk never straddles two shards.
        shard.update(chunk);
        if ((filled + chunk.length) % shardSize === 0) {
          shardDigests.push(shard.digest());
          shard = createHash("sha256");
        }
      }
      filled += chunk.length;
      chunk.fill(0);
    }
    if (filled !== size) throw changedWhileReading();
  } catch (err) {
    plaintext.fill(0);
    throw err;
  }
  if (shard === undefined) return { plaintext };
  if (filled % (shardSize ?? 1) !== 0) shardDigests.push(shard.digest());
  return { plaintext, shardDigests };
}

/** The OMS check over the opened plaintext; on a refusal the plaintext is zeroed. */
async function verified(
  signature: VerifiedSignature | undefined,
  opened: Decrypted,
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

/** The age file as a byte source: the stored device header, then the payload file read positionally. */
async function* sourceOf(header: Uint8Array, payload: FileHandle): AsyncGenerator<Uint8Array, void, undefined> {
  yield header;
  const buffer = Buffer.allocUnsafe(READ_SIZE);
  for (let position = 0; ; ) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await payload.read(buffer, 0, READ_SIZE, position));
    } catch (err) {
      throw new EdgewardError("EW_ERR_IO", { detail: "reading a stored release payload", cause: err });
    }
    if (bytesRead === 0) return;
    position += bytesRead;
    // decryptPayload copies every piece into its own chunk buffer before the next read reuses this one.
    yield buffer.subarray(0, bytesRead);
  }
}

/**
 * The plaintext size of a payload file of `size` bytes (the inverse of age's ciphertext size). A size no valid
 * payload has gives a size the decryption then refuses with its own code (nonce, truncated).
 */
function plaintextSize(size: number): number {
  const body = size - NONCE_SIZE;
  if (body <= 0) return 0;
  return Math.max(0, body - Math.ceil(body / ENCRYPTED_CHUNK_SIZE) * TAG_SIZE);
}

function changedWhileReading(): EdgewardError {
  return new EdgewardError("EW_ERR_AGENT_STATE", { detail: "the stored payload changed while it was read" });
}
