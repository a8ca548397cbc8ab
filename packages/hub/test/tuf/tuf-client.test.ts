// A real tuf-js client (the library the agent uses) against the hub's repository, given only the initial root.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Metadata, MetadataKind, MetaFile, Snapshot, Targets, Timestamp } from "@tufjs/models";
import { BadVersionError, ExpiredMetadataError, RuntimeError } from "tuf-js/dist/error.js";
import { tempDir } from "@edgeward/testkit";
import { generateTufSigner, SPEC_VERSION } from "../../src/tuf/index.ts";
import { makeClient, makeRepository, publishBytes, type TestRepository } from "./helpers.ts";

const CUSTOM = {
  name: "classifier",
  version: "1.0.0",
  floor: 1,
  kind: "model",
  omsBundleSha256: "ab".repeat(32),
  groups: ["shop"],
};

describe("tuf-js client against the hub repository", () => {
  it("verifies the repository from the initial root alone and downloads a target with its custom metadata", async () => {
    using dir = tempDir();
    const t = await makeRepository();
    const payload = randomBytes(70_000);
    await publishBytes(t, "classifier/1.0.0", payload, CUSTOM);
    await publishBytes(t, "other/2.0.0", randomBytes(100));
    const { updater, targetDir } = await makeClient(t, dir.path);
    await updater.refresh();
    const info = await updater.getTargetInfo("classifier/1.0.0");
    assert.ok(info);
    assert.deepEqual(info.custom, CUSTOM);
    const path = await updater.downloadTarget(info, join(targetDir, "model.age"));
    assert.deepEqual(await readFile(path), payload);
    assert.equal(await updater.getTargetInfo("classifier/9.9.9"), undefined);
  });

  it("when a mirror serves tampered target bytes, the download is refused", async () => {
    using dir = tempDir();
    const t = await makeRepository();
    const sha = await publishBytes(t, "classifier/1.0.0", randomBytes(1000), CUSTOM);
    const tampered = randomBytes(1000);
    t.blobs.set(sha, tampered);
    const { updater, targetDir } = await makeClient(t, dir.path);
    const info = await updater.getTargetInfo("classifier/1.0.0");
    assert.ok(info);
    await assert.rejects(updater.downloadTarget(info, join(targetDir, "x")), /hash|sha256/i);
  });

  it("when the timestamp has expired, the client refuses the repository", async () => {
    using dir = tempDir();
    // The hub's clock is five hours behind: it signed a 4 h timestamp that is already over for the device.
    const t = await makeRepository({ now: new Date(Date.now() - 5 * 3600_000) });
    await publishBytes(t, "classifier/1.0.0", randomBytes(10), CUSTOM);
    const { updater } = await makeClient(t, dir.path);
    await assert.rejects(updater.refresh(), ExpiredMetadataError);
  });

  it("when a mirror replays an older timestamp, the client refuses it", async () => {
    using dir = tempDir();
    const t = await makeRepository();
    const old = await t.repo.metadata("timestamp.json");
    await publishBytes(t, "classifier/1.0.0", randomBytes(10), CUSTOM);
    const { updater } = await makeClient(t, dir.path);
    await updater.refresh();
    // The device starts again on the metadata it persisted (timestamp version 2) and meets the replay.
    const { updater: restarted, fetcher } = await makeClient(t, dir.path);
    fetcher.override = (name) => (name === "timestamp.json" ? old : undefined);
    await assert.rejects(restarted.refresh(), BadVersionError);
  });

  it("when a mirror replays an older snapshot under the new version's name, the client refuses it", async () => {
    using dir = tempDir();
    const t = await makeRepository();
    await publishBytes(t, "classifier/1.0.0", randomBytes(10), CUSTOM);
    const older = await t.repo.metadata("2.snapshot.json");
    await publishBytes(t, "classifier/1.0.1", randomBytes(10), CUSTOM);
    const { updater, fetcher } = await makeClient(t, dir.path);
    fetcher.override = (name) => (name === "3.snapshot.json" ? older : undefined);
    await assert.rejects(updater.refresh(), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.match(err.message, /version|length/i);
      return true;
    });
  });

  it("when a bin is signed by a key the top-level targets did not delegate to, the client refuses its targets", async () => {
    using dir = tempDir();
    const t = await makeRepository();
    await publishBytes(t, "classifier/1.0.0", randomBytes(10), CUSTOM);
    // The database is taken over but not the offline keys: a forged bin (version 3, signed by a rogue key) is
    // listed by a snapshot and timestamp that the hub's online keys sign as usual.
    const bin = t.repo.binFor("classifier/1.0.0");
    const forged = new Metadata(
      Targets.fromJSON({
        _type: "targets",
        spec_version: SPEC_VERSION,
        version: 3,
        expires: "2099-01-01T00:00:00Z",
        targets: { "classifier/1.0.0": { length: 3, hashes: { sha256: "00".repeat(32) } } },
      }),
    );
    forged.sign(generateTufSigner().sign);
    await listBin(t, bin, forged);
    const { updater } = await makeClient(t, dir.path);
    await assert.rejects(updater.getTargetInfo("classifier/1.0.0"), /signed by 0\/1/);

    // Control: the same forgery signed by the delegated online key is accepted, so the refusal is the key's.
    forged.signatures = {};
    forged.sign(t.online.releases.sign);
    await listBin(t, bin, forged, 4);
    const { updater: control } = await makeClient(t, join(dir.path, "control"));
    assert.equal((await control.getTargetInfo("classifier/1.0.0"))?.length, 3);
  });
});

/** Writes `bin` into the store and a snapshot and timestamp (signed by the online keys) that list it. */
async function listBin(t: TestRepository, bin: string, metadata: Metadata<Targets>, next = 3): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(metadata.toJSON()));
  const snapshot = Metadata.fromJSON(
    MetadataKind.Snapshot,
    JSON.parse(Buffer.from(await t.repo.metadata(`${next - 1}.snapshot.json`)).toString()) as never,
  );
  const meta = {
    ...snapshot.signed.meta,
    [`${bin}.json`]: new MetaFile({ version: metadata.signed.version, length: bytes.length }),
  };
  const nextSnapshot = new Metadata(
    new Snapshot({ version: next, specVersion: SPEC_VERSION, expires: "2099-01-01T00:00:00Z", meta }),
  );
  nextSnapshot.sign(t.online.snapshot.sign);
  const snapshotBytes = Buffer.from(JSON.stringify(nextSnapshot.toJSON()));
  const timestamp = new Metadata(
    new Timestamp({
      version: next,
      specVersion: SPEC_VERSION,
      expires: "2099-01-01T00:00:00Z",
      snapshotMeta: new MetaFile({ version: next, length: snapshotBytes.length }),
    }),
  );
  timestamp.sign(t.online.timestamp.sign);
  await t.store.putAll([
    { name: `${metadata.signed.version}.${bin}.json`, bytes },
    { name: `${next}.snapshot.json`, bytes: snapshotBytes },
    { name: "timestamp.json", bytes: Buffer.from(JSON.stringify(timestamp.toJSON())) },
  ]);
}
