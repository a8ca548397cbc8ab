// The file fast paths beyond round trips: shard digests, argument checks, inputs that change underneath, and
// worker threads that fail or linger (they must do neither to the caller).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { open, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import {
  decryptFileToHandle,
  decryptFileToMemory,
  encryptFileToFile,
  payloadWorkerCount,
  shutdownPayloadWorkers,
} from "../../../src/age/stream/index.ts";
import { CHUNK_SIZE, encryptBytes, MiB } from "./helpers.ts";

const dir = tempDir("edgeward-stream-files-");
after(async () => {
  await shutdownPayloadWorkers();
  dir[Symbol.dispose]();
});

let serial = 0;
/** Writes `data` to a fresh file and opens it (mode "r+"). */
async function fileWith(data: Uint8Array) {
  const path = join(dir.path, `f${serial++}`);
  await writeFile(path, data);
  return { path, handle: await open(path, "r+") };
}

describe("shard digests", () => {
  const cases: Array<[number, number]> = [
    [3 * MiB + 17, MiB], // a short last shard
    [2 * MiB, MiB], // an exact number of shards
    [5 * MiB, CHUNK_SIZE], // one chunk per shard
    [3 * MiB, 8 * MiB], // one shard larger than the plaintext
    [100, CHUNK_SIZE], // on the calling thread only
  ];
  for (const [size, shardSize] of cases) {
    for (const [parallelism, shared] of [
      [1, true],
      [2, true],
      [2, false],
    ] as const) {
      const memory = shared ? "shared" : "regular";
      it(`a ${size}-byte plaintext in ${shardSize}-byte shards on ${parallelism} thread(s) into ${memory} memory gives the SHA-256 of each slice`, async () => {
        const fileKey = randomBytes(16);
        const plaintext = randomBytes(size);
        const { handle } = await fileWith(await encryptBytes(fileKey, plaintext));
        try {
          const result = await decryptFileToMemory(fileKey, handle, 0, { shardSize, parallelism, shared });
          assert.ok(Buffer.from(result.plaintext).equals(plaintext));
          assert.equal(result.plaintext.buffer instanceof SharedArrayBuffer, shared);
          const expected: Buffer[] = [];
          for (let at = 0; at < size; at += shardSize) {
            expected.push(
              createHash("sha256")
                .update(plaintext.subarray(at, at + shardSize))
                .digest(),
            );
          }
          assert.deepEqual(result.shardDigests, expected);
        } finally {
          await handle.close();
        }
      });
    }
  }

  it("an empty plaintext has no shards, and without shardSize no digests are returned", async () => {
    const fileKey = randomBytes(16);
    const { handle } = await fileWith(await encryptBytes(fileKey, new Uint8Array(0)));
    try {
      const sharded = await decryptFileToMemory(fileKey, handle, 0, { shardSize: CHUNK_SIZE });
      assert.equal(sharded.plaintext.length, 0);
      assert.deepEqual(sharded.shardDigests, []);
      const plain = await decryptFileToMemory(fileKey, handle, 0);
      assert.equal(plain.shardDigests, undefined);
    } finally {
      await handle.close();
    }
  });

  it("the plaintext is one SharedArrayBuffer of exactly its size", async () => {
    const fileKey = randomBytes(16);
    const { handle } = await fileWith(await encryptBytes(fileKey, randomBytes(2 * MiB + 5)));
    try {
      const { plaintext } = await decryptFileToMemory(fileKey, handle, 0, { parallelism: 2 });
      assert.ok(plaintext.buffer instanceof SharedArrayBuffer);
      assert.equal(plaintext.buffer.byteLength, 2 * MiB + 5);
    } finally {
      await handle.close();
    }
  });

  it("when the shard size is not a positive multiple of 64 KiB, rejects with EW_ERR_AGE_STREAM_SHARD_SIZE", async () => {
    const fileKey = randomBytes(16);
    const { handle } = await fileWith(await encryptBytes(fileKey, randomBytes(10)));
    try {
      for (const shardSize of [0, -CHUNK_SIZE, 1000, CHUNK_SIZE + 1, 1.5 * CHUNK_SIZE, Number.NaN]) {
        await rejectsWithCode(decryptFileToMemory(fileKey, handle, 0, { shardSize }), "EW_ERR_AGE_STREAM_SHARD_SIZE");
      }
    } finally {
      await handle.close();
    }
  });
});

