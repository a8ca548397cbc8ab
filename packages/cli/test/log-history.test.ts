import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { EXIT } from "@edgeward/core";
import { tempDir } from "@edgeward/testkit";
import { CLI_BIN, printedCode, runCli } from "./helpers/cli.ts";

// `edgeward log` guarding its own history: a database restored from a backup is refused before the key signs
// over it, `log verify` reads the whole entry table, and it audits a log on read-only media. Real processes on
// real SQLite files.
const dir = tempDir("edgeward-log-history-");
const p = (name: string): string => join(dir.path, name);
const ORIGIN = "edgeward.test/log-history";
let vkey = "";

const events = (from: number, count: number): string =>
  Array.from({ length: count }, (_, k) =>
    JSON.stringify({ actor: "hub", kind: "attest.pass", subject: `device-${from + k}`, details: {} }),
  ).join("\n") + "\n";

async function ok(args: string[], stdin?: string): Promise<string> {
  const res = await runCli(args, stdin === undefined ? {} : { stdin: Buffer.from(stdin) });
  assert.equal(res.status, 0, `edgeward ${args.join(" ")} failed: ${res.stderr}`);
  return res.stdout.toString();
}

async function fails(args: string[], code: string, stdin?: string): Promise<string> {
  const res = await runCli(args, stdin === undefined ? {} : { stdin: Buffer.from(stdin) });
  assert.equal(printedCode(res), code, res.stderr);
  assert.equal(res.status, EXIT.log, res.stderr);
  return res.stdout.toString();
}

before(async () => {
  vkey = (await ok(["log", "init", "--db", p("log.db"), "--origin", ORIGIN, "--key", p("log.key")])).trim();
  await ok(["log", "append", "--db", p("log.db")], events(0, 10));
});
after(() => dir[Symbol.dispose]());

describe("edgeward log keeps its own history honest", () => {
  it("append on a database restored from an older copy is refused with EW_ERR_LOG_ROLLED_BACK", async () => {
    copyFileSync(p("log.db"), p("backup.db"));
    await ok(["log", "append", "--db", p("log.db")], events(10, 5));
    const state = readFileSync(p("log.key.state"), "utf8");
    copyFileSync(p("backup.db"), p("log.db"));
    await fails(["log", "append", "--db", p("log.db")], "EW_ERR_LOG_ROLLED_BACK", events(100, 5));
    // Nothing was signed: the state still names size 15, and the restored database still ends at 10.
    assert.equal(readFileSync(p("log.key.state"), "utf8"), state);
    assert.match(await ok(["log", "checkpoint", "--db", p("log.db")]), /\n10\n/);
    // A second log under the same key is refused too.
    await fails(
      ["log", "init", "--db", p("second.db"), "--origin", ORIGIN, "--key", p("log.key")],
      "EW_ERR_LOG_ROLLED_BACK",
    );
  });

  for (const [index, what] of [
    [10000, "far past the tree"],
    [-1, "below 0"],
  ] as const)
    it(`verify finds a row planted ${what} (index ${index}) with EW_ERR_LOG_ENTRY_EXTRA`, async () => {
      const db = p(`planted${index}.db`);
      copyFileSync(p("backup.db"), db);
      const d = new DatabaseSync(db);
      d.prepare("INSERT INTO tlog_entries (idx, data) VALUES (?, ?)").run(index, Buffer.from("{}"));
      d.close();
      const out = await fails(["log", "verify", "--db", db, "--vkey", vkey, "--json"], "EW_ERR_LOG_ENTRY_EXTRA");
      assert.equal((JSON.parse(out) as { problem: { firstBadIndex: number } }).problem.firstBadIndex, index);
    });

  it("verify audits a log on read-only media and changes nothing", () => {
    const media = p("media");
    mkdirSync(media);
    copyFileSync(p("backup.db"), join(media, "log.db"));
    const before = readFileSync(join(media, "log.db"));
    // A read-only bind mount in a private mount namespace: as root, file modes alone would not stop a write.
    const script = `mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && exec "$2" "$3" log verify --db "$1/log.db" --vkey "$4"`;
    const res = spawnSync("unshare", ["-m", "sh", "-c", script, "sh", media, process.execPath, CLI_BIN, vkey], {
      encoding: "utf8",
    });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^OK: 10 entries/);
    assert.deepEqual(readFileSync(join(media, "log.db")), before);
  });
});
