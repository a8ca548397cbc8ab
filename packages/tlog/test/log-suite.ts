// The durable-log behaviour every backend must show; run by log-sqlite.test.ts and log-postgres.test.ts.
import assert from "node:assert/strict";
import { it } from "node:test";
import { rejectsWithCode } from "@edgeward/testkit";
import {
  CompactRange,
  DurableLog,
  LogReader,
  LogVerifier,
  auditLog,
  decodeBase64,
  formatCheckpoint,
  generateNoteKey,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  signNote,
  verifyConsistency,
  verifyInclusion,
  verifyTlogProof,
  type Batch,
  type LogStore,
} from "@edgeward/tlog";

/** A fresh, empty place for one log, plus raw SQL access to tamper with it. */
export interface Backend {
  fresh(): Promise<{ store: () => LogStore; exec: (sql: string) => Promise<void> }>;
  /** SQL literal for bytes. */
  blob(bytes: Uint8Array): string;
}

const ORIGIN = "edgeward.test/log";
const entry = (i: number): Uint8Array => Buffer.from(JSON.stringify({ n: i, pad: "x".repeat(i % 7) }));

/** Registers the shared tests for one backend. */
export function durableLogSuite(backend: Backend): void {
  const key = generateNoteKey(ORIGIN);

  async function filled(
    count: number,
    batches = 4,
  ): Promise<{ store: () => LogStore; exec: (sql: string) => Promise<void> }> {
    const place = await backend.fresh();
    const log = await DurableLog.create(place.store(), { origin: ORIGIN, signer: key.signer });
    for (let b = 0; b < batches; b++) {
      const from = Math.floor((count * b) / batches);
      const to = Math.floor((count * (b + 1)) / batches);
      await log.appendAll(Array.from({ length: to - from }, (_, k) => entry(from + k)));
    }
    await log.close();
    return place;
  }

  it("a new log stores a signed checkpoint of the empty tree", async () => {
    const place = await backend.fresh();
    const log = await DurableLog.create(place.store(), { origin: ORIGIN, signer: key.signer });
    const cp = await log.reader.checkpoint();
    assert.equal(cp.size, 0);
    assert.equal(cp.note.split("\n")[2], "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    await log.close();
    await rejectsWithCode(
      DurableLog.create(place.store(), { origin: ORIGIN, signer: key.signer }),
      "EW_ERR_LOG_EXISTS",
    );
  });

  it("concurrent appends are acknowledged with consecutive indices, in few checkpoints, each covering its entries", async () => {
    const place = await backend.fresh();
    const log = await DurableLog.create(place.store(), { origin: ORIGIN, signer: key.signer });
    const receipts = await Promise.all(Array.from({ length: 500 }, (_, i) => log.append(entry(i))));
    assert.deepEqual(
      receipts.map((r) => r.index),
      receipts.map((_, i) => i),
    );
    const vkey = parseVerifierKey(key.signer.vkey);
    const notes = new Set(receipts.map((r) => r.checkpoint.note));
    assert.ok(notes.size < 50, `${notes.size} checkpoints for 500 appends: appends are not batched`);
    for (const r of receipts.filter((_, i) => i % 37 === 0)) {
      const cp = openCheckpoint(r.checkpoint.note, vkey);
      assert.ok(cp.size > r.index);
      const p = await log.reader.inclusionProof(r.index, cp.size);
      verifyInclusion(leafHash(entry(r.index)), r.index, cp.size, p.proof, cp.root);
    }
    assert.equal((await place.store().checkpoints()).length, notes.size + 1);
    await log.close();
  });

  it("after reopening, appends continue and every later checkpoint is consistent with every earlier one", async () => {
    const place = await filled(100);
    const reader = await LogReader.open(place.store());
    const before = await reader.checkpoint();
    const log = await DurableLog.open(place.store(), key.signer);
    assert.equal(log.size, 100);
    const r = await log.append(entry(100));
    assert.equal(r.index, 100);
    const after = openCheckpoint(r.checkpoint.note, parseVerifierKey(key.signer.vkey));
    const c = await log.reader.consistencyProof(before.size, after.size);
    verifyConsistency(before.size, after.size, before.root, after.root, c.proof);
    const client = new LogVerifier({ logKey: key.signer.vkey });
    for (const stored of await place.store().checkpoints()) {
      const proof =
        client.trusted === undefined || client.trusted.size === 0
          ? []
          : (await log.reader.consistencyProof(client.trusted.size, stored.size)).proof;
      client.update(stored.note, proof);
    }
    assert.equal(client.trusted?.size, 101);
    await log.close();
  });

  it("serves tlog-proof bundles a device verifies offline", async () => {
    const place = await filled(33);
    const reader = await LogReader.open(place.store());
    const bundle = await reader.proofBundle(20);
    assert.equal(verifyTlogProof(bundle, entry(20), { logKey: key.signer.vkey }).index, 20);
    await rejectsWithCode(reader.inclusionProof(33), "EW_ERR_PROOF_RANGE");
    await rejectsWithCode(reader.inclusionProof(3, 34), "EW_ERR_PROOF_RANGE");
  });

  it("when opened with another key, refuses with EW_ERR_LOG_KEY_MISMATCH", async () => {
    const place = await filled(5, 1);
    await rejectsWithCode(DurableLog.open(place.store(), generateNoteKey(ORIGIN).signer), "EW_ERR_LOG_KEY_MISMATCH");
  });

  it("when there is no log, refuses with EW_ERR_LOG_NOT_FOUND", async () => {
    const place = await backend.fresh();
    await rejectsWithCode(DurableLog.open(place.store(), key.signer), "EW_ERR_LOG_NOT_FOUND");
  });

  it("when storage contradicts the last checkpoint, refuses to start with EW_ERR_LOG_STORAGE_MISMATCH", async () => {
    const tampers = [
      "DELETE FROM tlog_entries WHERE idx = 39",
      `UPDATE tlog_entries SET data = ${backend.blob(Buffer.from("forged"))} WHERE idx = 38`,
      `UPDATE tlog_nodes SET hash = ${backend.blob(new Uint8Array(32))} WHERE id = ${5 * 2 ** 40}`,
      "DELETE FROM tlog_checkpoints WHERE size = 40",
      `UPDATE tlog_checkpoints SET note = replace(note, '40', '41') WHERE size = 40`,
      `INSERT INTO tlog_entries (idx, data) VALUES (40, ${backend.blob(Buffer.from("extra"))})`,
    ];
    for (const sql of tampers) {
      const place = await filled(40);
      await place.exec(sql);
      await rejectsWithCode(DurableLog.open(place.store(), key.signer), "EW_ERR_LOG_STORAGE_MISMATCH");
    }
  });

  it("when another writer appended meanwhile, the second writer continues from its head instead of forking", async () => {
    const place = await filled(10, 1);
    const a = await DurableLog.open(place.store(), key.signer);
    const b = await DurableLog.open(place.store(), key.signer);
    assert.equal((await a.append(entry(10))).index, 10);
    const rb = await b.append(entry(11));
    assert.equal(rb.index, 11);
    assert.equal(rb.checkpoint.size, 12);
    assert.equal((await a.append(entry(12))).index, 12);
    await a.close();
    await b.close();
    const report = await auditLog(place.store(), { vkey: key.signer.vkey });
    assert.ok(report.ok, JSON.stringify(report.problem));
    assert.equal(report.treeSize, 13);
    assert.equal(report.checkpoints, 5);
  });

  it("when a writer commits a batch built on a stale head, the store refuses it with EW_ERR_LOG_CONCURRENT_WRITER and writes nothing", async () => {
    const place = await filled(10, 1);
    const stale = place.store();
    // The second writer reads the head (size 10) and builds its next batch from it, as DurableLog does.
    const seen = await stale.latestCheckpoint();
    const range = CompactRange.empty();
    for (let i = 0; i < seen.size; i++) range.append(leafHash(entry(i)));
    const nodes = range.append(leafHash(entry(99)));
    const note = signNote(formatCheckpoint({ origin: ORIGIN, size: range.size, root: range.root() }), [key.signer]);
    const batch: Batch = { fromSize: seen.size, entries: [entry(99)], nodes, checkpoint: { size: range.size, note } };
    // Meanwhile the first writer appends, so storage moves past that head.
    const a = await DurableLog.open(place.store(), key.signer);
    assert.equal((await a.append(entry(10))).index, 10);
    await a.close();
    await rejectsWithCode(
      stale.exclusive(() => Promise.resolve(batch)),
      "EW_ERR_LOG_CONCURRENT_WRITER",
    );
    await stale.close();
    const report = await auditLog(place.store(), { vkey: key.signer.vkey });
    assert.ok(report.ok, JSON.stringify(report.problem));
    assert.equal(report.treeSize, 11);
    assert.equal(report.checkpoints, 3);
  });

  it("the audit of an untouched log passes and reproduces the latest root", async () => {
    const place = await filled(300, 7);
    const report = await auditLog(place.store(), { vkey: key.signer.vkey, chunk: 64 });
    assert.ok(report.ok, JSON.stringify(report.problem));
    assert.equal(report.entries, 300);
    assert.equal(report.checkpoints, 8);
    const cp = await (await LogReader.open(place.store())).checkpoint();
    assert.deepEqual(decodeBase64(report.root, "EW_ERR_PROOF_MALFORMED", "root"), cp.root);
  });

  it("the audit names the first changed entry when entries are edited, swapped or edited with their stored hashes", async () => {
    const cases: { sql: string[]; index: number; code: string }[] = [
      {
        sql: [`UPDATE tlog_entries SET data = ${backend.blob(Buffer.from("edited"))} WHERE idx = 77`],
        index: 77,
        code: "EW_ERR_LOG_ENTRY_CHANGED",
      },
      {
        sql: [
          `UPDATE tlog_entries SET data = ${backend.blob(entry(121))} WHERE idx = 120`,
          `UPDATE tlog_entries SET data = ${backend.blob(entry(120))} WHERE idx = 121`,
        ],
        index: 120,
        code: "EW_ERR_LOG_ENTRY_CHANGED",
      },
      {
        sql: [
          `UPDATE tlog_entries SET data = ${backend.blob(Buffer.from("edited"))} WHERE idx = 150`,
          `UPDATE tlog_nodes SET hash = ${backend.blob(leafHash(Buffer.from("edited")))} WHERE id = 150`,
        ],
        index: 150,
        code: "EW_ERR_LOG_ENTRY_CHANGED",
      },
      { sql: ["DELETE FROM tlog_entries WHERE idx = 5"], index: 5, code: "EW_ERR_LOG_ENTRY_MISSING" },
      { sql: ["DELETE FROM tlog_entries WHERE idx >= 290"], index: 290, code: "EW_ERR_LOG_TRUNCATED" },
      {
        sql: [`UPDATE tlog_nodes SET hash = ${backend.blob(new Uint8Array(32))} WHERE id = ${2 * 2 ** 40 + 3}`],
        index: 12,
        code: "EW_ERR_LOG_STORAGE_MISMATCH",
      },
    ];
    for (const c of cases) {
      const place = await filled(300, 7);
      for (const sql of c.sql) await place.exec(sql);
      const report = await auditLog(place.store(), { vkey: key.signer.vkey, chunk: 64 });
      assert.equal(report.ok, false, c.sql.join("; "));
      assert.equal(report.problem?.code, c.code, c.sql.join("; "));
      assert.equal(report.problem?.index, c.index, c.sql.join("; "));
    }
  });

  it("when the stored hashes are gone with the edit, the audit names the range it can prove, not a guessed entry", async () => {
    const place = await filled(300, 7); // checkpoints at 42, 85, 128, ...
    await place.exec(`UPDATE tlog_entries SET data = ${backend.blob(Buffer.from("edited"))} WHERE idx = 77`);
    await place.exec("DELETE FROM tlog_nodes WHERE id >= 0");
    const report = await auditLog(place.store(), { vkey: key.signer.vkey, chunk: 64 });
    assert.equal(report.problem?.code, "EW_ERR_LOG_ENTRY_CHANGED");
    assert.deepEqual([report.problem.index, report.problem.end], [42, 85]);
  });

  it("the audit reads one committed state while another writer appends during it", async () => {
    const place = await filled(100, 2);
    const writer = await DurableLog.open(place.store(), key.signer);
    const store = place.store();
    let appended = 0;
    // Another connection appends 50 entries between the audit's reads of the checkpoints and of the entries.
    const racing: LogStore = {
      location: store.location,
      create: (m, f) => store.create(m, f),
      readMeta: () => store.readMeta(),
      exclusive: (b) => store.exclusive(b),
      latestCheckpoint: () => store.latestCheckpoint(),
      checkpointAt: (n) => store.checkpointAt(n),
      checkpoints: () => store.checkpoints(),
      entryStats: () => store.entryStats(),
      getNodes: (r) => store.getNodes(r),
      readLevel: (l, f, t) => store.readLevel(l, f, t),
      snapshot: (b) => store.snapshot(b),
      close: () => store.close(),
      readEntries: async (from, to) => {
        if (appended === 0)
          appended = (await writer.appendAll(Array.from({ length: 50 }, (_, i) => entry(100 + i)))).length;
        return store.readEntries(from, to);
      },
    };
    const report = await auditLog(racing, { vkey: key.signer.vkey, chunk: 64 });
    assert.equal(appended, 50);
    assert.ok(report.ok, JSON.stringify(report.problem));
    assert.equal(report.entries, 100);
    await writer.close();
    await store.close();
    assert.equal((await auditLog(place.store(), { vkey: key.signer.vkey })).entries, 150);
  });

  it("the audit reads the whole entry table: a row past the tree or below 0 is EW_ERR_LOG_ENTRY_EXTRA, named by index", async () => {
    for (const [index, chunk] of [
      [10000, 8192],
      [100, 8192],
      [40, 8192],
      [-1, 8192],
      [41, 16],
    ] as const) {
      const place = await filled(40, 3);
      await place.exec(`INSERT INTO tlog_entries (idx, data) VALUES (${index}, ${backend.blob(entry(7))})`);
      const report = await auditLog(place.store(), { vkey: key.signer.vkey, chunk });
      assert.equal(report.problem?.code, "EW_ERR_LOG_ENTRY_EXTRA", `row ${index}`);
      assert.equal(report.problem?.index, index, `row ${index}`);
      await rejectsWithCode(DurableLog.open(place.store(), key.signer), "EW_ERR_LOG_STORAGE_MISMATCH");
    }
  });

  it("the audit detects a rolled-back log (entries and checkpoints removed) against a checkpoint kept elsewhere", async () => {
    const place = await filled(200, 4);
    const kept = (await (await LogReader.open(place.store())).checkpoint()).note;
    await place.exec("DELETE FROM tlog_entries WHERE idx >= 150");
    await place.exec("DELETE FROM tlog_nodes WHERE id >= 0");
    await place.exec("DELETE FROM tlog_checkpoints WHERE size > 150");
    const alone = await auditLog(place.store(), { vkey: key.signer.vkey });
    assert.equal(alone.problem?.code, "EW_ERR_LOG_STORAGE_MISMATCH"); // the node table is gone
    const withKept = await auditLog(place.store(), { vkey: key.signer.vkey, external: [kept] });
    assert.equal(withKept.problem?.code, "EW_ERR_LOG_TRUNCATED");
    assert.equal(withKept.problem?.index, 150);
  });

  it("the audit rejects a stored checkpoint whose signature does not verify, with its code", async () => {
    const place = await filled(50, 2);
    await place.exec(`UPDATE tlog_checkpoints SET note = replace(note, '\n25\n', '\n26\n') WHERE size = 25`);
    const report = await auditLog(place.store(), { vkey: key.signer.vkey });
    assert.equal(report.problem?.code, "EW_ERR_NOTE_SIGNATURE");
  });
}
