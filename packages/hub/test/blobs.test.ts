import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { BlobStore } from "@edgeward/hub";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("content-addressed blob store", () => {
  it("names a blob by its sha256, reads ranges, and refuses content that is not the expected digest", async () => {
    using dir = tempDir("edgeward-blobs-");
    const blobs = new BlobStore(join(dir.path, "b"));
    const info = await blobs.put([Buffer.from("hello "), Buffer.from("world")]);
    assert.deepEqual(info, { sha256: sha("hello world"), length: 11 });
    assert.equal(await text(await blobs.read(info.sha256)), "hello world");
    assert.equal(await text(await blobs.read(info.sha256, { start: 6, end: 10 })), "world");
    await rejectsWithCode(blobs.put([Buffer.from("other")], info.sha256), "EW_ERR_HUB_BLOB_DIGEST");
    await rejectsWithCode(blobs.read(sha("missing")), "EW_ERR_HUB_BLOB_NOT_FOUND");
    await rejectsWithCode(blobs.read("../../etc/passwd"), "EW_ERR_HUB_BLOB_NOT_FOUND");
    assert.equal(await blobs.stat(sha("missing")), undefined);
    const names = readdirSync(join(dir.path, "b"), { recursive: true }).map(String);
    assert.ok(!names.some((n) => n.includes(".tmp")), "no temporary file is left behind");
    assert.deepEqual((await blobs.verify(info.sha256)).length, 11);
    writeFileSync(join(dir.path, "b", info.sha256.slice(0, 2), info.sha256), "hello w0rld");
    await rejectsWithCode(blobs.verify(info.sha256), "EW_ERR_HUB_BLOB_DIGEST");
  });
});
