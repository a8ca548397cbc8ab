// Round trips through every encryption and decryption path of the payload STREAM, at the sizes where chunking
// changes (c2sp.org/agead: a short final chunk, a full final chunk, an empty payload), on the calling thread
// and with a worker.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import {
  ciphertextSize,
  decryptFileToHandle,
  decryptFileToMemory,
  encryptFileToFile,
  encryptPayload,
  shutdownPayloadWorkers,
} from "../../../src/age/stream/index.ts";
import { assertEveryPathOpens, CHUNK_SIZE, collect, encryptBytes, MiB, pieces } from "./helpers.ts";

const dir = tempDir("edgeward-stream-");
after(async () => {
  await shutdownPayloadWorkers();
  dir[Symbol.dispose]();
});

// 3 MiB + 17 runs on a worker (the file paths keep payloads up to 1 MiB on the calling thread).
const SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * MiB + 17, 4 * MiB];

describe("payload round trips", () => {
  for (const size of SIZES) {
    it(`a ${size}-byte plaintext sealed by the stream encoder opens the same through every path`, async () => {
      const fileKey = randomBytes(16);
      const plaintext = randomBytes(size);
      // Odd input pieces exercise the encoder's buffering; whole input exercises its zero-copy path.
      const payload = await encryptBytes(fileKey, plaintext, size > MiB ? 100_003 : 777);
      assert.equal(payload.length, ciphertextSize(size));
      assert.deepEqual(await encryptBytes(fileKey, plaintext, Math.max(1, size)).then((p) => p.length), payload.length);
      await assertEveryPathOpens(fileKey, dir.path, payload, plaintext);
    });

    for (const parallelism of [1, 2]) {
      it(`a ${size}-byte file sealed by encryptFileToFile on ${parallelism} thread(s) opens through every path`, async () => {
        const fileKey = randomBytes(16);
        const plaintext = randomBytes(size);
        const inPath = join(dir.path, `plain-${size}-${parallelism}`);
        const outPath = join(dir.path, `sealed-${size}-${parallelism}`);
        await writeFile(inPath, plaintext);
        const header = Buffer.from("fake header\n");
        await writeFile(outPath, header);
        const input = await open(inPath, "r");
        const output = await open(outPath, "r+");
        try {
          // No position: the payload goes at the output's end, after the header the caller wrote.
          const result = await encryptFileToFile(fileKey, input, output, { parallelism });
          assert.deepEqual(result, { plaintextSize: size, payloadSize: ciphertextSize(size) });
        } finally {
          await input.close();
          await output.close();
        }
        const sealed = await readFile(outPath);
        assert.deepEqual(sealed.subarray(0, header.length), header);
        assert.equal(sealed.length, header.length + ciphertextSize(size));
        await assertEveryPathOpens(fileKey, dir.path, sealed.subarray(header.length), plaintext);
      });
    }
  }

  it("two seals of the same plaintext under the same file key differ (a fresh nonce each time)", async () => {
    const fileKey = randomBytes(16);
    const plaintext = randomBytes(1000);
    const [a, b] = [await encryptBytes(fileKey, plaintext), await encryptBytes(fileKey, plaintext)];
    assert.notDeepEqual(a.subarray(0, 16), b.subarray(0, 16));
    assert.notDeepEqual(a.subarray(16), b.subarray(16));
  });

  it("the stream encoder with a given nonce gives the same bytes however the input is cut", async () => {
    const fileKey = randomBytes(16);
    const plaintext = randomBytes(2 * CHUNK_SIZE + 5);
    const nonce = randomBytes(16);
    const a = await collect(encryptPayload(fileKey, [plaintext], { nonce }));
    const b = await collect(encryptPayload(fileKey, pieces(plaintext, 999), { nonce }));
    assert.deepEqual(a, b);
  });

  it("the stream encoder takes synchronous and asynchronous sources, and ignores empty pieces", async () => {
    const fileKey = randomBytes(16);
    const plaintext = randomBytes(CHUNK_SIZE + 3);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(0);
      yield plaintext.subarray(0, CHUNK_SIZE);
      await tick();
      yield new Uint8Array(0);
      yield plaintext.subarray(CHUNK_SIZE);
    }
    const payload = await collect(encryptPayload(fileKey, source()));
    assert.equal(payload.length, ciphertextSize(plaintext.length));
    await assertEveryPathOpens(fileKey, dir.path, payload, plaintext);
  });

  it("decryptFileToHandle writes at the given position and trims a longer output to the plaintext", async () => {
    const fileKey = randomBytes(16);
    const plaintext = randomBytes(2 * MiB + 3);
    const inPath = join(dir.path, "handle-in");
    const outPath = join(dir.path, "handle-out");
    await writeFile(inPath, await encryptBytes(fileKey, plaintext));
    await writeFile(outPath, Buffer.alloc(3 * MiB, 0xee));
    const input = await open(inPath, "r");
    const output = await open(outPath, "r+");
    try {
      const result = await decryptFileToHandle(fileKey, input, 0, output, { position: 10 });
      assert.deepEqual(result, { plaintextSize: plaintext.length });
    } finally {
      await input.close();
      await output.close();
    }
    const written = await readFile(outPath);
    assert.equal(written.length, 10 + plaintext.length);
    assert.deepEqual(written.subarray(0, 10), Buffer.alloc(10, 0xee));
    assert.ok(written.subarray(10).equals(plaintext));
  });

  it("progress reports count up to the plaintext size when sealing and opening", async () => {
    const fileKey = randomBytes(16);
    const plaintext = randomBytes(5 * MiB + 1);
    const inPath = join(dir.path, "progress-in");
    const outPath = join(dir.path, "progress-out");
    await writeFile(inPath, plaintext);
    const input = await open(inPath, "r");
    const output = await open(outPath, "w+");
    const seen: Array<[number, number]> = [];
    try {
      await encryptFileToFile(fileKey, input, output, { parallelism: 2, onProgress: (d, t) => seen.push([d, t]) });
      assertCountsUp(seen, plaintext.length);
      seen.length = 0;
      await decryptFileToMemory(fileKey, output, 0, { parallelism: 2, onProgress: (d, t) => seen.push([d, t]) });
      assertCountsUp(seen, plaintext.length);
    } finally {
      await input.close();
      await output.close();
    }
  });
});

function assertCountsUp(seen: ReadonlyArray<[number, number]>, total: number): void {
  assert.ok(seen.length > 1);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] > seen[i - 1]![0]);
  assert.deepEqual(seen.at(-1), [total, total]);
}
