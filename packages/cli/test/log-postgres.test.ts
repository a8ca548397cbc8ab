import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { EXIT } from "@edgeward/core";
import { startPostgres, tempDir, type PostgresServer } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";
import { leafHash, openCheckpoint, parseVerifierKey, verifyInclusion, decodeBase64 } from "@edgeward/tlog";

// `edgeward log` on --postgres URL: the same commands against a throwaway PostgreSQL server.
const dir = tempDir("edgeward-log-pg-");
let server: PostgresServer;
let vkey = "";
const event = (i: number): string =>
  JSON.stringify({
    time: "2026-05-01T12:00:00Z",
    actor: "hub",
    kind: "key.release",
    subject: `device-${i}`,
    details: {},
  });

async function ok(args: string[], stdin?: string): Promise<string> {
  const res = await runCli(args, stdin === undefined ? {} : { stdin: Buffer.from(stdin) });
  assert.equal(res.status, 0, `edgeward ${args.join(" ")} failed: ${res.stderr}`);
  return res.stdout.toString();
}

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.stop();
  dir[Symbol.dispose]();
});

describe("edgeward log --postgres", () => {
  it("init, append, checkpoint, prove and verify work on PostgreSQL, and verify names an edited entry", async () => {
    const db = ["--postgres", server.url];
    vkey = (await ok(["log", "init", ...db, "--origin", "edgeward.test/pg", "--key", join(dir.path, "pg.key")])).trim();
    assert.equal(await ok(["log", "append", ...db], `${event(0)}\n${event(1)}\n${event(2)}\n`), "0\n1\n2\n");
    const cp = openCheckpoint(await ok(["log", "checkpoint", ...db]), parseVerifierKey(vkey));
    assert.equal(cp.size, 3);
    const p = JSON.parse(await ok(["log", "prove", ...db, "--index", "1", "--json"])) as {
      leafHash: string;
      proof: string[];
    };
    const b = (s: string): Uint8Array => decodeBase64(s, "EW_ERR_PROOF_MALFORMED", "hash");
    verifyInclusion(b(p.leafHash), 1, 3, p.proof.map(b), cp.root);
    assert.deepEqual(
      b(p.leafHash),
      leafHash(Buffer.from(JSON.stringify(JSON.parse(event(1)), ["actor", "details", "kind", "subject", "time"]))),
    );
    assert.match(await ok(["log", "verify", ...db, "--vkey", vkey]), /^OK: 3 entries/);

    const c = new pg.Client(server.url);
    await c.connect();
    await c.query("UPDATE tlog_entries SET data = '\\x7b7d'::bytea WHERE idx = 1");
    await c.end();
    const res = await runCli(["log", "verify", ...db, "--vkey", vkey, "--json"]);
    assert.equal(printedCode(res), "EW_ERR_LOG_ENTRY_CHANGED");
    assert.equal(res.status, EXIT.log);
    assert.equal(
      (JSON.parse(res.stdout.toString()) as { problem: { firstBadIndex: number } }).problem.firstBadIndex,
      1,
    );
  });

  it("when the server cannot be reached, rejects with EW_ERR_LOG_STORAGE", async () => {
    const res = await runCli(["log", "checkpoint", "--postgres", "postgres://postgres@127.0.0.1:1/none"]);
    assert.equal(printedCode(res), "EW_ERR_LOG_STORAGE");
    assert.equal(res.status, EXIT.io);
  });
});