describe("failures leave no plaintext", () => {
  for (const parallelism of [1, 2]) {
    it(`when the last chunk fails on ${parallelism} thread(s), the plaintext buffer is zeroed before the error is thrown`, async () => {
      const fileKey = randomBytes(16);
      const size = 6 * MiB + 3;
      const sealed = await encryptBytes(fileKey, randomBytes(size));
      sealed[sealed.length - 1]! ^= 1;
      const { handle } = await fileWith(sealed);
      // Catch the one buffer of the plaintext's size the engine allocates, to look into it after the failure.
      const Original = globalThis.SharedArrayBuffer;
      const seen: SharedArrayBuffer[] = [];
      globalThis.SharedArrayBuffer = class extends Original {
        constructor(length: number) {
          super(length);
          if (length === size) seen.push(this);
        }
      } as SharedArrayBufferConstructor;
      let progressed = 0;
      try {
        await rejectsWithCode(
          decryptFileToMemory(fileKey, handle, 0, { parallelism, onProgress: (done) => (progressed = done) }),
          "EW_ERR_AGE_PAYLOAD_AUTH",
        );
      } finally {
        globalThis.SharedArrayBuffer = Original;
        await handle.close();
      }
      assert.equal(seen.length, 1);
      assert.ok(progressed >= 6 * MiB, "every chunk before the last was decrypted into the buffer");
      assert.ok(new Uint8Array(seen[0]!).every((byte) => byte === 0));
    });
  }

  it("when the last chunk fails into regular memory on 2 threads, the plaintext and every staging buffer are zeroed", async () => {
    const fileKey = randomBytes(16);
    const size = 6 * MiB + 3;
    const sealed = await encryptBytes(fileKey, randomBytes(size));
    sealed[sealed.length - 1]! ^= 1;
    const { handle } = await fileWith(sealed);
    // Catch the plaintext buffer and the workers' staging buffers, to look into them after the failure.
    const OriginalShared = globalThis.SharedArrayBuffer;
    const OriginalRegular = globalThis.ArrayBuffer;
    const seen: Array<ArrayBuffer | SharedArrayBuffer> = [];
    globalThis.SharedArrayBuffer = class extends OriginalShared {
      constructor(length: number) {
        super(length);
        if (length >= MiB) seen.push(this);
      }
    } as SharedArrayBufferConstructor;
    globalThis.ArrayBuffer = class extends OriginalRegular {
      constructor(length: number) {
        super(length);
        if (length === size) seen.push(this);
      }
    } as ArrayBufferConstructor;
    try {
      await rejectsWithCode(
        decryptFileToMemory(fileKey, handle, 0, { parallelism: 2, shared: false }),
        "EW_ERR_AGE_PAYLOAD_AUTH",
      );
    } finally {
      globalThis.SharedArrayBuffer = OriginalShared;
      globalThis.ArrayBuffer = OriginalRegular;
      await handle.close();
    }
    assert.ok(
      seen.some((buffer) => !(buffer instanceof OriginalShared)),
      "the plaintext buffer was seen",
    );
    assert.ok(
      seen.some((buffer) => buffer instanceof OriginalShared),
      "a staging buffer was seen",
    );
    for (const buffer of seen) assert.ok(new Uint8Array(buffer).every((byte) => byte === 0));
  });
});

