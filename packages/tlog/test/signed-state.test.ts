// The signed state kept beside the key: a log restored from an older copy of its database, or a second log
// started under a used key, must never make the key sign a second tree for a size it already signed
// (c2sp.org/tlog-checkpoint). Real SQLite files, copied as an operator's backup and restore would copy them.
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { rejectsWithCode } from "@edgeward/testkit";
import { DurableLog, EMPTY_ROOT, auditLog, generateNoteKey, type NoteSigner } from "@edgeward/tlog";
import { FileSignedState } from "@edgeward/tlog/file-state";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { tempDir } from "@edgeward/testkit";

const ORIGIN = "edgeward.test/signed-state";
const dir = tempDir("edgeward-signed-state-");
after(() => dir[Symbol.dispose]());
let n = 0;
const entry = (i: number): Uint8Array => Buffer.from(`entry ${i}`);

/** A new log of `size` entries with its signed state beside a fresh key. */
async function fresh(size: number): Promise<{ db: string; state: FileSignedState; signer: NoteSigner }> {
  const db = join(dir.path, `log-${n}.db`);
  const state = FileSignedState.besideKey(join(dir.path, `log-${n++}.key`));
  const { signer } = generateNoteKey(ORIGIN);
  const log = await DurableLog.create(new SqliteStore(db), { origin: ORIGIN, signer }, { signedState: state });
  await log.appendAll(Array.from({ length: size }, (_, i) => entry(i)));
  await log.close();
  return { db, state, signer };
}

async function append(db: string, signer: NoteSigner, state: FileSignedState, from: number, count: number) {
  const log = await DurableLog.open(new SqliteStore(db), signer, { signedState: state });
  await log.appendAll(Array.from({ length: count }, (_, i) => entry(from + i)));
  await log.close();
}

describe("the signed state beside the key", () => {
  it("a database restored from a backup is refused with EW_ERR_LOG_ROLLED_BACK before anything is signed", async () => {
    const { db, state, signer } = await fresh(10);
    copyFileSync(db, `${db}.backup`);
    await append(db, signer, state, 10, 15);
    copyFileSync(`${db}.backup`, db);
    const signedBefore = await state.read();
    await rejectsWithCode(
      DurableLog.open(new SqliteStore(db), signer, { signedState: state }),
      "EW_ERR_LOG_ROLLED_BACK",
    );
    assert.deepEqual(await state.read(), signedBefore);
    // Without the state the same sequence signs a second tree of size 25: the fork the state exists to stop.
    const unguarded = await DurableLog.open(new SqliteStore(db), signer);
    const forked = await unguarded.appendAll(Array.from({ length: 15 }, (_, i) => entry(100 + i)));
    await unguarded.close();
    assert.equal(forked.at(-1)!.checkpoint.size, 25);
    assert.notDeepEqual(forked.at(-1)!.checkpoint.note, signedBefore);
    await rejectsWithCode(
      DurableLog.open(new SqliteStore(db), signer, { signedState: state }),
      "EW_ERR_LOG_ROLLED_BACK",
    );
  });

  it("a backup restored after the last checkpoint was committed is refused, also one batch behind", async () => {
    const { db, state, signer } = await fresh(10);
    await append(db, signer, state, 10, 5);
    copyFileSync(db, `${db}.backup`);
    await append(db, signer, state, 15, 1);
    copyFileSync(`${db}.backup`, db);
    await rejectsWithCode(
      DurableLog.open(new SqliteStore(db), signer, { signedState: state }),
      "EW_ERR_LOG_ROLLED_BACK",
    );
  });

  it("a checkpoint signed but never committed (a crash before COMMIT) does not block the log", async () => {
    const { db, state, signer } = await fresh(12);
    const before = (await state.read())!;
    assert.equal(before.signed.size, 12);
    assert.equal(before.committed.size, 12);
    // What a crash between recording the signature and committing leaves behind.
    await state.write({ ...before, signed: { size: 20, root: new Uint8Array(32).fill(7) } });
    await append(db, signer, state, 12, 3);
    const after = (await state.read())!;
    assert.equal(after.signed.size, 15);
    assert.equal(after.committed.size, 15);
    const report = await auditLog(new SqliteStore(db, { readOnly: true }), { vkey: signer.vkey });
    assert.ok(report.ok, JSON.stringify(report.problem));
  });

  it("storage holding another tree at a signed size is refused (EW_ERR_LOG_ROLLED_BACK)", async () => {
    const { db, state, signer } = await fresh(8);
    const s = (await state.read())!;
    await state.write({ ...s, signed: { size: 4, root: EMPTY_ROOT }, committed: { size: 4, root: EMPTY_ROOT } });
    await rejectsWithCode(
      DurableLog.open(new SqliteStore(db), signer, { signedState: state }),
      "EW_ERR_LOG_ROLLED_BACK",
    );
  });

  it("a new log under a key that already signed a tree is refused (EW_ERR_LOG_ROLLED_BACK)", async () => {
    const { state, signer } = await fresh(3);
    await rejectsWithCode(
      DurableLog.create(
        new SqliteStore(join(dir.path, "second.db")),
        { origin: ORIGIN, signer },
        { signedState: state },
      ),
      "EW_ERR_LOG_ROLLED_BACK",
    );
  });

  it("a missing, malformed or foreign state file is EW_ERR_LOG_SIGNED_STATE", async () => {
    const { db, state, signer } = await fresh(2);
    const open = (s: FileSignedState) => DurableLog.open(new SqliteStore(db), signer, { signedState: s });
    await rejectsWithCode(open(new FileSignedState(join(dir.path, "absent.state"))), "EW_ERR_LOG_SIGNED_STATE");
    for (const text of [
      "",
      "{}",
      '{"vkey":"x","signed":{"size":1,"root":"AA=="},"committed":{"size":1,"root":"AA=="}}',
    ]) {
      writeFileSync(state.location, text);
      await rejectsWithCode(open(state), "EW_ERR_LOG_SIGNED_STATE");
    }
    const other = FileSignedState.besideKey(join(dir.path, "other.key"));
    await other.write({
      vkey: generateNoteKey(ORIGIN).signer.vkey,
      signed: { size: 2, root: EMPTY_ROOT },
      committed: { size: 2, root: EMPTY_ROOT },
    });
    await rejectsWithCode(open(other), "EW_ERR_LOG_SIGNED_STATE");
  });
});
