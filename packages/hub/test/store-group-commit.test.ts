import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { sql } from "kysely";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { GroupCommit, relaxedDurability } from "../src/store/group-commit.ts";
import { HubStore } from "../src/store/hub-store.ts";
import { issueNonce, spendNonce } from "../src/store/single-use.ts";

const T0 = new Date("2026-01-01T00:00:00Z");

/** A table and a raw GroupCommit on a fresh WAL database, plus a second connection that sees only commits. */
function fresh(dir: string, name: string, busyTimeoutMs?: number) {
  const path = join(dir, name);
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 0; PRAGMA foreign_keys = ON");
  db.exec("CREATE TABLE t (v TEXT PRIMARY KEY)");
  db.exec(
    "CREATE TABLE child (v TEXT, parent TEXT REFERENCES t (v) DEFERRABLE INITIALLY DEFERRED)", // checked at COMMIT
  );
  const other = new DatabaseSync(path);
  const seen = (): string[] =>
    other
      .prepare("SELECT v FROM t ORDER BY v")
      .all()
      .map((r) => String(r["v"]));
  const group = new GroupCommit(db, busyTimeoutMs === undefined ? {} : { busyTimeoutMs });
  const insert = (v: string) => group.write(group, () => db.prepare("INSERT INTO t (v) VALUES (?)").run(v));
  return { db, other, seen, group, insert, path };
}

describe("group commit on SQLite", () => {
  const dir = tempDir("edgeward-group-commit-");
  after(() => dir[Symbol.dispose]());

  it("concurrent writes share one COMMIT, and none resolves before it is committed", async () => {
    const { group, insert, seen, db, other } = fresh(dir.path, "share.db");
    const writes = await Promise.all(["a", "b", "c"].map((v) => insert(v)));
    assert.deepEqual(seen(), [], "written, but not yet visible to another connection");
    await Promise.all(writes.map((w) => w.durable));
    assert.deepEqual(seen(), ["a", "b", "c"]);
    assert.equal(group.commits, 1);
    db.close();
    other.close();
  });

  it("a failed COMMIT rejects every write it carried, and none of them is stored", async () => {
    const { group, insert, seen, db, other } = fresh(dir.path, "fail.db");
    const ok = await insert("kept-only-if-commit-succeeds");
    // The deferred foreign key fails only at COMMIT, which rolls the whole group back.
    const bad = await group.write(group, () => db.prepare("INSERT INTO child VALUES ('x', 'missing')").run());
    await rejectsWithCode(ok.durable, "EW_ERR_HUB_STORAGE");
    await rejectsWithCode(bad.durable, "EW_ERR_HUB_STORAGE");
    assert.deepEqual(seen(), []);
    // The next write opens a new transaction and commits.
    await (
      await insert("after")
    ).durable;
    assert.deepEqual(seen(), ["after"]);
    db.close();
    other.close();
  });

  it("a statement that ends the whole transaction fails the writes it carried at once, not at COMMIT", async () => {
    const { group, insert, seen, db, other } = fresh(dir.path, "abort.db");
    await (
      await insert("committed")
    ).durable;
    const lost = await insert("lost");
    // OR ROLLBACK: a conflict rolls back the whole transaction (SQLite "ON CONFLICT clause").
    await assert.rejects(
      group.write(group, () => db.prepare("INSERT OR ROLLBACK INTO t (v) VALUES ('committed')").run()),
      /UNIQUE/,
    );
    // In the same event-loop turn: the next write must not run outside a transaction, nor share the lost one.
    const after = await insert("after");
    assert.ok(db.isTransaction, "the next write opened a new transaction");
    await rejectsWithCode(lost.durable, "EW_ERR_HUB_STORAGE");
    await after.durable;
    assert.deepEqual(seen(), ["after", "committed"]);
    db.close();
    other.close();
  });

  it("a write waits for another connection's lock without blocking this process, then fails after the timeout", async () => {
    const { insert, other, db, seen } = fresh(dir.path, "busy.db", 100);
    other.exec("BEGIN IMMEDIATE");
    const waiting = insert("late");
    let timerRan = false;
    setTimeout(() => (timerRan = true), 10);
    await rejectsWithCode(waiting, "EW_ERR_HUB_STORAGE");
    assert.ok(timerRan, "the event loop kept running while the write waited");
    other.exec("COMMIT");
    await (
      await insert("now")
    ).durable;
    assert.deepEqual(seen(), ["now"]);
    db.close();
    other.close();
  });
});