describe("arguments and inputs", () => {
  it("when parallelism or an offset is not a usable integer, rejects with EW_ERR_USAGE", async () => {
    const fileKey = randomBytes(16);
    const { handle } = await fileWith(await encryptBytes(fileKey, randomBytes(10)));
    const out = await fileWith(new Uint8Array(0));
    try {
      await rejectsWithCode(decryptFileToMemory(fileKey, handle, 0, { parallelism: 0 }), "EW_ERR_USAGE");
      await rejectsWithCode(decryptFileToMemory(fileKey, handle, -1), "EW_ERR_USAGE");
      await rejectsWithCode(decryptFileToMemory(fileKey, handle, 0.5), "EW_ERR_USAGE");
      await rejectsWithCode(encryptFileToFile(fileKey, handle, out.handle, { parallelism: 1.5 }), "EW_ERR_USAGE");
      await rejectsWithCode(encryptFileToFile(fileKey, handle, out.handle, { position: -3 }), "EW_ERR_USAGE");
      await rejectsWithCode(decryptFileToHandle(fileKey, handle, 0, out.handle, { position: -3 }), "EW_ERR_USAGE");
    } finally {
      await handle.close();
      await out.handle.close();
    }
  });

  it("when the offset is past the end of the file, rejects with EW_ERR_AGE_PAYLOAD_NONCE", async () => {
    const fileKey = randomBytes(16);
    const { handle } = await fileWith(await encryptBytes(fileKey, randomBytes(10)));
    try {
      await rejectsWithCode(decryptFileToMemory(fileKey, handle, 10_000), "EW_ERR_AGE_PAYLOAD_NONCE");
    } finally {
      await handle.close();
    }
  });

  it("when the file key is not 16 bytes, rejects with EW_ERR_AGE_FILE_KEY", async () => {
    const { handle } = await fileWith(await encryptBytes(randomBytes(16), randomBytes(10)));
    try {
      await rejectsWithCode(decryptFileToMemory(randomBytes(32), handle, 0), "EW_ERR_AGE_FILE_KEY");
    } finally {
      await handle.close();
    }
  });

  it("when the input is not a regular file, rejects with EW_ERR_USAGE (streams go through the stream API)", async () => {
    const fileKey = randomBytes(16);
    const devNull = await open("/dev/null", "r+");
    const out = await fileWith(new Uint8Array(0));
    try {
      await rejectsWithCode(encryptFileToFile(fileKey, devNull, out.handle), "EW_ERR_USAGE");
      await rejectsWithCode(decryptFileToMemory(fileKey, devNull, 0), "EW_ERR_USAGE");
    } finally {
      await devNull.close();
      await out.handle.close();
    }
  });

  it("when the input shrinks while it is sealed, rejects with EW_ERR_AGE_STREAM_INPUT_CHANGED", async () => {
    const input = await fileWith(randomBytes(8 * MiB));
    const out = await fileWith(new Uint8Array(0));
    let cut = false;
    const onProgress = (): void => {
      if (cut) return;
      cut = true;
      void truncate(input.path, 3);
    };
    try {
      await rejectsWithCode(
        encryptFileToFile(randomBytes(16), input.handle, out.handle, { parallelism: 2, onProgress }),
        "EW_ERR_AGE_STREAM_INPUT_CHANGED",
      );
    } finally {
      await input.handle.close();
      await out.handle.close();
    }
  });

  it("when the sealed file shrinks while it is opened, rejects with EW_ERR_AGE_STREAM_INPUT_CHANGED", async () => {
    const fileKey = randomBytes(16);
    const input = await fileWith(await encryptBytes(fileKey, randomBytes(16 * MiB)));
    let cut = false;
    const onProgress = (): void => {
      if (cut) return;
      cut = true;
      void truncate(input.path, 100);
    };
    try {
      await rejectsWithCode(
        decryptFileToMemory(fileKey, input.handle, 0, { parallelism: 2, onProgress }),
        "EW_ERR_AGE_STREAM_INPUT_CHANGED",
      );
    } finally {
      await input.handle.close();
    }
  });

  it("when an open fails, an output written from a position keeps what was before it and nothing after", async () => {
    const fileKey = randomBytes(16);
    const sealed = await encryptBytes(fileKey, randomBytes(3 * MiB));
    sealed[sealed.length - 5]! ^= 1;
    const input = await fileWith(sealed);
    const out = await fileWith(Buffer.from("kept"));
    try {
      await rejectsWithCode(decryptFileToHandle(fileKey, input.handle, 0, out.handle), "EW_ERR_AGE_PAYLOAD_AUTH");
    } finally {
      await input.handle.close();
      await out.handle.close();
    }
    assert.deepEqual(await readFile(out.path), Buffer.from("kept"));
  });

  it("when the progress callback throws, the call rejects with its error and the next call works", async () => {
    const fileKey = randomBytes(16);
    const plaintext = randomBytes(6 * MiB);
    const input = await fileWith(await encryptBytes(fileKey, plaintext));
    const boom = new Error("callback failed");
    try {
      await assert.rejects(
        decryptFileToMemory(fileKey, input.handle, 0, {
          parallelism: 2,
          onProgress: () => {
            throw boom;
          },
        }),
        (err) => err === boom,
      );
      const { plaintext: again } = await decryptFileToMemory(fileKey, input.handle, 0, { parallelism: 2 });
      assert.ok(Buffer.from(again).equals(plaintext));
    } finally {
      await input.handle.close();
    }
  });
});

