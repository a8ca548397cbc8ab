// Damaged payloads: every decryption path (streaming, into memory on 1 and 2 threads, with shards, into a file)
// must reject each with the same typed code and return no plaintext (c2sp.org/agead: a payload ends with
// exactly one final chunk; every chunk authenticates under its counter).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { decryptPayload, shutdownPayloadWorkers } from "../../../src/age/stream/index.ts";
import {
  assertEveryPathOpens,
  assertEveryPathRejects,
  buildPayload,
  CHUNK_SIZE,
  chunkRange,
  encryptBytes,
  ENCRYPTED_CHUNK_SIZE,
  MiB,
} from "./helpers.ts";

const dir = tempDir("edgeward-stream-tamper-");
const fileKey = randomBytes(16);
// SHORT ends with a 100-byte final chunk (41 chunks); FULL ends with a full final chunk (24 chunks). Both are
// over 1 MiB, so the file paths decrypt them with a worker.
const shortPlain = randomBytes(40 * CHUNK_SIZE + 100);
const fullPlain = randomBytes(24 * CHUNK_SIZE);
let SHORT: Buffer;
let FULL: Buffer;

before(async () => {
  SHORT = await encryptBytes(fileKey, shortPlain);
  FULL = await encryptBytes(fileKey, fullPlain);
});
after(async () => {
  await shutdownPayloadWorkers();
  dir[Symbol.dispose]();
});

/** `payload` with chunk `index` removed. */
function dropChunk(payload: Buffer, index: number): Buffer {
  const [start, end] = chunkRange(payload, index);
  return Buffer.concat([payload.subarray(0, start), payload.subarray(end)]);
}

/** `payload` with chunks `a` and `b` (both full) swapped. */
function swapChunks(payload: Buffer, a: number, b: number): Buffer {
  const out = Buffer.from(payload);
  const [as, ae] = chunkRange(payload, a);
  const [bs, be] = chunkRange(payload, b);
  payload.copy(out, as, bs, be);
  payload.copy(out, bs, as, ae);
  return out;
}

/** `payload` with one bit of byte `at` flipped. */
function flip(payload: Buffer, at: number): Buffer {
  const out = Buffer.from(payload);
  out[at]! ^= 0x01;
  return out;
}

