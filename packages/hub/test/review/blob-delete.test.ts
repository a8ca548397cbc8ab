// BlobStore.delete (docs/hub.md "Review entries"): content addressing lets rows share a blob, so a blob goes only
// when no row names it, checked before and after it is renamed aside; a row that appears in between gets it back.
// Real files in a temporary directory; `referenced` is the caller's row lookup, scripted here.
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir, throwsWithCode } from "@edgeward/testkit";
import { BlobStore, HubStore } from "@edgeward/hub";
import { DEFAULT_REVIEW_LIMITS, ReviewStore, parseReviewLimits } from "../../src/review/index.ts";

const answers = (...seq: boolean[]) => {
  let i = 0;
  return () => Promise.resolve(seq[Math.min(i++, seq.length - 1)]!);
};

describe("BlobStore.delete", () => {
  it("removes an unreferenced blob and leaves no file behind; a second delete finds nothing", async () => {
    using dir = tempDir("edgeward-blobdel-");
    const blobs = new BlobStore(dir.path);
    const { sha256 } = await blobs.put([Buffer.from("age-encryption.org/v1\nsealed")]);
    assert.equal(await blobs.delete(sha256, answers(false)), true);
    assert.equal(await blobs.stat(sha256), undefined);
    assert.deepEqual(
      readdirSync(dir.path).filter((n) => n.startsWith(".")),
      [],
      "nothing renamed aside is left",
    );
    assert.equal(await blobs.delete(sha256, answers(false)), false);
  });

  it("keeps a blob a row still names, and restores one a row started naming while it was set aside", async () => {
    using dir = tempDir("edgeward-blobdel-");
    const blobs = new BlobStore(dir.path);
    const content = Buffer.from("age-encryption.org/v1\nshared");
    const { sha256 } = await blobs.put([content]);
    assert.equal(await blobs.delete(sha256, answers(true)), false);
    assert.equal(await blobs.delete(sha256, answers(false, true)), false, "a row appeared after the first look");
    assert.deepEqual(await blobs.verify(sha256), { sha256, length: content.length });
    assert.deepEqual(
      readdirSync(dir.path).filter((n) => n.startsWith(".")),
      [],
    );
  });

  it("puts the blob back when the second look fails, and refuses a name that is not a SHA-256", async () => {
    using dir = tempDir("edgeward-blobdel-");
    const blobs = new BlobStore(dir.path);
    const { sha256 } = await blobs.put([Buffer.from("age-encryption.org/v1\nx")]);
    let n = 0;
    const failing = () => (n++ === 0 ? Promise.resolve(false) : Promise.reject(new Error("database gone")));
    await assert.rejects(blobs.delete(sha256, failing), /database gone/);
    assert.ok((await blobs.stat(sha256)) !== undefined);
    await rejectsWithCode(blobs.delete("../../etc/passwd", answers(false)), "EW_ERR_HUB_BLOB_NOT_FOUND");
  });
});

/**
 * A blob store whose every first put of a digest loses the file right after (what a concurrent BlobStore.delete of
 * another row's blob does when it looked before our row was inserted): a stand-in for that race.
 */
class RacingBlobStore extends BlobStore {
  readonly #lost = new Set<string>();
  override async put(chunks: Iterable<Uint8Array>, expected?: string) {
    const info = await super.put(chunks, expected);
    if (!this.#lost.has(info.sha256)) {
      this.#lost.add(info.sha256);
      rmSync(join(this.dir, info.sha256.slice(0, 2), info.sha256));
    }
    return info;
  }
}

describe("ReviewStore.put against a concurrent delete", () => {
  it("stores the blob again when it went between the blob's write and the row's insert", async () => {
    using dir = tempDir("edgeward-blobrace-");
    const store = await HubStore.open({ sqlite: join(dir.path, "hub.db") });
    try {
      const blobs = new RacingBlobStore(join(dir.path, "blobs"));
      const reviews = new ReviewStore(store.db as never, blobs);
      const ciphertext = Buffer.from("age-encryption.org/v1\nraced");
      const { sha256 } = await new BlobStore(join(dir.path, "probe")).put([ciphertext]);
      await reviews.put("cam-1", "001777636800000-a1b2c3d4e5f6", sha256, ciphertext, new Date());
      const got = await reviews.get("cam-1", "001777636800000-a1b2c3d4e5f6");
      assert.deepEqual(got.ciphertext, ciphertext);
    } finally {
      await store.close();
    }
  });
});

describe("parseReviewLimits (hub.json review)", () => {
  it("takes the defaults for what is absent and the given whole numbers", () => {
    assert.deepEqual(parseReviewLimits(undefined), DEFAULT_REVIEW_LIMITS);
    assert.deepEqual(parseReviewLimits({ retentionDays: 30, maxEntriesPerDevice: 10 }), {
      ...DEFAULT_REVIEW_LIMITS,
      retentionDays: 30,
      maxEntriesPerDevice: 10,
    });
  });

  it("refuses unknown fields, fractions, zero quotas and non-objects with EW_ERR_HUB_DIR_INVALID", () => {
    for (const bad of [
      { maxEntries: 1 },
      { maxBytesPerDevice: 1.5 },
      { maxTotalBytes: 0 },
      { retentionDays: -1 },
      [],
      "x",
    ])
      throwsWithCode(() => parseReviewLimits(bad), "EW_ERR_HUB_DIR_INVALID");
  });
});
