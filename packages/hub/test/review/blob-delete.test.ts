// BlobStore.delete (docs/hub.md "Review entries"): content addressing lets rows share a blob, so a blob goes only
// when no row names it, checked before and after it is renamed aside; a row that appears in between gets it back.
// Real files in a temporary directory; `referenced` is the caller's row lookup, scripted here.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir, throwsWithCode } from "@edgeward/testkit";
import { BlobStore } from "@edgeward/hub";
import { DEFAULT_REVIEW_LIMITS, parseReviewLimits } from "../../src/review/index.ts";

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
