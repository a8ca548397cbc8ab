import { randomBytes, type KeyObject } from "node:crypto";
import { EdgewardError } from "../../errors/index.ts";
import {
  CHUNK_SIZE,
  ENCRYPTED_CHUNK_SIZE,
  incompleteTailCode,
  PAYLOAD_NONCE_SIZE,
  payloadKeyObject,
  TAG_SIZE,
} from "./format.ts";
import { openChunk, sealChunk } from "./kernel.js";

/** Options for {@link encryptPayload}. */
export interface EncryptPayloadOptions {
  /**
   * The 16-byte payload nonce. Leave it out: a fresh random nonce is drawn, as c2sp.org/age §Payload requires.
   * Only known-answer tests set it; reusing a nonce with the same file key reuses the payload key.
   */
  readonly nonce?: Uint8Array;
}

/**
 * Encrypts a plaintext stream into an age payload (c2sp.org/age §Payload): yields the 16-byte nonce, then each
 * 64 KiB chunk's ciphertext and tag as one buffer. Memory stays at about two chunks whatever the input size;
 * input buffers of any size are accepted and never kept after the next one is requested.
 *
 * One full chunk is held back until more input arrives, because only then is it known not to be the final
 * chunk; an input that ends on a chunk boundary ends with a full final chunk (no empty chunk after it), and an
 * empty input is one empty final chunk (c2sp.org/agead).
 */
export async function* encryptPayload(
  fileKey: Uint8Array,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: EncryptPayloadOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const nonce = opts.nonce === undefined ? randomBytes(PAYLOAD_NONCE_SIZE) : Buffer.from(opts.nonce);
  const key = payloadKeyObject(fileKey, nonce);
  yield nonce;
  const pending = Buffer.allocUnsafe(CHUNK_SIZE);
  let filled = 0;
  let counter = 0;
  try {
    for await (const piece of source) {
      let offset = 0;
      while (offset < piece.length) {
        // A full pending chunk with more input behind it is not the final chunk.
        if (filled === CHUNK_SIZE) {
          yield seal(key, counter++, false, pending);
          filled = 0;
        }
        const take = Math.min(CHUNK_SIZE - filled, piece.length - offset);
        pending.set(piece.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
      }
    }
    yield seal(key, counter, true, pending.subarray(0, filled));
  } finally {
    pending.fill(0);
  }
}

function seal(key: KeyObject, counter: number, last: boolean, plaintext: Buffer): Buffer {
  const [body, tag] = sealChunk(key, counter, last, plaintext);
  const out = Buffer.allocUnsafe(body.length + TAG_SIZE);
  body.copy(out, 0);
  tag.copy(out, body.length);
  return out;
}

/**
 * Decrypts an age payload stream (c2sp.org/age §Payload): reads the 16-byte nonce, then yields each chunk's
 * plaintext only after its tag verified. Throws at the first problem, after yielding only the chunks before it:
 * EW_ERR_AGE_PAYLOAD_NONCE (input shorter than the nonce), EW_ERR_AGE_PAYLOAD_AUTH (a tag failure: altered,
 * reordered, duplicated or dropped chunks), EW_ERR_AGE_PAYLOAD_TRAILING_DATA (bytes after the final chunk),
 * EW_ERR_AGE_PAYLOAD_EMPTY_LAST_CHUNK and, at the end of input, EW_ERR_AGE_PAYLOAD_TRUNCATED (no final chunk).
 *
 * A consumer must treat everything it received as untrusted until the generator finishes without throwing:
 * only then is the payload known to be complete.
 */
export async function* decryptPayload(
  fileKey: Uint8Array,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const nonce = Buffer.alloc(PAYLOAD_NONCE_SIZE);
  let nonceFilled = 0;
  let key: KeyObject | undefined;
  const pending = Buffer.allocUnsafe(ENCRYPTED_CHUNK_SIZE);
  let filled = 0;
  let counter = 0;
  for await (const piece of source) {
    let offset = 0;
    if (key === undefined) {
      const take = Math.min(PAYLOAD_NONCE_SIZE - nonceFilled, piece.length);
      nonce.set(piece.subarray(0, take), nonceFilled);
      nonceFilled += take;
      offset = take;
      if (nonceFilled < PAYLOAD_NONCE_SIZE) continue;
      key = payloadKeyObject(fileKey, nonce);
    }
    while (offset < piece.length) {
      // A full encrypted chunk with more input behind it must be a non-final chunk (c2sp.org/agead).
      if (filled === ENCRYPTED_CHUNK_SIZE) {
        yield open(key, counter++, false, pending);
        filled = 0;
      }
      const take = Math.min(ENCRYPTED_CHUNK_SIZE - filled, piece.length - offset);
      pending.set(piece.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
    }
  }
  if (key === undefined) {
    throw new EdgewardError("EW_ERR_AGE_PAYLOAD_NONCE", { detail: `payload is ${nonceFilled} bytes` });
  }
  // The end of input: what is pending must be the final chunk (c2sp.org/agead: streaming decryption MUST
  // signal an error if the end of file is reached without successfully decrypting a final chunk).
  // A lone tag after other chunks cannot be the final chunk: that would be an empty final chunk.
  if (filled < TAG_SIZE || (filled === TAG_SIZE && counter > 0)) {
    const code = incompleteTailCode(key, counter, pending.subarray(0, filled));
    throw new EdgewardError(code, { detail: `at chunk ${counter}` });
  }
  const last = open(key, counter, true, pending.subarray(0, filled));
  if (last.length > 0) yield last;
}

function open(key: KeyObject, counter: number, last: boolean, sealed: Buffer): Buffer {
  const plaintext = openChunk(key, counter, last, sealed);
  if (typeof plaintext === "string") throw new EdgewardError(plaintext, { detail: `at chunk ${counter}` });
  return plaintext;
}
