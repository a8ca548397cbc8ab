import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { SqliteStore, auditLog, generateNoteKey } from "@edgeward/tlog";
import { HubAuditLog } from "@edgeward/hub";

const event = (actor: string, n: number) => ({
  time: "2026-05-01T12:00:00.000Z",
  actor,
  kind: "test.append",
  subject: `n${n}`,
  details: { n },
});

describe("hub audit log shared by two writers", () => {
  it("two logs on one store append concurrently into one history, reopening after the other's commit", async () => {
    using dir = tempDir("edgeward-hublog-");
    const path = join(dir.path, "log.db");
    const key = generateNoteKey("edgeward.test/hub-log");
    const a = await HubAuditLog.create(new SqliteStore(path), key.signer);
    const b = await HubAuditLog.open(new SqliteStore(path), key.signer);
    const receipts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).append(event(i % 2 === 0 ? "a" : "b", i))),
    );
    const indices = receipts.map((r) => r.index).sort((x, y) => x - y);
    assert.deepEqual(
      indices,
      Array.from({ length: 40 }, (_, i) => i),
      "each entry has its own index",
    );
    await a.close();
    await b.close();
    const store = new SqliteStore(path);
    const report = await auditLog(store, { vkey: key.signer.vkey });
    await store.close();
    assert.ok(report.ok, JSON.stringify(report));
    assert.equal(report.treeSize, 40);
  });
});
