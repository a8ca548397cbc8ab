// The `review` section of the agent's configuration (docs/agent.md "Configuration"; docs/guard.md "Review queue").
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateIdentity, wire } from "@edgeward/core";
import { rejectsWithCode, tempDir, throwsWithCode } from "@edgeward/testkit";
import { loadConfig, openReviewQueue, parseConfig, REVIEW_DEFAULTS, REVIEW_DIR, stateLayout } from "@edgeward/agent";

const { recipient } = generateIdentity("x25519");

describe("the review section of the agent's configuration", () => {
  it("reads recipient, folder and bounds from YAML, with the documented defaults", async () => {
    using dir = tempDir("edgeward-review-config-");
    const path = join(dir.path, "agent.yaml");
    writeFileSync(path, `review:\n  recipient: ${recipient}\n  dir: /var/lib/review\n  maxEntries: 5\n`);
    const c = await loadConfig(path);
    assert.deepEqual(c.review, {
      recipient,
      dir: "/var/lib/review",
      maxEntries: 5,
      maxBytes: REVIEW_DEFAULTS.maxBytes,
    });
    assert.deepEqual(parseConfig({ review: { recipient } }).review, { recipient, ...REVIEW_DEFAULTS });
    assert.equal(parseConfig({}).review, undefined, "no section: no queue");
  });

  it("refuses a bad section with EW_ERR_AGENT_CONFIG: no or bad recipient, unknown key, relative folder, bounds", () => {
    for (const review of [
      {},
      "age1",
      { recipient: "age1notarecipient" },
      { recipient: "-----BEGIN PUBLIC KEY-----" },
      { recipient: 7 },
      { recipient, extra: true },
      { recipient, dir: "relative/review" },
      { recipient, maxEntries: 0 },
      { recipient, maxEntries: 1.5 },
      { recipient, maxBytes: 1024 },
    ])
      throwsWithCode(() => parseConfig({ review }), "EW_ERR_AGENT_CONFIG");
  });

  it("refuses a bodyLimit whose sealed entry could not fit the hub's limit on one entry", () => {
    const tooLarge = Math.floor((wire.MAX_REVIEW_ENTRY_BYTES * 3) / 4);
    throwsWithCode(() => parseConfig({ review: { recipient }, bodyLimit: tooLarge }), "EW_ERR_AGENT_CONFIG");
    // Without review the same limit is fine, and the default limit fits with review.
    assert.equal(parseConfig({ bodyLimit: tooLarge }).bodyLimit, tooLarge);
    assert.ok(parseConfig({ review: { recipient } }).review !== undefined);
  });

  it("refuses a file whose review recipient is not age with EW_ERR_AGENT_CONFIG", async () => {
    using dir = tempDir("edgeward-review-config-");
    const path = join(dir.path, "agent.yaml");
    writeFileSync(path, "review: { recipient: ssh-rsa AAAA }\n");
    await rejectsWithCode(loadConfig(path), "EW_ERR_AGENT_CONFIG");
  });

  it("puts the queue in the state directory's review/ folder unless the section names one", async () => {
    using dir = tempDir("edgeward-review-queue-");
    const layout = stateLayout(dir.path);
    assert.equal(openReviewQueue(undefined, layout), undefined);
    const queue = openReviewQueue(parseConfig({ review: { recipient, maxEntries: 1 } }).review, layout)!;
    const id = await queue.enqueue({ input: "x" });
    assert.deepEqual(await queue.ids(), [id]);
    assert.deepEqual(readdirSync(join(dir.path, REVIEW_DIR)), [`${id}.age`]);
    await rejectsWithCode(queue.enqueue({ input: "y" }), "EW_ERR_REVIEW_QUEUE_FULL");
  });
});
