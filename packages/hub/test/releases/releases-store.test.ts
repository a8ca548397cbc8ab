// One contract for every ReleaseStore: in memory, the hub database on SQLite, and on PostgreSQL.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rejectsWithCode } from "@edgeward/testkit";
import { MemoryReleaseStore, type ReleaseRecord, type ReleaseStore } from "../../src/releases/index.ts";
import { onReleaseDatabases } from "./store-backends.ts";

function record(n: number, fields: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    id: `rel-${n}`,
    kind: "model",
    name: "classifier",
    version: `1.0.${n}`,
    targetName: `classifier/1.0.${n}`,
    sha256: "ab".repeat(32),
    length: 2 ** 40 + n,
    floor: "1.0.0",
    groups: ["shop"],
    header: "aGVhZGVy",
    bundleSha256: "cd".repeat(32),
    logIndex: null,
    createdAt: `2026-05-01T12:00:0${n}.000Z`,
    createdBy: "tok-1",
    ...fields,
  };
}

function releaseStoreSuite(open: () => Promise<{ store: ReleaseStore; close: () => Promise<void> }>): void {
  it("stores, lists in creation order with paging, updates groups and the log index", async () => {
    const { store, close } = await open();
    try {
      for (const n of [0, 1, 2]) await store.insert(record(n));
      await store.insert(record(3, { kind: "package", header: null }));
      assert.deepEqual(await store.get("rel-1"), record(1));
      assert.deepEqual((await store.get("rel-3"))?.header, null);
      assert.equal(await store.get("nope"), undefined);
      assert.deepEqual(
        (await store.list({ limit: 2 })).map((r) => r.id),
        ["rel-0", "rel-1"],
      );
      assert.deepEqual(
        (await store.list({ limit: 10, after: "rel-1" })).map((r) => r.id),
        ["rel-2", "rel-3"],
      );
      await store.insert(record(4, { name: "detector", targetName: "detector/1.0.4" }));
      await store.insert(record(5, { name: "detector", targetName: "detector/1.0.5" }));
      assert.deepEqual(
        (await store.list({ limit: 10, name: "detector" })).map((r) => r.id),
        ["rel-4", "rel-5"],
      );
      assert.deepEqual(
        (await store.list({ limit: 1, name: "detector", after: "rel-4" })).map((r) => r.id),
        ["rel-5"],
      );
      assert.deepEqual(
        (await store.list({ limit: 2, name: "classifier", after: "rel-1" })).map((r) => r.id),
        ["rel-2", "rel-3"],
      );
      await store.update("rel-2", { groups: ["a", "b"], logIndex: 7 });
      assert.deepEqual(await store.get("rel-2"), record(2, { groups: ["a", "b"], logIndex: 7 }));
      await rejectsWithCode(store.update("nope", { logIndex: 1 }), "EW_ERR_RELEASE_NOT_FOUND");
    } finally {
      await close();
    }
  });

  it("when the name and version (or the id) are taken, refuses with EW_ERR_RELEASE_EXISTS", async () => {
    const { store, close } = await open();
    try {
      await store.insert(record(0));
      await rejectsWithCode(store.insert(record(0, { id: "other" })), "EW_ERR_RELEASE_EXISTS");
      await rejectsWithCode(store.insert(record(1, { id: "rel-0" })), "EW_ERR_RELEASE_EXISTS");
    } finally {
      await close();
    }
  });
}

describe("release store in memory", () => {
  releaseStoreSuite(() => Promise.resolve({ store: new MemoryReleaseStore(), close: () => Promise.resolve() }));
});

onReleaseDatabases("release store on the hub database", releaseStoreSuite);
