import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startPostgres, tempDir } from "@edgeward/testkit";
import { DurableLog, generateNoteKey } from "@edgeward/tlog";
import { PostgresStore } from "@edgeward/tlog/postgres";
import { seededRandom } from "@edgeward/testkit";
import { killAndRestart } from "./crash-harness.ts";

describe("SIGKILL during a stream of appends (PostgreSQL)", () => {
  it("after each of 10 random kills, every acknowledged entry is present and the tree is consistent with every printed checkpoint", async () => {
    await using server = await startPostgres();
    using dir = tempDir("edgeward-crash-pg-");
    const { skey, signer } = generateNoteKey("edgeward.test/crash-pg");
    writeFileSync(join(dir.path, "log.key"), skey);
    await (
      await DurableLog.create(new PostgresStore(server.url), { origin: "edgeward.test/crash-pg", signer })
    ).close();
    const seed = Number(process.env["EDGEWARD_CRASH_SEED"] ?? Date.now() % 100000);
    const result = await killAndRestart({
      rounds: 10,
      location: ["--postgres", server.url],
      keyFile: join(dir.path, "log.key"),
      signer,
      store: () => new PostgresStore(server.url),
      random: seededRandom(seed),
    });
    assert.ok(result.acked > 50, `only ${result.acked} appends were acknowledged in 10 rounds (seed ${seed})`);
  });
});
