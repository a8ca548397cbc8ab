// Helpers the payload STREAM tests share: build payloads (valid and deliberately malformed), and decrypt one
// payload through every path so a test can check that all of them agree.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isEdgewardError } from "../../../src/errors/index.ts";
import {
  decryptFileToHandle,
  decryptFileToMemory,
  decryptPayload,
  encryptPayload,
} from "../../../src/age/stream/index.ts";
import { payloadKeyObject } from "../../../src/age/stream/format.ts";
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, sealChunk } from "../../../src/age/stream/kernel.js";

export { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE };
export const MiB = 1024 * 1024;

/** Concatenates what an async generator yields. */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/** `data` cut into pieces of `size` bytes (the last may be shorter), as a stream source would deliver it. */
export function* pieces(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** Encrypts `plaintext` with the streaming encoder, fed in pieces of `pieceSize` bytes. */
export function encryptBytes(fileKey: Uint8Array, plaintext: Uint8Array, pieceSize = 1 << 20): Promise<Buffer> {
  return collect(encryptPayload(fileKey, pieces(plaintext, pieceSize)));
}

/** One chunk of a hand-built payload: its plaintext, and the counter and final flag to seal it with. */
export interface ChunkSpec {
  readonly plaintext: Uint8Array;
  readonly counter: number;
  readonly last: boolean;
}

/**
 * A payload built chunk by chunk with the real payload key, so malformed-but-authentic payloads (an empty final
 * chunk, two final chunks, a missing final flag) can be tested.
 */
export function buildPayload(fileKey: Uint8Array, chunks: readonly ChunkSpec[], nonce = randomBytes(16)): Buffer {
  const key = payloadKeyObject(fileKey, nonce);
  const parts: Buffer[] = [nonce];
  for (const chunk of chunks) parts.push(...sealChunk(key, chunk.counter, chunk.last, chunk.plaintext));
  return Buffer.concat(parts);
}

/** Byte range of chunk `index` inside a payload (after the 16-byte nonce), clipped to the payload. */
export function chunkRange(payload: Uint8Array, index: number): [number, number] {
  const start = 16 + index * ENCRYPTED_CHUNK_SIZE;
  return [start, Math.min(payload.length, start + ENCRYPTED_CHUNK_SIZE)];
}

/** The outcome of one decryption path: the plaintext, or the error code it threw. */
export type Outcome = { readonly ok: Buffer } | { readonly code: string };

/** The decryption paths, by name. Each takes the file key, a directory for files and the payload bytes. */
export const DECRYPT_PATHS: Record<string, (fileKey: Uint8Array, dir: string, payload: Buffer) => Promise<Buffer>> = {
  "stream, whole": (fileKey, _dir, payload) => collect(decryptPayload(fileKey, [payload])),
  "stream, odd pieces": (fileKey, _dir, payload) => collect(decryptPayload(fileKey, pieces(payload, 40_009))),
  "memory, 1 thread": (fileKey, dir, payload) => viaFile(dir, payload, (h, at) => memory(fileKey, h, at, 1)),
  "memory, 2 threads": (fileKey, dir, payload) => viaFile(dir, payload, (h, at) => memory(fileKey, h, at, 2)),
  "memory, 2 threads, shards": (fileKey, dir, payload) =>
    viaFile(dir, payload, async (h, at) => {
      const result = await decryptFileToMemory(fileKey, h, at, { parallelism: 2, shardSize: 3 * CHUNK_SIZE });
      return Buffer.from(result.plaintext);
    }),
  "file, 2 threads": (fileKey, dir, payload) =>
    viaFile(dir, payload, async (h, at) => {
      const path = join(dir, `out-${randomBytes(6).toString("hex")}`);
      const output = await open(path, "w+");
      try {
        await decryptFileToHandle(fileKey, h, at, output, { parallelism: 2 });
        const { size } = await output.stat();
        const data = Buffer.alloc(size);
        await output.read(data, 0, size, 0);
        return data;
      } catch (err) {
        // A failed open leaves no plaintext in the output.
        assert.equal((await output.stat()).size, 0);
        throw err;
      } finally {
        await output.close();
      }
    }),
};

async function memory(fileKey: Uint8Array, handle: Parameters<typeof decryptFileToMemory>[1], at: number, n: number) {
  return Buffer.from((await decryptFileToMemory(fileKey, handle, at, { parallelism: n })).plaintext);
}

/** Writes `payload` after a fake header of random length, opens it and runs `use` with the handle and offset. */
async function viaFile(
  dir: string,
  payload: Buffer,
  use: (handle: Awaited<ReturnType<typeof open>>, offset: number) => Promise<Buffer>,
): Promise<Buffer> {
  const header = Buffer.from(`age-encryption.org/v1\n--- ${"x".repeat(1 + (payload.length % 50))}\n`);
  const path = join(dir, `in-${randomBytes(6).toString("hex")}`);
  await writeFile(path, Buffer.concat([header, payload]));
  const handle = await open(path, "r");
  try {
    return await use(handle, header.length);
  } finally {
    await handle.close();
  }
}

/** Decrypts `payload` through every path and returns each path's outcome. */
export async function decryptEveryWay(
  fileKey: Uint8Array,
  dir: string,
  payload: Buffer,
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  for (const [name, path] of Object.entries(DECRYPT_PATHS)) {
    try {
      outcomes.set(name, { ok: await path(fileKey, dir, payload) });
    } catch (err) {
      if (!isEdgewardError(err)) throw err;
      outcomes.set(name, { code: err.code });
    }
  }
  return outcomes;
}

/** Asserts that every decryption path rejects `payload` with `code`. */
export async function assertEveryPathRejects(
  fileKey: Uint8Array,
  dir: string,
  payload: Buffer,
  code: string,
): Promise<void> {
  for (const [name, outcome] of await decryptEveryWay(fileKey, dir, payload)) {
    assert.ok("code" in outcome, `${name} accepted the payload`);
    assert.equal(outcome.code, code, name);
  }
}

/** Asserts that every decryption path returns `plaintext`. */
export async function assertEveryPathOpens(
  fileKey: Uint8Array,
  dir: string,
  payload: Buffer,
  plaintext: Uint8Array,
): Promise<void> {
  for (const [name, outcome] of await decryptEveryWay(fileKey, dir, payload)) {
    assert.ok("ok" in outcome, `${name} failed with ${"code" in outcome ? outcome.code : ""}`);
    assert.ok(outcome.ok.equals(plaintext), `${name} returned other bytes`);
  }
}