describe("the hub store's group commit (Kysely dialect)", () => {
  const dir = tempDir("edgeward-group-commit-store-");
  after(() => dir[Symbol.dispose]());
  const nonce = (n: string) => ({
    nonce: n,
    deviceId: "d",
    purpose: "attest",
    data: "{}",
    now: T0,
    expiresAt: new Date(T0.getTime() + 60_000),
  });

  it("an insert resolves only once another connection can read it; a relaxed one before", async () => {
    const path = join(dir.path, "hub-a.db");
    const store = await HubStore.open({ sqlite: path });
    const other = new DatabaseSync(path, { readOnly: true });
    const has = (n: string) => other.prepare("SELECT 1 FROM nonces WHERE nonce = ?").get(n) !== undefined;
    try {
      await issueNonce(store.db, nonce("durable"));
      assert.ok(has("durable"));
      await issueNonce(store.db, nonce("relaxed"), { durable: false });
      assert.ok(!has("relaxed"), "a relaxed insert returns before its COMMIT");
      // Spent on the writer, where it is visible at once: single use does not wait for durability of the insert.
      assert.equal((await spendNonce(store.db, "relaxed", T0)).status, "ok");
      assert.ok(has("relaxed"), "the spend's reply waited for the COMMIT that carries the insert too");
      assert.equal((await spendNonce(store.db, "relaxed", T0)).status, "used");
    } finally {
      other.close();
      await store.close();
    }
  });

  it("the writes of one event-loop turn share one COMMIT", async () => {
    const store = await HubStore.open({ sqlite: join(dir.path, "hub-d.db") });
    try {
      const before = store.commits!;
      await Promise.all(Array.from({ length: 10 }, (_, i) => issueNonce(store.db, nonce(`n${i}`))));
      assert.equal(store.commits! - before, 1);
      await issueNonce(store.db, nonce("next"));
      assert.equal(store.commits! - before, 2, "a write after the COMMIT opens the next transaction");
    } finally {
      await store.close();
    }
  });

  it("a transaction that throws rolls back alone; writes beside it commit", async () => {
    const store = await HubStore.open({ sqlite: join(dir.path, "hub-b.db") });
    try {
      const failing = store.db.transaction().execute(async (trx) => {
        await issueNonce(trx, nonce("in-tx"));
        await turn();
        throw new Error("refused");
      });
      const beside = issueNonce(store.db, nonce("beside"));
      await assert.rejects(failing, /refused/);
      await beside;
      const rows = await store.db.selectFrom("nonces").select("nonce").orderBy("nonce").execute();
      assert.deepEqual(
        rows.map((r) => r.nonce),
        ["beside"],
      );
    } finally {
      await store.close();
    }
  });

  it("a transaction whose statement rolls back the whole group reports that statement's error, and the store goes on", async () => {
    const store = await HubStore.open({ sqlite: join(dir.path, "hub-e.db") });
    try {
      await issueNonce(store.db, nonce("dup"));
      // Written (not yet committed) before the transaction starts: it rides in the group transaction that is lost.
      await issueNonce(store.db, nonce("beside"), { durable: false });
      const failing = store.db.transaction().execute(async (trx) => {
        // OR ROLLBACK: the conflict ends the group's transaction, savepoint and all.
        await sql`INSERT OR ROLLBACK INTO nonces (nonce, device_id, purpose, data, created_at, expires_at)
          VALUES ('dup', 'd', 'attest', '{}', 'x', 'y')`.execute(trx);
      });
      await assert.rejects(failing, /UNIQUE/, "the statement's own error, not the lost savepoint's");
      await issueNonce(store.db, nonce("next"));
      const rows = await store.db.selectFrom("nonces").select("nonce").orderBy("nonce").execute();
      assert.deepEqual(
        rows.map((r) => r.nonce),
        ["dup", "next"],
      );
    } finally {
      await store.close();
    }
  });

  it("a relaxed write is still committed at close", async () => {
    const path = join(dir.path, "hub-c.db");
    const store = await HubStore.open({ sqlite: path });
    await relaxedDurability(() => issueNonce(store.db, nonce("late")));
    await store.close();
    const again = await HubStore.open({ sqlite: path });
    try {
      const row = await again.db.selectFrom("nonces").select("nonce").executeTakeFirst();
      assert.equal(row?.nonce, "late");
    } finally {
      await again.close();
    }
  });
});