describe("damaged payloads", () => {
  it("the undamaged payloads open (the baseline for every case below)", async () => {
    await assertEveryPathOpens(fileKey, dir.path, SHORT, shortPlain);
    await assertEveryPathOpens(fileKey, dir.path, FULL, fullPlain);
  });

  describe("truncation", () => {
    it("when the payload is shorter than its nonce, rejects with EW_ERR_AGE_PAYLOAD_NONCE", async () => {
      await assertEveryPathRejects(fileKey, dir.path, SHORT.subarray(0, 0), "EW_ERR_AGE_PAYLOAD_NONCE");
      await assertEveryPathRejects(fileKey, dir.path, SHORT.subarray(0, 15), "EW_ERR_AGE_PAYLOAD_NONCE");
    });

    it("when only the nonce is left, rejects with EW_ERR_AGE_PAYLOAD_TRUNCATED", async () => {
      await assertEveryPathRejects(fileKey, dir.path, SHORT.subarray(0, 16), "EW_ERR_AGE_PAYLOAD_TRUNCATED");
    });

    it("when the payload is cut at a chunk boundary, rejects with EW_ERR_AGE_PAYLOAD_TRUNCATED", async () => {
      for (const chunks of [1, 20, 40]) {
        const cut = SHORT.subarray(0, 16 + chunks * ENCRYPTED_CHUNK_SIZE);
        await assertEveryPathRejects(fileKey, dir.path, cut, "EW_ERR_AGE_PAYLOAD_TRUNCATED");
      }
      await assertEveryPathRejects(fileKey, dir.path, dropChunk(FULL, 23), "EW_ERR_AGE_PAYLOAD_TRUNCATED");
    });

    it("when the payload is cut less than a tag into a chunk, rejects with EW_ERR_AGE_PAYLOAD_TRUNCATED", async () => {
      for (const extra of [1, 15, 16]) {
        const cut = SHORT.subarray(0, 16 + 20 * ENCRYPTED_CHUNK_SIZE + extra);
        await assertEveryPathRejects(fileKey, dir.path, cut, "EW_ERR_AGE_PAYLOAD_TRUNCATED");
      }
    });

    it("when the payload is cut inside a chunk, the cut chunk fails: EW_ERR_AGE_PAYLOAD_AUTH", async () => {
      await assertEveryPathRejects(fileKey, dir.path, SHORT.subarray(0, SHORT.length - 1), "EW_ERR_AGE_PAYLOAD_AUTH");
      const mid = SHORT.subarray(0, 16 + 20 * ENCRYPTED_CHUNK_SIZE + 30_000);
      await assertEveryPathRejects(fileKey, dir.path, mid, "EW_ERR_AGE_PAYLOAD_AUTH");
    });
  });

  describe("bit flips", () => {
    const cases: Array<[string, (p: Buffer) => number]> = [
      ["in the nonce", () => 5],
      ["in the first chunk's ciphertext", () => 16 + 100],
      ["in the first chunk's tag", () => 16 + ENCRYPTED_CHUNK_SIZE - 1],
      ["in a middle chunk", () => 16 + 17 * ENCRYPTED_CHUNK_SIZE + 4096],
      ["in the final chunk's tag", (p) => p.length - 3],
    ];
    for (const [where, at] of cases) {
      it(`when a bit ${where} is flipped, rejects with EW_ERR_AGE_PAYLOAD_AUTH`, async () => {
        await assertEveryPathRejects(fileKey, dir.path, flip(SHORT, at(SHORT)), "EW_ERR_AGE_PAYLOAD_AUTH");
        await assertEveryPathRejects(fileKey, dir.path, flip(FULL, at(FULL)), "EW_ERR_AGE_PAYLOAD_AUTH");
      });
    }

    it("when the file key is another, rejects with EW_ERR_AGE_PAYLOAD_AUTH", async () => {
      await assertEveryPathRejects(randomBytes(16), dir.path, SHORT, "EW_ERR_AGE_PAYLOAD_AUTH");
    });
  });

  describe("reordered, duplicated and dropped chunks", () => {
    it("when two chunks are swapped, rejects with EW_ERR_AGE_PAYLOAD_AUTH", async () => {
      await assertEveryPathRejects(fileKey, dir.path, swapChunks(SHORT, 0, 1), "EW_ERR_AGE_PAYLOAD_AUTH");
      await assertEveryPathRejects(fileKey, dir.path, swapChunks(SHORT, 30, 31), "EW_ERR_AGE_PAYLOAD_AUTH");
      await assertEveryPathRejects(fileKey, dir.path, swapChunks(FULL, 22, 23), "EW_ERR_AGE_PAYLOAD_AUTH");
    });

    it("when a chunk is duplicated, rejects with EW_ERR_AGE_PAYLOAD_AUTH", async () => {
      const [start, end] = chunkRange(SHORT, 3);
      const dup = Buffer.concat([SHORT.subarray(0, end), SHORT.subarray(start, end), SHORT.subarray(end)]);
      await assertEveryPathRejects(fileKey, dir.path, dup, "EW_ERR_AGE_PAYLOAD_AUTH");
    });

    it("when a middle chunk is dropped, rejects with EW_ERR_AGE_PAYLOAD_AUTH", async () => {
      await assertEveryPathRejects(fileKey, dir.path, dropChunk(SHORT, 7), "EW_ERR_AGE_PAYLOAD_AUTH");
      await assertEveryPathRejects(fileKey, dir.path, dropChunk(FULL, 0), "EW_ERR_AGE_PAYLOAD_AUTH");
    });
  });

  describe("data after the final chunk", () => {
    it("when bytes follow a full final chunk, rejects with EW_ERR_AGE_PAYLOAD_TRAILING_DATA", async () => {
      for (const extra of [1, 15, 16, 17, 1000, ENCRYPTED_CHUNK_SIZE]) {
        const longer = Buffer.concat([FULL, randomBytes(extra)]);
        await assertEveryPathRejects(fileKey, dir.path, longer, "EW_ERR_AGE_PAYLOAD_TRAILING_DATA");
      }
    });

    it("when a copy of a chunk is appended after a full final chunk, rejects with EW_ERR_AGE_PAYLOAD_TRAILING_DATA", async () => {
      const [start, end] = chunkRange(FULL, 0);
      const longer = Buffer.concat([FULL, FULL.subarray(start, end)]);
      await assertEveryPathRejects(fileKey, dir.path, longer, "EW_ERR_AGE_PAYLOAD_TRAILING_DATA");
    });

    it("when bytes follow a short final chunk, it no longer authenticates: EW_ERR_AGE_PAYLOAD_AUTH", async () => {
      await assertEveryPathRejects(fileKey, dir.path, Buffer.concat([SHORT, Buffer.of(0)]), "EW_ERR_AGE_PAYLOAD_AUTH");
      const [start, end] = chunkRange(SHORT, 2);
      const longer = Buffer.concat([SHORT, SHORT.subarray(start, end)]);
      await assertEveryPathRejects(fileKey, dir.path, longer, "EW_ERR_AGE_PAYLOAD_AUTH");
    });
  });

  describe("authentic chunks in a forbidden arrangement", () => {
    const full = (counter: number, last: boolean) => ({ plaintext: randomBytes(CHUNK_SIZE), counter, last });

    it("when an empty final chunk follows full chunks, rejects with EW_ERR_AGE_PAYLOAD_EMPTY_LAST_CHUNK", async () => {
      for (const n of [1, 20]) {
        const chunks = [...Array.from({ length: n }, (_, i) => full(i, false))];
        const payload = buildPayload(fileKey, [...chunks, { plaintext: new Uint8Array(0), counter: n, last: true }]);
        await assertEveryPathRejects(fileKey, dir.path, payload, "EW_ERR_AGE_PAYLOAD_EMPTY_LAST_CHUNK");
      }
    });

    it("when an empty non-final chunk ends the payload, rejects with EW_ERR_AGE_PAYLOAD_TRUNCATED", async () => {
      const payload = buildPayload(fileKey, [
        full(0, false),
        { plaintext: new Uint8Array(0), counter: 1, last: false },
      ]);
      await assertEveryPathRejects(fileKey, dir.path, payload, "EW_ERR_AGE_PAYLOAD_TRUNCATED");
      const alone = buildPayload(fileKey, [{ plaintext: new Uint8Array(0), counter: 0, last: false }]);
      await assertEveryPathRejects(fileKey, dir.path, alone, "EW_ERR_AGE_PAYLOAD_TRUNCATED");
    });

    it("when the last chunk lacks the final flag, rejects with EW_ERR_AGE_PAYLOAD_TRUNCATED", async () => {
      const short = { plaintext: randomBytes(500), counter: 20, last: false };
      const chunks = Array.from({ length: 20 }, (_, i) => full(i, false));
      await assertEveryPathRejects(
        fileKey,
        dir.path,
        buildPayload(fileKey, [...chunks, short]),
        "EW_ERR_AGE_PAYLOAD_TRUNCATED",
      );
      await assertEveryPathRejects(fileKey, dir.path, buildPayload(fileKey, chunks), "EW_ERR_AGE_PAYLOAD_TRUNCATED");
    });

    it("when a full chunk with the final flag is followed by another chunk, rejects with EW_ERR_AGE_PAYLOAD_TRAILING_DATA", async () => {
      const chunks = [...Array.from({ length: 18 }, (_, i) => full(i, i === 9)), full(18, true)];
      await assertEveryPathRejects(
        fileKey,
        dir.path,
        buildPayload(fileKey, chunks),
        "EW_ERR_AGE_PAYLOAD_TRAILING_DATA",
      );
    });

    it("when the counters skip or repeat, rejects with EW_ERR_AGE_PAYLOAD_AUTH", async () => {
      const skip = buildPayload(fileKey, [full(0, false), full(2, true)]);
      await assertEveryPathRejects(fileKey, dir.path, skip, "EW_ERR_AGE_PAYLOAD_AUTH");
      const repeat = buildPayload(fileKey, [
        ...Array.from({ length: 18 }, (_, i) => full(i === 17 ? 16 : i, false)),
        full(18, true),
      ]);
      await assertEveryPathRejects(fileKey, dir.path, repeat, "EW_ERR_AGE_PAYLOAD_AUTH");
    });

    it("with several problems, every path reports the one at the lowest chunk", async () => {
      // Chunk 2 is swapped (AUTH) and the end is cut (TRUNCATED): AUTH comes first.
      const payload = swapChunks(SHORT, 2, 3).subarray(0, 16 + 30 * ENCRYPTED_CHUNK_SIZE);
      await assertEveryPathRejects(fileKey, dir.path, payload, "EW_ERR_AGE_PAYLOAD_AUTH");
    });
  });

  it("the stream decoder yields only the chunks before the damaged one, each authenticated, then throws", async () => {
    const got: Buffer[] = [];
    await rejectsWithCode(async () => {
      for await (const chunk of decryptPayload(fileKey, [flip(SHORT, 16 + 5 * ENCRYPTED_CHUNK_SIZE + 9)])) {
        got.push(Buffer.from(chunk));
      }
    }, "EW_ERR_AGE_PAYLOAD_AUTH");
    assert.deepEqual(Buffer.concat(got), shortPlain.subarray(0, 5 * CHUNK_SIZE));
  });

  it("large random damage is rejected by every path (a 40 MiB payload with one flipped bit near the end)", async () => {
    const plaintext = randomBytes(40 * MiB);
    const payload = await encryptBytes(fileKey, plaintext);
    await assertEveryPathRejects(fileKey, dir.path, flip(payload, payload.length - 70_000), "EW_ERR_AGE_PAYLOAD_AUTH");
  });
});
