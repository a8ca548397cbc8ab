import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { EXIT } from "@edgeward/core";
import { tempDir } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";
import {
  decodeBase64,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
  verifyInclusion,
  verifyTlogProof,
} from "@edgeward/tlog";

// `edgeward log`: init, append, checkpoint, prove and verify as real processes on a SQLite log, and
// `log verify` naming the entry that was edited, deleted or reordered in the database file.
const dir = tempDir("edgeward-log-cli-");
const p = (name: string): string => join(dir.path, name);
const ORIGIN = "edgeward.test/cli-log";
let vkey = "";

const event = (i: number): string =>
  JSON.stringify({
    time: "2026-05-01T12:00:00Z",
    actor: "hub",
    kind: "attest.pass",
    subject: `device-${i}`,
    details: { i },
  });
const canonical = (i: number): Buffer =>
  Buffer.from(
    `{"actor":"hub","details":{"i":${i}},"kind":"attest.pass","subject":"device-${i}","time":"2026-05-01T12:00:00Z"}`,
  );

async function ok(args: string[], stdin?: string): Promise<string> {
  const res = await runCli(args, stdin === undefined ? {} : { stdin: Buffer.from(stdin) });
  assert.equal(res.status, 0, `edgeward ${args.join(" ")} failed: ${res.stderr}`);
  return res.stdout.toString();
}

async function fails(args: string[], code: string, exit: number, stdin?: string): Promise<string> {
  const res = await runCli(args, stdin === undefined ? {} : { stdin: Buffer.from(stdin) });
  assert.equal(printedCode(res), code, res.stderr);
  assert.equal(res.status, exit, res.stderr);
  return res.stdout.toString();
}

/** A fresh copy of the populated log, to tamper with. */
function copyLog(name: string): string {
  writeFileSync(p(name), readFileSync(p("log.db")));
  return p(name);
}

function sql(db: string, statement: string): void {
  const d = new DatabaseSync(db);
  d.exec(statement);
  d.close();
}

before(async () => {
  vkey = (await ok(["log", "init", "--db", p("log.db"), "--origin", ORIGIN, "--key", p("log.key")])).trim();
  // Three appends, so the log holds several checkpoints.
  for (const [from, to] of [
    [0, 10],
    [10, 25],
    [25, 40],
  ] as const) {
    const lines = Array.from({ length: to - from }, (_, k) => event(from + k)).join("\n");
    await ok(["log", "append", "--db", p("log.db")], `${lines}\n`);
  }
});
after(() => dir[Symbol.dispose]());

