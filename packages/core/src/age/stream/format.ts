import { createSecretKey, hkdfSync, type KeyObject } from "node:crypto";
import { EdgewardError } from "../../errors/index.ts";
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, openChunk, TAG_SIZE } from "./kernel.js";

export { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, TAG_SIZE } from "./kernel.js";

/** Bytes of the random nonce that opens the payload, right after the header (c2sp.org/age §Payload). */
export const PAYLOAD_NONCE_SIZE = 16;

/** Bytes of an age file key (c2sp.org/age §File key). */
const FILE_KEY_SIZE = 16;

/**
 * Derives the payload key: HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"), 32 bytes
 * (c2sp.org/age §Payload). Throws EW_ERR_AGE_FILE_KEY unless `fileKey` is 16 bytes and
 * EW_ERR_AGE_PAYLOAD_NONCE unless `nonce` is 16 bytes. The caller owns the result and should zero it.
 */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  if (fileKey.length !== FILE_KEY_SIZE) {
    throw new EdgewardError("EW_ERR_AGE_FILE_KEY", { detail: `got ${fileKey.length} bytes` });
  }
  if (nonce.length !== PAYLOAD_NONCE_SIZE) {
    throw new EdgewardError("EW_ERR_AGE_PAYLOAD_NONCE", { detail: `got ${nonce.length} bytes` });
  }
  return Buffer.from(hkdfSync("sha256", fileKey, nonce, "payload", 32));
}

/**
 * The payload key as a KeyObject, which node:crypto uses faster than raw bytes and which worker threads
 * receive by structured clone without the raw key ever entering a message. The raw bytes are zeroed.
 */
export function payloadKeyObject(fileKey: Uint8Array, nonce: Uint8Array): KeyObject {
  const raw = payloadKey(fileKey, nonce);
  try {
    return createSecretKey(raw);
  } finally {
    raw.fill(0);
  }
}

/** Number of STREAM chunks for `plaintextSize` bytes: an empty plaintext is one empty final chunk. */
export function chunkCount(plaintextSize: number): number {
  checkSize(plaintextSize, "plaintextSize");
  return Math.max(1, Math.ceil(plaintextSize / CHUNK_SIZE));
}

/**
 * Bytes the whole payload (16-byte nonce and every chunk with its tag) takes for `plaintextSize` bytes of
 * plaintext: what follows the header in an age file (c2sp.org/age §Payload).
 */
export function ciphertextSize(plaintextSize: number): number {
  return PAYLOAD_NONCE_SIZE + plaintextSize + chunkCount(plaintextSize) * TAG_SIZE;
}

/**
 * The plaintext size of a payload that takes `ciphertextSize` bytes (nonce included), the inverse of
 * {@link ciphertextSize}. Throws when no valid payload has that size: EW_ERR_AGE_PAYLOAD_NONCE (shorter than
 * the nonce) or EW_ERR_AGE_PAYLOAD_TRUNCATED (no chunk, a chunk shorter than its tag, or a lone tag after full
 * chunks: cut short, or an empty final chunk, which c2sp.org/agead forbids after other chunks).
 */
export function plaintextSize(ciphertextSize: number): number {
  const layout = payloadLayout(ciphertextSize);
  if (!layout.final) throw new EdgewardError("EW_ERR_AGE_PAYLOAD_TRUNCATED");
  return layout.plaintextSize;
}

/** How a payload of a given size splits into chunks; decryption authenticates `chunks` chunks from counter 0. */
export interface PayloadLayout {
  /** Chunks to authenticate, in order from counter 0. */
  readonly chunks: number;
  /**
   * True when the last of those chunks must carry the final flag. False when the bytes after the last full
   * chunk (`tailSize` of them, 0 to 16) cannot hold a non-empty chunk: decryption then authenticates every full
   * chunk as non-final and ends with {@link incompleteTailCode}, so a file gets the same code however it is read.
   */
  readonly final: boolean;
  /** Plaintext bytes those chunks hold: full chunks, then the final chunk's remainder. */
  readonly plaintextSize: number;
  /** Bytes after the last full chunk when `final` is false. */
  readonly tailSize: number;
}

/**
 * Splits a payload of `ciphertextSize` bytes (nonce included) into chunks, per c2sp.org/agead: every chunk but
 * the last is full; the last may be short, and may be empty only when it is the only chunk.
 */
export function payloadLayout(ciphertextSize: number): PayloadLayout {
  checkSize(ciphertextSize, "ciphertextSize");
  if (ciphertextSize < PAYLOAD_NONCE_SIZE) {
    throw new EdgewardError("EW_ERR_AGE_PAYLOAD_NONCE", { detail: `payload is ${ciphertextSize} bytes` });
  }
  const stream = ciphertextSize - PAYLOAD_NONCE_SIZE;
  const full = Math.floor(stream / ENCRYPTED_CHUNK_SIZE);
  const rest = stream % ENCRYPTED_CHUNK_SIZE;
  const fullBytes = full * CHUNK_SIZE;
  if (rest === 0 && full > 0) return { chunks: full, final: true, plaintextSize: fullBytes, tailSize: 0 };
  if (rest > TAG_SIZE || (rest === TAG_SIZE && full === 0)) {
    return { chunks: full + 1, final: true, plaintextSize: fullBytes + rest - TAG_SIZE, tailSize: 0 };
  }
  return { chunks: full, final: false, plaintextSize: fullBytes, tailSize: rest };
}

/**
 * The code a payload ends with when, after `chunks` chunks that all authenticated as non-final, only `tail`
 * (0 to 16 bytes) is left: EW_ERR_AGE_PAYLOAD_EMPTY_LAST_CHUNK when the tail is a valid empty final chunk (which
 * c2sp.org/agead forbids after other chunks), else EW_ERR_AGE_PAYLOAD_TRUNCATED (the end came without a final
 * chunk).
 */
export function incompleteTailCode(
  key: KeyObject,
  chunks: number,
  tail: Uint8Array,
): "EW_ERR_AGE_PAYLOAD_EMPTY_LAST_CHUNK" | "EW_ERR_AGE_PAYLOAD_TRUNCATED" {
  if (chunks > 0 && tail.length === TAG_SIZE) {
    const opened = openChunk(key, chunks, true, tail);
    if (typeof opened !== "string") return "EW_ERR_AGE_PAYLOAD_EMPTY_LAST_CHUNK";
  }
  return "EW_ERR_AGE_PAYLOAD_TRUNCATED";
}

function checkSize(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EdgewardError("EW_ERR_USAGE", { detail: `${name} must be a non-negative integer, got ${value}` });
  }
}
