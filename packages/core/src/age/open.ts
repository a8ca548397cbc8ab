/**
 * Opening: read the header, unwrap the file key with the identities, verify the header MAC, then decrypt the
 * payload with the STREAM engine (./stream), emitting only authenticated plaintext (ARCHITECTURE.md, "Rules
 * that hold everywhere"). Armored input (c2sp.org/age §ASCII armor) is recognised and dearmored strictly.
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { EdgewardError } from "../errors/index.ts";
import { ARMOR_PROBE, dearmor, dearmorBytes, looksArmored } from "./armor.ts";
import { parseHeader, type HeaderLimits } from "./header.ts";
import { peekArmor, readHeaderFromHandle, readHeaderFromStream } from "./header-reader.ts";
import { handleChunks, readPrefix, type ByteSource } from "./source.ts";
import {
  CHUNK_SIZE,
  decryptFileToHandle,
  decryptFileToMemory,
  decryptPayload,
  type ProgressCallback,
} from "./stream/index.ts";
import type { AgeIdentity } from "./types.ts";
import { unwrapHeader } from "./unwrap.ts";

/** Options shared by the open functions. */
export interface OpenOptions {
  /** Caps on the header (defaults: 1 MiB, 1024 stanzas). */
  readonly limits?: HeaderLimits;
}

/**
 * Opens an age file stream: yields the plaintext chunk by chunk, each only after its tag verified. The payload
 * is known to be complete only when the iteration ends without throwing: a consumer must discard what it got
 * if it throws (EW_ERR_AGE_HEADER_*, EW_ERR_AGE_NO_IDENTITY, EW_ERR_AGE_ARMOR, EW_ERR_AGE_PAYLOAD_*).
 */
export async function* openStream(
  source: ByteSource,
  identities: readonly AgeIdentity[],
  opts: OpenOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const peeked = await peekArmor(source);
  const binary = peeked.armored ? dearmor(peeked.source) : peeked.source;
  const { header, payload } = await readHeaderFromStream(binary, opts.limits);
  let fileKey: Uint8Array;
  try {
    fileKey = await unwrapHeader(header, identities);
  } catch (err) {
    await payload.return();
    throw err;
  }
  try {
    yield* decryptPayload(fileKey, payload);
  } finally {
    fileKey.fill(0);
  }
}

/** Options for {@link openToFile}. */
export interface OpenToFileOptions extends OpenOptions {
  /** Called as chunks authenticate, with plaintext bytes done and the plaintext size. */
  readonly onProgress?: ProgressCallback;
}

/**
 * Opens the age file `input` into `output` (at its current end). Chunks land before the whole payload is
 * authenticated, so trust the output only once this resolves; on failure the output is truncated back (no
 * plaintext left in it) and the typed code thrown.
 */
export async function openToFile(
  input: FileHandle,
  output: FileHandle,
  identities: readonly AgeIdentity[],
  opts: OpenToFileOptions = {},
): Promise<{ plaintextSize: number }> {
  if (looksArmored(await readPrefix(input, ARMOR_PROBE)) === true) {
    return streamToHandle(openStream(handleChunks(input), identities, opts), output);
  }
  const header = await readHeaderFromHandle(input, opts.limits);
  const fileKey = await unwrapHeader(header, identities);
  try {
    return await decryptFileToHandle(fileKey, input, header.payloadOffset, output, progress(opts.onProgress));
  } finally {
    fileKey.fill(0);
  }
}

/** Options for {@link openToMemory}. */
export interface OpenToMemoryOptions extends OpenOptions {
  /**
   * Checks the plaintext before it is returned (the model-signature check plugs in here). When it throws, the
   * plaintext is zeroed and its error rethrown.
   */
  readonly verify?: (plaintext: Uint8Array, shardDigests?: Buffer[]) => Promise<void>;
  /** When set, SHA-256 digests of each `shardSize`-byte shard of the plaintext are computed for `verify`. */
  readonly shardSize?: number;
  /** Called as chunks authenticate, with plaintext bytes done and the plaintext size (file input only). */
  readonly onProgress?: ProgressCallback;
}

/**
 * Opens an age file into memory and returns the plaintext only after every chunk authenticated and, when
 * `opts.verify` is given, after it resolved. A FileHandle is decrypted by worker threads on every core into one
 * regular (non-shared) ArrayBuffer, which onnxruntime-node loads without a copy; a byte array is decrypted in
 * this thread. On any failure nothing is returned and no
 * plaintext is left in the buffer.
 */
