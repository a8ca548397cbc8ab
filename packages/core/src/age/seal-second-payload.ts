/**
 * One header, two payloads: a release seals its model and its guard bundle under the same file key, so the one
 * header a device receives from key release opens both (docs/releases.md, "A guard in a release"). Each payload
 * draws its own random 16-byte nonce, and its payload key is HKDF-SHA-256(file key, nonce, "payload")
 * (c2sp.org/age §Payload), so the two payloads are encrypted under different keys and header + either payload is
 * an ordinary age file.
 */
import type { FileHandle } from "node:fs/promises";
import { EdgewardError } from "../errors/index.ts";
import { createHeader } from "./seal.ts";
import { writeAllAt } from "./source.ts";
import { encryptFileToFile, encryptPayload, type ProgressCallback } from "./stream/index.ts";
import type { AgeRecipient } from "./types.ts";

/** Options for {@link sealFileWithSecondPayload}. */
export interface SealSecondPayloadOptions {
  /** Called as the file's plaintext is encrypted, with bytes done and the input size. */
  readonly onProgress?: ProgressCallback;
  /** Worker threads for the file's payload; default: every available core. */
  readonly parallelism?: number;
}

/** What {@link sealFileWithSecondPayload} wrote and returned. */
export interface SealSecondPayloadResult {
  readonly headerSize: number;
  readonly payloadSize: number;
  readonly plaintextSize: number;
  /** The second payload: nonce, then STREAM chunks; no header (append it to the header to get an age file). */
  readonly secondPayload: Uint8Array;
}

/**
 * Seals the regular file `input` into `output` (header, then its payload, at the end of `output`, normally a fresh
 * empty file) as {@link sealFile} does, and seals `second` (held in memory, e.g. a guard bundle) as a second payload
 * under the same fresh file key, returned without a header. The file key is zeroed before this returns. On failure
 * `output` may hold part of a file; the caller deletes it.
 */
export async function sealFileWithSecondPayload(
  input: FileHandle,
  output: FileHandle,
  recipients: readonly AgeRecipient[],
  second: Uint8Array,
  opts: SealSecondPayloadOptions = {},
): Promise<SealSecondPayloadResult> {
  const { fileKey, header } = await createHeader(recipients);
  try {
    let start: number;
    try {
      start = (await output.stat()).size;
    } catch (err) {
      throw new EdgewardError("EW_ERR_IO", { detail: "sizing the sealed output", cause: err });
    }
    await writeAllAt(output, header, start, "writing the age header");
    const { plaintextSize, payloadSize } = await encryptFileToFile(fileKey, input, output, {
      position: start + header.length,
      ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
      ...(opts.parallelism === undefined ? {} : { parallelism: opts.parallelism }),
    });
    // c2sp.org/age §Payload: a fresh nonce for this payload (encryptPayload draws it), never the file's.
    const pieces: Uint8Array[] = [];
    for await (const piece of encryptPayload(fileKey, [second])) pieces.push(piece);
    return { headerSize: header.length, payloadSize, plaintextSize, secondPayload: Buffer.concat(pieces) };
  } finally {
    fileKey.fill(0);
  }
}
