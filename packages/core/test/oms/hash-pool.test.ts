import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { hashRanges } from "../../src/oms/hash-model.ts";
import { HashPool, hashPool } from "../../src/oms/hash-pool.ts";
import { shardRanges } from "../../src/oms/layout.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();

describe("the shard hashing pool", () => {
  const data = randomBytes(9 * 1024 * 1024 + 5); // past the inline limit, so workers do the hashing
  const ranges = shardRanges(data.length, 1024 * 1024);
  const expected = ranges.map((r) => sha256(data.subarray(r.start, r.end)));

  it("hashes a file, ordinary memory and shared memory to the same digests as createHash, in order", async () => {
    using dir = tempDir();
    const path = join(dir.path, "m.bin");
    writeFileSync(path, data);
    const fd = openSync(path, "r");
    try {
      assert.deepEqual(await hashRanges({ kind: "fd", fd }, ranges), expected);
    } finally {
      closeSync(fd);
    }
    assert.deepEqual(await hashRanges({ kind: "bytes", data }, ranges), expected);
    const shared = new Uint8Array(new SharedArrayBuffer(data.length + 7), 7);
    shared.set(data);
    assert.deepEqual(await hashRanges({ kind: "bytes", data: shared }, ranges), expected);
  });

  it("starts no more workers than its size, and close() stops them and fails what was queued", async () => {
    const pool = new HashPool(2);
    const first = await Promise.all(ranges.map((r) => pool.hash({ kind: "bytes", data, start: r.start, end: r.end })));
    assert.deepEqual(first, expected);
    assert.equal(pool.workerCount, 2);
    const queued = ranges.map((r) => pool.hash({ kind: "bytes", data, start: r.start, end: r.end }));
    const outcomes = Promise.all(queued.map((task) => rejectsWithCode(task, "EW_ERR_INTERNAL")));
    await pool.close();
    assert.equal(pool.workerCount, 0);
    await outcomes;
    // Closed is not broken: the next task starts a worker again.
    const again = await pool.hash({ kind: "bytes", data, start: 0, end: 1024 * 1024 });
    assert.deepEqual(again, expected[0]);
    await pool.close();
  });

  it("when the calling thread assists, it and the worker's two in-flight tasks give the digests in order", async () => {
    // Ordinary memory is staged per in-flight slot: sharing one buffer would corrupt the first of the two tasks.
    const pool = new HashPool(1);
    const all = Promise.all(ranges.map((r) => pool.hash({ kind: "bytes", data, start: r.start, end: r.end })));
    let here = 0;
    await pool.assist((task) => {
      here++;
      return sha256(task.kind === "bytes" ? task.data.subarray(task.start, task.end) : new Uint8Array());
    });
    assert.deepEqual(await all, expected);
    assert.ok(here >= 1 && here <= ranges.length - 2, `the calling thread hashed ${here} of ${ranges.length}`);
  });

  it("keeps concurrent jobs apart", async () => {
    const other = randomBytes(6 * 1024 * 1024);
    const otherRanges = shardRanges(other.length, 1024 * 1024);
    const [a, b] = await Promise.all([
      hashRanges({ kind: "bytes", data }, ranges),
      hashRanges({ kind: "bytes", data: other }, otherRanges),
    ]);
    assert.deepEqual(a, expected);
    assert.deepEqual(
      b,
      otherRanges.map((r) => sha256(other.subarray(r.start, r.end))),
    );
  });

  it("when the file ends before a shard does, rejects with EW_ERR_IO", async () => {
    using dir = tempDir();
    const path = join(dir.path, "short.bin");
    writeFileSync(path, data.subarray(0, 5 * 1024 * 1024));
    const fd = openSync(path, "r");
    try {
      await rejectsWithCode(hashRanges({ kind: "fd", fd }, ranges), "EW_ERR_IO");
      await rejectsWithCode(hashPool().hash({ kind: "fd", fd, start: 0, end: 6 * 1024 * 1024 }), "EW_ERR_IO");
    } finally {
      closeSync(fd);
    }
  });

  it("when the descriptor is not readable, rejects with EW_ERR_IO", async () => {
    using dir = tempDir();
    const fd = openSync(join(dir.path, "w.bin"), "w");
    try {
      await rejectsWithCode(hashPool().hash({ kind: "fd", fd, start: 0, end: 10 }), "EW_ERR_IO");
    } finally {
      closeSync(fd);
    }
  });
});
