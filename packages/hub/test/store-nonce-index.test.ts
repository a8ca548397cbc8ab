import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import type { RootOperationNode } from "kysely";
import { tempDir } from "@edgeward/testkit";
import { DatabaseDeviceStore } from "../src/device/database-store.ts";
import { HubStore } from "../src/store/hub-store.ts";

describe("the nonce quota count", () => {
  const dir = tempDir("edgeward-nonce-index-");
  after(() => dir[Symbol.dispose]());

  it("reads a device's unspent nonces through their index, not every unexpired nonce of the fleet", async () => {
    const path = join(dir.path, "hub.db");
    const store = await HubStore.open({ sqlite: path });
    const nodes: RootOperationNode[] = [];
    try {
      // The query the device side really runs, captured on its way to the database.
      const db = store.db.withPlugin({
        transformQuery: ({ node }) => (nodes.push(node), node),
        transformResult: ({ result }) => Promise.resolve(result),
      });
      assert.equal(await new DatabaseDeviceStore(db).countNonces("dev-1", "2026-01-01T00:00:00.000Z"), 0);
      assert.equal(nodes.length, 1);
      const compiled = store.db.getExecutor().compileQuery(nodes[0]!, { queryId: "plan" });
      const raw = new DatabaseSync(path, { readOnly: true });
      try {
        const plan = raw
          .prepare(`EXPLAIN QUERY PLAN ${compiled.sql}`)
          .all(...(compiled.parameters as string[]))
          .map((r) => String(r["detail"]));
        assert.ok(
          plan.some((d) => d.includes("USING INDEX nonces_device_unspent (device_id=? AND expires_at>?)")),
          plan.join("\n"),
        );
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
  });
});
