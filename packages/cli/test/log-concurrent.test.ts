import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { runCli } from "./helpers/cli.ts";

// Several processes appending to one SQLite log wait their turn for the write lock, and each signs only over the
// head it finds under that lock: every event lands once, and the log verifies.
const dir = tempDir("edgeward-log-concurrent-");
after(() => dir[Symbol.dispose]());

describe("edgeward log append from several processes at once", () => {
  it("five processes appending 2,000 events each all land, with distinct indices, and the log verifies", async () => {
    const db = join(dir.path, "log.db");
    const init = await runCli([
      "log",
      "init",
      "--db",
      db,
      "--origin",
      "edgeward.test/concurrent",
      "--key",
      `${db}.key`,
    ]);
    assert.equal(init.status, 0, init.stderr);
    const vkey = init.stdout.toString().trim();
    const PROCESSES = 5;
    const EACH = 2000;
    const runs = await Promise.all(
      Array.from({ length: PROCESSES }, (_, p) => {
        const lines = Array.from({ length: EACH }, (_, i) =>
          JSON.stringify({ actor: `agent:${p}`, kind: "guard.decision", subject: `req-${i}`, details: { p, i } }),
        );
        return runCli(["log", "append", "--db", db], { stdin: Buffer.from(`${lines.join("\n")}\n`) });
      }),
    );
    const indices = new Set<number>();
    for (const [p, r] of runs.entries()) {
      assert.equal(r.status, 0, `process ${p}: ${r.stderr}`);
      const printed = r.stdout.toString().trim().split("\n").map(Number);
      assert.equal(printed.length, EACH, `process ${p}`);
      for (const i of printed) indices.add(i);
    }
    assert.equal(indices.size, PROCESSES * EACH);
    assert.equal(Math.max(...indices), PROCESSES * EACH - 1);
    const verify = await runCli(["log", "verify", "--db", db, "--vkey", vkey]);
    assert.equal(verify.status, 0, verify.stderr);
    assert.match(verify.stdout.toString(), new RegExp(`^OK: ${PROCESSES * EACH} entries`));
  });
});