describe("worker threads", () => {
  it("when the workers stop in the middle of a job, it rejects with EW_ERR_AGE_STREAM_WORKER and the next job works", async () => {
    const fileKey = randomBytes(16);
    const plaintext = randomBytes(32 * MiB);
    const input = await fileWith(await encryptBytes(fileKey, plaintext));
    let stopped = false;
    const onProgress = (): void => {
      if (stopped) return;
      stopped = true;
      void shutdownPayloadWorkers();
    };
    try {
      await rejectsWithCode(
        decryptFileToMemory(fileKey, input.handle, 0, { parallelism: 2, onProgress }),
        "EW_ERR_AGE_STREAM_WORKER",
      );
      assert.equal(payloadWorkerCount(), 0);
      const { plaintext: again } = await decryptFileToMemory(fileKey, input.handle, 0, { parallelism: 2 });
      assert.ok(Buffer.from(again).equals(plaintext));
      assert.equal(payloadWorkerCount(), 1);
    } finally {
      await input.handle.close();
    }
  });

  it("two jobs at once share the pool and both finish with their own plaintext", async () => {
    const fileKey = randomBytes(16);
    const plainA = randomBytes(9 * MiB + 1);
    const plainB = randomBytes(7 * MiB);
    const a = await fileWith(await encryptBytes(fileKey, plainA));
    const b = await fileWith(await encryptBytes(fileKey, plainB));
    try {
      const [ra, rb] = await Promise.all([
        decryptFileToMemory(fileKey, a.handle, 0, { parallelism: 2, shardSize: MiB }),
        decryptFileToMemory(fileKey, b.handle, 0, { parallelism: 2 }),
      ]);
      assert.ok(Buffer.from(ra.plaintext).equals(plainA));
      assert.ok(Buffer.from(rb.plaintext).equals(plainB));
      assert.equal(ra.shardDigests?.length, 10);
    } finally {
      await a.handle.close();
      await b.handle.close();
    }
  });

  for (const damaged of [true, false]) {
    it(`after a${damaged ? " failed" : ""} decryption on worker threads the process exits by itself`, async () => {
      const fileKey = randomBytes(16);
      const sealed = await encryptBytes(fileKey, randomBytes(8 * MiB));
      if (damaged) sealed[MiB]! ^= 1;
      const path = join(dir.path, `child-${damaged}`);
      await writeFile(path, sealed);
      const engine = fileURLToPath(new URL("../../../src/age/stream/index.ts", import.meta.url));
      // The child neither closes the pool nor calls process.exit: idle workers must not keep it alive.
      const script = `
        import { open } from "node:fs/promises";
        import { decryptFileToMemory, payloadWorkerCount } from ${JSON.stringify(engine)};
        const handle = await open(${JSON.stringify(path)}, "r");
        try {
          const { plaintext } = await decryptFileToMemory(Buffer.from(${JSON.stringify(fileKey.toString("hex"))}, "hex"), handle, 0, { parallelism: 2 });
          console.log("ok", plaintext.length, payloadWorkerCount());
        } catch (err) {
          console.log(err.code, payloadWorkerCount());
        } finally {
          await handle.close();
        }`;
      const { status, stdout } = await runNode(["--input-type=module", "-e", script], 30_000);
      assert.equal(status, 0);
      assert.equal(stdout.trim(), damaged ? "EW_ERR_AGE_PAYLOAD_AUTH 1" : `ok ${8 * MiB} 1`);
    });
  }
});

/** Runs this Node with `args`; fails the test if the process is still running after `timeoutMs`. */
function runNode(args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the process did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout });
    });
  });
}
