import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startPostgres, tempDir } from "@edgeward/testkit";
import { PostgresStore, SqliteStore, auditLog, generateNoteKey } from "@edgeward/tlog";
import { HubAuditLog, HubStore, LOCK_KEYS, writerLock } from "@edgeward/hub";

const event = (actor: string, n: number) => ({
  time: "2026-05-01T12:00:00.000Z",
  actor,
  kind: "test.append",
  subject: `n${n}`,
  details: { n },
});

describe("hub audit log shared by two writers", () => {
  it("two logs on one store, each with its own lock, append concurrently into one history, reopening after the other's commit", async () => {
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

describe("hub audit log shared by two replicas on PostgreSQL", () => {
  it("writers taking turns under the advisory lock lose nothing under heavy concurrent load", async () => {
    await using server = await startPostgres();
    const key = generateNoteKey("edgeward.test/hub-log");
    await (await HubAuditLog.create(new PostgresStore(server.url), key.signer)).close();
    // Two spellings of one database, as two processes would open it: only the advisory lock keeps them apart.
    const stores = await Promise.all(
      [0, 1].map((i) => HubStore.open({ postgres: `${server.url}?application_name=r${i}` })),
    );
    const logs = await Promise.all(
      stores.map((s) => HubAuditLog.open(new PostgresStore(server.url), key.signer, writerLock(s, LOCK_KEYS.auditLog))),
    );
    const receipts = await Promise.all(
      Array.from({ length: 600 }, (_, i) => logs[i % 2]!.append(event(`r${i % 2}`, i))),
    );
    assert.equal(new Set(receipts.map((r) => r.index)).size, 600);
    assert.deepEqual(
      logs.map((l) => l.conflicts),
      [0, 0],
      "under the lock no append ever raced the other writer",
    );
    for (const log of logs) await log.close();
    for (const s of stores) await s.close();
    const store = new PostgresStore(server.url);
    const report = await auditLog(store, { vkey: key.signer.vkey });
    await store.close();
    assert.ok(report.ok, JSON.stringify(report));
    assert.equal(report.treeSize, 600);
  });
});