describe("edgeward log", () => {
  it("init prints the verifier key and creates the signing key file with mode 0600", () => {
    assert.equal(parseVerifierKey(vkey).name, ORIGIN);
    assert.equal(statSync(p("log.key")).mode & 0o777, 0o600);
  });

  it("init refuses a location that already holds a log with EW_ERR_LOG_EXISTS", async () => {
    await fails(
      ["log", "init", "--db", p("log.db"), "--origin", ORIGIN, "--key", p("log.key")],
      "EW_ERR_LOG_EXISTS",
      EXIT.usage,
    );
  });

  it("append prints each index once durable, and --json its tree size", async () => {
    const db = copyLog("append.db");
    const out = await ok(["log", "append", "--db", db, "--json"], `${event(40)}\n\n${event(41)}\n`);
    assert.deepEqual(
      out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
      [
        { index: 40, treeSize: 42 },
        { index: 41, treeSize: 42 },
      ],
    );
    writeFileSync(p("events.jsonl"), `${event(42)}\n`);
    assert.equal(await ok(["log", "append", "--db", db, "--file", p("events.jsonl")]), "42\n");
  });

  it("append stops at an invalid line with EW_ERR_LOG_EVENT_INVALID, after appending the lines before it", async () => {
    const db = copyLog("invalid.db");
    const out = await fails(
      ["log", "append", "--db", db],
      "EW_ERR_LOG_EVENT_INVALID",
      EXIT.format,
      `${event(40)}\n{"actor":"hub"}\n${event(41)}\n`,
    );
    assert.equal(out, "40\n");
    await fails(["log", "append", "--db", db], "EW_ERR_LOG_EVENT_INVALID", EXIT.format, "not json\n");
  });

  it("checkpoint prints the C2SP checkpoint exactly, signed by the log's key", async () => {
    const note = await ok(["log", "checkpoint", "--db", p("log.db")]);
    const cp = openCheckpoint(note, parseVerifierKey(vkey));
    assert.equal(cp.size, 40);
    assert.match(
      note,
      /^edgeward\.test\/cli-log\n40\n[A-Za-z0-9+/]{43}=\n\n\u2014 edgeward\.test\/cli-log [A-Za-z0-9+/]+=*\n$/,
    );
  });

  it("prove --json prints inclusion and consistency proofs that verify", async () => {
    const inc = JSON.parse(
      await ok(["log", "prove", "--db", p("log.db"), "--index", "17", "--size", "30", "--json"]),
    ) as {
      index: number;
      treeSize: number;
      leafHash: string;
      rootHash: string;
      proof: string[];
    };
    assert.deepEqual(Object.keys(inc), ["index", "treeSize", "leafHash", "rootHash", "proof"]);
    const b = (s: string): Uint8Array => decodeBase64(s, "EW_ERR_PROOF_MALFORMED", "hash");
    assert.deepEqual(b(inc.leafHash), leafHash(canonical(17)));
    verifyInclusion(b(inc.leafHash), 17, 30, inc.proof.map(b), b(inc.rootHash));
    const con = JSON.parse(await ok(["log", "prove", "--db", p("log.db"), "--from", "10", "--to", "40", "--json"])) as {
      size1: number;
      size2: number;
      root1: string;
      root2: string;
      proof: string[];
    };
    verifyConsistency(con.size1, con.size2, b(con.root1), b(con.root2), con.proof.map(b));
    const bundle = await ok(["log", "prove", "--db", p("log.db"), "--index", "3", "--bundle"]);
    assert.equal(verifyTlogProof(bundle, canonical(3), { logKey: vkey }).index, 3);
  });

  it("prove with sizes out of range or a bad command line rejects with a typed code", async () => {
    await fails(["log", "prove", "--db", p("log.db"), "--index", "40", "--json"], "EW_ERR_PROOF_RANGE", EXIT.format);
    await fails(
      ["log", "prove", "--db", p("log.db"), "--index", "1", "--size", "41"],
      "EW_ERR_PROOF_RANGE",
      EXIT.format,
    );
    await fails(["log", "prove", "--db", p("log.db"), "--from", "0"], "EW_ERR_PROOF_RANGE", EXIT.format);
    await fails(["log", "prove", "--db", p("log.db"), "--from", "30", "--to", "20"], "EW_ERR_PROOF_RANGE", EXIT.format);
    await fails(["log", "prove", "--db", p("log.db"), "--index", "-1"], "EW_ERR_USAGE", EXIT.usage);
    await fails(["log", "prove", "--db", p("log.db")], "EW_ERR_USAGE", EXIT.usage);
    await fails(["log", "prove", "--index", "1"], "EW_ERR_USAGE", EXIT.usage);
    await fails(["log", "checkpoint", "--db", p("missing.db")], "EW_ERR_LOG_NOT_FOUND", EXIT.io);
  });

  it("verify passes on the untouched log, also against a checkpoint kept elsewhere", async () => {
    writeFileSync(p("kept.checkpoint"), await ok(["log", "checkpoint", "--db", p("log.db")]));
    writeFileSync(p("log.vkey"), `${vkey}\n`);
    assert.match(
      await ok(["log", "verify", "--db", p("log.db"), "--vkey", vkey, "--checkpoint", p("kept.checkpoint")]),
      /^OK: 40 entries/,
    );
    await ok(["log", "verify", "--db", p("log.db"), "--vkey", p("log.vkey")]);
  });

  it("verify rejects malformed or wrong verifier keys with typed codes", async () => {
    await fails(["log", "verify", "--db", p("log.db"), "--vkey", "nonsense"], "EW_ERR_NOTE_VKEY", EXIT.format);
    const other = (
      await ok(["log", "init", "--db", p("other.db"), "--origin", ORIGIN, "--key", p("other.key")])
    ).trim();
    await fails(["log", "verify", "--db", p("log.db"), "--vkey", other], "EW_ERR_NOTE_UNKNOWN_KEY", EXIT.signature);
  });

  for (const [what, statements, code, index] of [
    ["an edited entry", [`UPDATE tlog_entries SET data = X'7b7d' WHERE idx = 17`], "EW_ERR_LOG_ENTRY_CHANGED", 17],
    ["a deleted entry", ["DELETE FROM tlog_entries WHERE idx = 22"], "EW_ERR_LOG_ENTRY_MISSING", 22],
    [
      "two reordered entries",
      [
        "UPDATE tlog_entries SET idx = -1 WHERE idx = 31",
        "UPDATE tlog_entries SET idx = 31 WHERE idx = 32",
        "UPDATE tlog_entries SET idx = 32 WHERE idx = -1",
      ],
      "EW_ERR_LOG_ENTRY_CHANGED",
      31,
    ],
    ["removed last entries", ["DELETE FROM tlog_entries WHERE idx >= 38"], "EW_ERR_LOG_TRUNCATED", 38],
  ] as const) {
    it(`verify detects ${what}, exits ${EXIT.log} with ${code} and names entry ${index}`, async () => {
      const db = copyLog(`tampered-${index}.db`);
      for (const s of statements) sql(db, s);
      const out = await fails(["log", "verify", "--db", db, "--vkey", vkey, "--json"], code, EXIT.log);
      const report = JSON.parse(out) as { ok: boolean; problem: { code: string; firstBadIndex: number } };
      assert.equal(report.ok, false);
      assert.equal(report.problem.code, code);
      assert.equal(report.problem.firstBadIndex, index);
      // The log also refuses to append on top of storage that contradicts its checkpoint.
      await fails(["log", "append", "--db", db], "EW_ERR_LOG_STORAGE_MISMATCH", EXIT.log, `${event(99)}\n`);
    });
  }

  it("verify detects a log rolled back with its checkpoints, against a checkpoint kept elsewhere (EW_ERR_LOG_TRUNCATED)", async () => {
    const db = copyLog("rolled-back.db");
    sql(
      db,
      "DELETE FROM tlog_entries WHERE idx >= 25; DELETE FROM tlog_checkpoints WHERE size > 25; DELETE FROM tlog_nodes",
    );
    const out = await fails(
      ["log", "verify", "--db", db, "--vkey", vkey, "--checkpoint", p("kept.checkpoint"), "--json"],
      "EW_ERR_LOG_TRUNCATED",
      EXIT.log,
    );
    assert.equal((JSON.parse(out) as { problem: { firstBadIndex: number } }).problem.firstBadIndex, 25);
  });
});
