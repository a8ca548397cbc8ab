/**
 * Opening payloads kept apart from their header: a release's per-device header beside its ciphertext file, and a
 * second payload sealed under the same file key (seal-second-payload.ts). An age file is its header followed by its
 * payload (c2sp.org/age §Header: the header ends with its MAC line, then the payload begins), so the header opens
 * each payload as it would the file they make together. The file key is unwrapped once for all of them (one TPM
 * operation, not one per payload) and zeroed when they are open; each payload is decrypted by the file engine
 * (./stream: worker threads, one regular ArrayBuffer, the same codes as the streaming path).
 */
import type { FileHandle } from "node:fs/promises";
import { EdgewardError } from "../errors/index.ts";
import { parseHeader, type HeaderLimits } from "./header.ts";
import { decryptFileToMemory } from "./stream/index.ts";
import type { AgeIdentity } from "./types.ts";
import { unwrapHeader } from "./unwrap.ts";

/** One payload file: its whole content is the payload (nonce first). */
export interface DetachedPayload {
  readonly input: FileHandle;
  /** SHA-256 of each plaintext shard of this size is returned too (decryptFileToMemory's shardSize). */
  readonly shardSize?: number;
  /** Threads to decrypt with, the calling one included; default every core. 1 starts no worker thread. */
  readonly parallelism?: number;
}

/** An opened payload: zero `plaintext` once done with it. */
export interface OpenedPayload {
  readonly plaintext: Uint8Array;
  readonly shardDigests?: Buffer[];
}

/**
 * Opens each of `payloads` with the file key `header` (exactly one age header, MAC line last) wraps for one of
 * `identities`. Returns only when every payload authenticated to its final chunk; on any failure every plaintext
 * opened so far is zeroed and the typed code thrown: the header's (EW_ERR_AGE_HEADER_*; bytes after the MAC line are
 * EW_ERR_AGE_HEADER_MAC_LINE), EW_ERR_AGE_NO_IDENTITY, the identity's own (a TPM refusing its key), or a payload's
 * (EW_ERR_AGE_PAYLOAD_*, EW_ERR_IO).
 */
export async function openDetachedToMemory(
  header: Uint8Array,
  identities: readonly AgeIdentity[],
  payloads: readonly DetachedPayload[],
  limits?: HeaderLimits,
): Promise<OpenedPayload[]> {
  const parsed = parseHeader(header, limits);
  if (parsed.payloadOffset !== header.length)
    throw new EdgewardError("EW_ERR_AGE_HEADER_MAC_LINE", {
      detail: `${header.length - parsed.payloadOffset} bytes after the MAC line of a detached header`,
    });
  const fileKey = await unwrapHeader(parsed, identities);
  const opened: OpenedPayload[] = [];
  try {
    for (const p of payloads) {
      const result = await decryptFileToMemory(fileKey, p.input, 0, {
        shared: false,
        ...(p.shardSize === undefined ? {} : { shardSize: p.shardSize }),
        ...(p.parallelism === undefined ? {} : { parallelism: p.parallelism }),
      });
      opened.push(result);
    }
    return opened;
  } catch (err) {
    for (const o of opened) o.plaintext.fill(0);
    throw err;
  } finally {
    fileKey.fill(0);
  }
}
