/**
 * Sealing: a fresh file key wrapped to every recipient in a header (c2sp.org/age §File key, §Header), then the
 * payload from the STREAM engine (./stream), either as a stream or file to file on every core.
 */
import { randomBytes } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { EdgewardError } from "../errors/index.ts";
import { serializeHeader } from "./header.ts";
import { FILE_KEY_LENGTH } from "./stanza-checks.ts";
import { digestFilePayload, encryptFileToFile, encryptPayload, type ProgressCallback } from "./stream/index.ts";
import type { AgeRecipient, Stanza } from "./types.ts";
import { writeAllAt, type ByteSource } from "./source.ts";

/** Options for {@link sealFile}. */
export interface SealFileOptions {
  /** Called as plaintext is encrypted, with bytes done and the input size. */
  readonly onProgress?: ProgressCallback;
  /** Worker threads for the payload; default: every available core. */
  readonly parallelism?: number;
  /**
   * After encrypting, decrypt what was written and return the SHA-256 of each `shardSize`-byte shard of it
   * ({@link SealFileResult.shardDigests}): a signature over those digests is over exactly the bytes the sealed
   * file authenticates to, whatever happened to the input meanwhile, and the model is read only once. `output`
   * must then be open for reading too (`wx+`); `discard` is a handle on `/dev/null` (see digestFilePayload).
   */
  readonly digest?: { readonly shardSize: number; readonly discard: FileHandle };
}

/** What {@link sealFile} wrote. */
export interface SealFileResult {
  readonly headerSize: number;
  readonly payloadSize: number;
  readonly plaintextSize: number;
  /** With {@link SealFileOptions.digest}: the SHA-256 of each plaintext shard, read back from the output. */
  readonly shardDigests?: Buffer[];
}

/**
 * Draws a fresh 16-byte file key (c2sp.org/age §File key: CSPRNG, never reused) and builds the header that
 * wraps it to every recipient. The caller owns `fileKey` and zeroes it when done.
 */
export async function createHeader(
  recipients: readonly AgeRecipient[],
): Promise<{ fileKey: Uint8Array; header: Uint8Array }> {
  const fileKey = new Uint8Array(randomBytes(FILE_KEY_LENGTH));
  try {
    return { fileKey, header: serializeHeader(fileKey, await wrapToAll(fileKey, recipients)) };
  } catch (err) {
    fileKey.fill(0);
    throw err;
  }
}

/**
 * Wraps `fileKey` to each recipient. Throws EW_ERR_AGE_NO_RECIPIENTS for none and EW_ERR_AGE_RECIPIENT_MIX when
 * post-quantum and classical recipients are mixed (c2sp.org/age: "the same file SHOULD NOT be encrypted to both
 * this recipient type and to other non-quantum-resistant recipient types"; age refuses, and so do we).
 */
export async function wrapToAll(fileKey: Uint8Array, recipients: readonly AgeRecipient[]): Promise<Stanza[]> {
  if (recipients.length === 0) throw new EdgewardError("EW_ERR_AGE_NO_RECIPIENTS");
  const pq = recipients.filter(isPostQuantum).length;
  if (pq !== 0 && pq !== recipients.length) throw new EdgewardError("EW_ERR_AGE_RECIPIENT_MIX");
  const stanzas: Stanza[] = [];
  for (const recipient of recipients) stanzas.push(...(await recipient.wrapFileKey(fileKey)));
  return stanzas;
}

function isPostQuantum(recipient: AgeRecipient): boolean {
  return recipient.recipient.startsWith("age1pq1") || recipient.recipient.startsWith("age1tagpq1");
}

/**
 * Seals a plaintext stream to `recipients`: yields the header, then the payload (nonce, then 64 KiB chunks).
 * Memory stays at about two chunks whatever the input size.
 */
export async function* sealStream(
  source: ByteSource,
  recipients: readonly AgeRecipient[],
): AsyncGenerator<Uint8Array, void, undefined> {
  const { fileKey, header } = await createHeader(recipients);
  try {
    yield header;
    yield* encryptPayload(fileKey, source);
  } finally {
    fileKey.fill(0);
  }
}

/**
 * Seals the regular file `input` into `output` (at its current end, normally a fresh empty file): the header,
 * then the payload encrypted by worker threads on every core. On failure `output` may hold part of a file; the
 * caller deletes it (the CLI writes to a temporary file and renames it only on success).
 */
export async function sealFile(
  input: FileHandle,
  output: FileHandle,
  recipients: readonly AgeRecipient[],
  opts: SealFileOptions = {},
): Promise<SealFileResult> {
  const { fileKey, header } = await createHeader(recipients);
  try {
    const position = await writeAtEnd(output, header);
    const { plaintextSize, payloadSize } = await encryptFileToFile(fileKey, input, output, {
      position: position + header.length,
      ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
      ...(opts.parallelism === undefined ? {} : { parallelism: opts.parallelism }),
    });
    if (opts.digest === undefined) return { headerSize: header.length, payloadSize, plaintextSize };
    const { shardSize, discard } = opts.digest;
    const readBack = await digestFilePayload(fileKey, output, position + header.length, shardSize, discard, {
      ...(opts.parallelism === undefined ? {} : { parallelism: opts.parallelism }),
    });
    if (readBack.plaintextSize !== plaintextSize)
      throw new EdgewardError("EW_ERR_AGE_STREAM_INPUT_CHANGED", { detail: "the sealed output changed" });
    return { headerSize: header.length, payloadSize, plaintextSize, shardDigests: readBack.shardDigests };
  } finally {
    fileKey.fill(0);
  }
}

/** Writes `data` at the current end of `handle` (positionally) and returns where it started. */
async function writeAtEnd(handle: FileHandle, data: Uint8Array): Promise<number> {
  let position: number;
  try {
    position = (await handle.stat()).size;
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: "writing the age header", cause: err });
  }
  await writeAllAt(handle, data, position, "writing the age header");
  return position;
}
