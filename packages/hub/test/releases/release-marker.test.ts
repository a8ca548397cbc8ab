// The releases' change marker (docs/releases.md "The long poll"): every change to a release row moves it, in the
// change's own transaction, on both databases; a refused change does not.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, startPostgres, tempDir } from "@edgeward/testkit";
import { DatabaseReleaseStore, databaseReleaseMarker, type ReleaseRecord } from "../../src/releases/index.ts";
import { HubStore } from "../../src/store/hub-store.ts";
import { freshSchema } from "../helpers/postgres.ts";

const RELEASE: ReleaseRecord = {
  ...{ id: "rel-1", kind: "model", name: "fashion", version: "1", targetName: "fashion/1", sha256: "ab".repeat(32) },
  ...{ length: 10, floor: "1", groups: ["shop"], header: null, bundleSha256: "cd".repeat(32), logIndex: null },
  ...{ createdAt: "2026-05-01T12:00:00.000Z", createdBy: null },
};

async function markerMoves(hub: HubStore): Promise<void> {
  const store = new DatabaseReleaseStore(hub.db);
  const marker = databaseReleaseMarker(hub.db);
  assert.equal(await marker(), 0, "no release changed yet");
  await store.insert(RELEASE);
  assert.equal(await marker(), 0, "a release created is not listed, so nothing moves");
  await store.update("rel-1", { logIndex: 3 });
  assert.equal(await marker(), 1, "published");
  await store.update("rel-1", { groups: ["shop", "lab"] });
  assert.equal(await marker(), 2, "rolled out");
  await rejectsWithCode(store.update("rel-none", { groups: [] }), "EW_ERR_RELEASE_NOT_FOUND");
  assert.equal(await marker(), 2, "a refused change moves nothing");
}

describe("release change marker", () => {
  it("moves with every release row change on SQLite", async () => {
    using dir = tempDir();
    const hub = await HubStore.open({ sqlite: join(dir.path, "hub.db") });
    try {
      await markerMoves(hub);
    } finally {
      await hub.close();
    }
  });

  it("moves with every release row change on PostgreSQL", async () => {
    await using pg = await startPostgres();
    const hub = await HubStore.open({ postgres: await freshSchema(pg.url, "marker") });
    try {
      await markerMoves(hub);
    } finally {
      await hub.close();
    }
  });
});
