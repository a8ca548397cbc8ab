import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateIdentity } from "@edgeward/core";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { ReviewQueue, type SealedEntry } from "../src/index.ts";
import { filesUnder } from "./helpers.ts";

describe("review queue", () => {
  it("writes only age ciphertext that the age CLI opens with the review identity", async () => {
    using dir = tempDir("edgeward-review-");
    const { identityText, recipient } = generateIdentity("x25519");
    writeFileSync(join(dir.path, "review.key"), identityText);
    const queue = new ReviewQueue({ dir: join(dir.path, "q"), recipient, maxEntries: 10, maxBytes: 1 << 20 });
    const marker = "PLAINTEXT-MARKER-4c1f";
    const id = await queue.enqueue({ clientId: marker, input: marker.repeat(50) });
    const files = filesUnder(join(dir.path, "q"));
    assert.deepEqual(
      files.map((f) => f.path),
      [join(dir.path, "q", `${id}.age`)],
    );
    for (const f of files) {
      assert.ok(f.bytes.subarray(0, 21).equals(Buffer.from("age-encryption.org/v1")), "an age file");
      assert.equal(f.bytes.indexOf(marker), -1, "no plaintext in the queue");
    }
    const opened = execFileSync("age", ["-d", "-i", join(dir.path, "review.key"), files[0]?.path ?? ""]);
    assert.equal((JSON.parse(opened.toString()) as { clientId: string }).clientId, marker);
  });

  it("when the queue holds maxEntries, or an entry would pass maxBytes, rejects with EW_ERR_REVIEW_QUEUE_FULL", async () => {
    using dir = tempDir("edgeward-review-");
    const { recipient } = generateIdentity("x25519");
    const queue = new ReviewQueue({ dir: dir.path, recipient, maxEntries: 2, maxBytes: 1 << 20 });
    await queue.enqueue({ n: 1 });
    await queue.enqueue({ n: 2 });
    await rejectsWithCode(queue.enqueue({ n: 3 }), "EW_ERR_REVIEW_QUEUE_FULL");
    assert.equal((await queue.usage()).entries, 2);
    const tiny = new ReviewQueue({ dir: join(dir.path, "tiny"), recipient, maxEntries: 10, maxBytes: 300 });
    await rejectsWithCode(tiny.enqueue({ big: "x".repeat(400) }), "EW_ERR_REVIEW_QUEUE_FULL");
    assert.deepEqual(await tiny.ids(), []);
  });

  it("drains oldest first, deleting an entry only after shipping it succeeded", async () => {
    using dir = tempDir("edgeward-review-");
    const { recipient } = generateIdentity("x25519");
    let t = 1000;
    const queue = new ReviewQueue({ dir: dir.path, recipient, maxEntries: 5, maxBytes: 1 << 20, now: () => t++ });
    const ids = [await queue.enqueue({ n: 1 }), await queue.enqueue({ n: 2 }), await queue.enqueue({ n: 3 })];
    const shipped: SealedEntry[] = [];
    assert.equal(await queue.drain((e) => Promise.resolve(void shipped.push(e)), 2), 2);
    assert.deepEqual(
      shipped.map((e) => e.id),
      ids.slice(0, 2),
    );
    await assert.rejects(
      queue.drain(() => Promise.reject(new Error("hub unreachable"))),
      /hub unreachable/,
    );
    assert.deepEqual(await queue.ids(), ids.slice(2), "an entry that failed to ship stays queued");
  });
});
