// hub.json's `review` section (docs/hub.md "Review entries") reaches the running hub: a hub directory made by init,
// its hub.json given a review section, opened as `serve` opens it. A bad section stops the hub opening.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { DEFAULT_REVIEW_LIMITS, createHubLogger, openHub } from "@edgeward/hub";
import { initHub } from "../../src/hubdir/init.ts";

describe("hub.json review section", () => {
  it("gives the opened hub its review limits (defaults without), and refuses a bad one with EW_ERR_HUB_DIR_INVALID", async () => {
    using dir = tempDir("edgeward-review-config-");
    const hubDir = join(dir.path, "hub");
    await initHub({ dir: hubDir, now: new Date() });
    const configPath = join(hubDir, "hub.json");
    const config = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
    const open = async () => {
      const opened = await openHub({ dir: hubDir, logger: createHubLogger({ level: "silent" }) });
      await opened.deps.audit.close();
      await opened.deps.store.close();
      return opened.deps.review;
    };
    assert.deepEqual(await open(), DEFAULT_REVIEW_LIMITS);
    writeFileSync(configPath, JSON.stringify({ ...config, review: { maxEntriesPerDevice: 5, retentionDays: 7 } }));
    assert.deepEqual(await open(), { ...DEFAULT_REVIEW_LIMITS, maxEntriesPerDevice: 5, retentionDays: 7 });
    writeFileSync(configPath, JSON.stringify({ ...config, review: { maxBytesPerDevice: "lots" } }));
    await rejectsWithCode(open(), "EW_ERR_HUB_DIR_INVALID");
  });
});
