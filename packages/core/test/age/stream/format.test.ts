// Sizes, keys and nonces of the age payload STREAM (c2sp.org/age §Payload, c2sp.org/agead).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { throwsWithCode } from "@edgeward/testkit";
import {
  CHUNK_SIZE,
  chunkCount,
  ciphertextSize,
  PAYLOAD_NONCE_SIZE,
  payloadKey,
  plaintextSize,
} from "../../../src/age/stream/index.ts";
import { chunkNonce } from "../../../src/age/stream/kernel.js";

const TAG = 16;

describe("payload sizes", () => {
  it("the constants are the spec's: 64 KiB chunks and a 16-byte nonce", () => {
    assert.equal(CHUNK_SIZE, 65536);
    assert.equal(PAYLOAD_NONCE_SIZE, 16);
  });

  it("an empty plaintext is one empty final chunk; a full last chunk has no empty chunk after it", () => {
    assert.equal(chunkCount(0), 1);
    assert.equal(chunkCount(1), 1);
    assert.equal(chunkCount(CHUNK_SIZE), 1);
    assert.equal(chunkCount(CHUNK_SIZE + 1), 2);
    assert.equal(ciphertextSize(0), 16 + TAG);
    assert.equal(ciphertextSize(1), 16 + 1 + TAG);
    assert.equal(ciphertextSize(CHUNK_SIZE), 16 + CHUNK_SIZE + TAG);
    assert.equal(ciphertextSize(2 * CHUNK_SIZE), 16 + 2 * (CHUNK_SIZE + TAG));
    assert.equal(ciphertextSize(2 * CHUNK_SIZE + 1), 16 + 2 * CHUNK_SIZE + 1 + 3 * TAG);
  });

  it("plaintextSize inverts ciphertextSize at every boundary", () => {
    for (const n of [
      0,
      1,
      15,
      16,
      17,
      CHUNK_SIZE - 1,
      CHUNK_SIZE,
      CHUNK_SIZE + 1,
      5 * CHUNK_SIZE,
      5 * CHUNK_SIZE + 7,
    ]) {
      assert.equal(plaintextSize(ciphertextSize(n)), n, `n = ${n}`);
    }
    assert.equal(plaintextSize(ciphertextSize(2 ** 40)), 2 ** 40);
  });

  it("when the payload is shorter than its nonce, plaintextSize throws EW_ERR_AGE_PAYLOAD_NONCE", () => {
    throwsWithCode(() => plaintextSize(0), "EW_ERR_AGE_PAYLOAD_NONCE");
    throwsWithCode(() => plaintextSize(15), "EW_ERR_AGE_PAYLOAD_NONCE");
  });

  it("when no valid payload has the size, plaintextSize throws EW_ERR_AGE_PAYLOAD_TRUNCATED", () => {
    throwsWithCode(() => plaintextSize(16), "EW_ERR_AGE_PAYLOAD_TRUNCATED"); // nonce, no chunk
    throwsWithCode(() => plaintextSize(16 + 15), "EW_ERR_AGE_PAYLOAD_TRUNCATED"); // shorter than a tag
    throwsWithCode(() => plaintextSize(16 + CHUNK_SIZE + TAG + 5), "EW_ERR_AGE_PAYLOAD_TRUNCATED");
    throwsWithCode(() => plaintextSize(16 + CHUNK_SIZE + TAG + TAG), "EW_ERR_AGE_PAYLOAD_TRUNCATED"); // lone tag
  });

  it("when a size is negative or fractional, the size functions throw EW_ERR_USAGE", () => {
    throwsWithCode(() => ciphertextSize(-1), "EW_ERR_USAGE");
    throwsWithCode(() => plaintextSize(1.5), "EW_ERR_USAGE");
    throwsWithCode(() => chunkCount(Number.NaN), "EW_ERR_USAGE");
  });
});

describe("payload key and chunk nonces", () => {
  it('the payload key is HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload") per RFC 5869', () => {
    const fileKey = Buffer.from("59454c4c4f57205355424d4152494e45", "hex");
    const nonce = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
    // RFC 5869 §2.2 and §2.3 written out: PRK = HMAC(salt, IKM); OKM = T(1) = HMAC(PRK, info ‖ 0x01).
    const prk = createHmac("sha256", nonce).update(fileKey).digest();
    const okm = createHmac("sha256", prk)
      .update(Buffer.concat([Buffer.from("payload"), Buffer.of(1)]))
      .digest();
    assert.deepEqual(payloadKey(fileKey, nonce), okm);
  });

  it("when the file key is not 16 bytes, payloadKey throws EW_ERR_AGE_FILE_KEY", () => {
    throwsWithCode(() => payloadKey(new Uint8Array(15), new Uint8Array(16)), "EW_ERR_AGE_FILE_KEY");
    throwsWithCode(() => payloadKey(new Uint8Array(32), new Uint8Array(16)), "EW_ERR_AGE_FILE_KEY");
  });

  it("when the nonce is not 16 bytes, payloadKey throws EW_ERR_AGE_PAYLOAD_NONCE", () => {
    throwsWithCode(() => payloadKey(new Uint8Array(16), new Uint8Array(12)), "EW_ERR_AGE_PAYLOAD_NONCE");
  });

  it("a chunk nonce is the 11-byte big-endian counter then the final flag", () => {
    assert.equal(chunkNonce(0, false).toString("hex"), "000000000000000000000000");
    assert.equal(chunkNonce(1, true).toString("hex"), "000000000000000000000101");
    assert.equal(chunkNonce(0x01_0203_0405, false).toString("hex"), "000000000000010203040500");
    assert.equal(chunkNonce(2 ** 53 - 1, true).toString("hex"), "000000001fffffffffffff01");
  });
});
