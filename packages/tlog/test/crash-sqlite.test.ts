import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { DurableLog, generateNoteKey } from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { seededRandom } from "@edgeward/testkit";
import { killAndRestart } from "./crash-harness.ts";

describe("SIGKILL during a stream of appends (SQLite, WAL, synchronous=FULL)", () => {
  it("after each of 24 random kills, every acknowledged entry is present and the tree is consistent with every printed checkpoint", async () => {
    using dir = tempDir("edgeward-crash-");
    const db = join(dir.path, "log.db");
    const { skey, signer } = generateNoteKey("edgeward.test/crash");
    writeFileSync(join(dir.path, "log.key"), skey);
    await (await DurableLog.create(new SqliteStore(db), { origin: "edgeward.test/crash", signer })).close();
    const seed = Number(process.env["EDGEWARD_CRASH_SEED"] ?? Date.now() % 100000);
    const result = await killAndRestart({
      rounds: 24,
      location: ["--db", db],
      keyFile: join(dir.path, "log.key"),
      signer,
      store: () => new SqliteStore(db),
      random: seededRandom(seed),
    });
    assert.ok(result.acked > 100, `only ${result.acked} appends were acknowledged in 24 rounds (seed ${seed})`);
    assert.ok(result.checkpoints > 24, `seed ${seed}`);
  });
});