export async function openToMemory(
  input: FileHandle | Uint8Array,
  identities: readonly AgeIdentity[],
  opts: OpenToMemoryOptions = {},
): Promise<Uint8Array> {
  if (opts.shardSize !== undefined) checkShardSize(opts.shardSize);
  const { plaintext, shardDigests } =
    input instanceof Uint8Array
      ? await bytesToMemory(input, identities, opts)
      : await handleToMemory(input, identities, opts);
  if (opts.verify !== undefined) {
    try {
      await opts.verify(plaintext, shardDigests);
    } catch (err) {
      plaintext.fill(0);
      throw err;
    }
  }
  return plaintext;
}

interface Opened {
  readonly plaintext: Uint8Array;
  readonly shardDigests?: Buffer[];
}

async function handleToMemory(
  input: FileHandle,
  identities: readonly AgeIdentity[],
  opts: OpenToMemoryOptions,
): Promise<Opened> {
  if (typeof input.read !== "function" || typeof input.stat !== "function") {
    throw new EdgewardError("EW_ERR_USAGE", { detail: "openToMemory takes a FileHandle or a Uint8Array" });
  }
  if (looksArmored(await readPrefix(input, ARMOR_PROBE)) === true) {
    return withDigests(await collect(openStream(handleChunks(input), identities, opts)), opts.shardSize);
  }
  const header = await readHeaderFromHandle(input, opts.limits);
  const fileKey = await unwrapHeader(header, identities);
  try {
    // A regular ArrayBuffer, as the byte-array and armored paths return: onnxruntime-node loads a model only
    // from one, so a shared one would cost the caller a copy of the whole model.
    const result = await decryptFileToMemory(fileKey, input, header.payloadOffset, {
      shared: false,
      ...progress(opts.onProgress),
      ...(opts.shardSize === undefined ? {} : { shardSize: opts.shardSize }),
    });
    return result.shardDigests === undefined ? { plaintext: result.plaintext } : result;
  } finally {
    fileKey.fill(0);
  }
}

async function bytesToMemory(
  input: Uint8Array,
  identities: readonly AgeIdentity[],
  opts: OpenToMemoryOptions,
): Promise<Opened> {
  const binary = looksArmored(input.subarray(0, ARMOR_PROBE)) === true ? dearmorBytes(input) : input;
  const header = parseHeader(binary, opts.limits);
  const fileKey = await unwrapHeader(header, identities);
  const payload = binary.subarray(header.payloadOffset);
  // The plaintext is never longer than the payload less its nonce: decrypt in place into one buffer.
  const buffer = new Uint8Array(Math.max(0, payload.length - 16));
  let filled = 0;
  try {
    for await (const chunk of decryptPayload(fileKey, [payload])) {
      buffer.set(chunk, filled);
      filled += chunk.length;
      chunk.fill(0);
    }
  } catch (err) {
    buffer.fill(0);
    throw err;
  } finally {
    fileKey.fill(0);
  }
  return withDigests(buffer.subarray(0, filled), opts.shardSize);
}

/** Collects an authenticated stream into one buffer, zeroing everything if the stream fails. */
async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return new Uint8Array(Buffer.concat(chunks));
  } finally {
    for (const chunk of chunks) chunk.fill(0);
  }
}

function withDigests(plaintext: Uint8Array, shardSize: number | undefined): Opened {
  if (shardSize === undefined) return { plaintext };
  const shardDigests: Buffer[] = [];
  for (let start = 0; start < plaintext.length; start += shardSize) {
    shardDigests.push(
      createHash("sha256")
        .update(plaintext.subarray(start, start + shardSize))
        .digest(),
    );
  }
  return { plaintext, shardDigests };
}

/** Same rule as the file path (./stream): shards are whole 64 KiB chunks. */
function checkShardSize(shardSize: number): void {
  if (!Number.isSafeInteger(shardSize) || shardSize <= 0 || shardSize % CHUNK_SIZE !== 0) {
    throw new EdgewardError("EW_ERR_AGE_STREAM_SHARD_SIZE", { detail: `got ${shardSize}` });
  }
}

/** Writes an authenticated stream to `output` at its end; on failure truncates back so no plaintext stays. */
async function streamToHandle(
  stream: AsyncIterable<Uint8Array>,
  output: FileHandle,
): Promise<{ plaintextSize: number }> {
  const start = (await output.stat()).size;
  let position = start;
  try {
    for await (const chunk of stream) {
      for (let done = 0; done < chunk.length; ) {
        const { bytesWritten } = await output.write(chunk, done, chunk.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    return { plaintextSize: position - start };
  } catch (err) {
    await output.truncate(start).catch(() => undefined);
    throw err;
  }
}

function progress(onProgress: ProgressCallback | undefined): { onProgress?: ProgressCallback } {
  return onProgress === undefined ? {} : { onProgress };
}
