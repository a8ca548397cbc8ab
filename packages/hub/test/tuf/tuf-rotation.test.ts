// Root rotation with the offline keys (TUF 1.0 §5.3): a client holding only root 1 walks to root 2.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Metadata, MetadataKind } from "@tufjs/models";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { generateTufSigner, resignTopLevelTargets, rotateRoot } from "../../src/tuf/index.ts";
import { makeClient, makeRepository, publishBytes, switchOnlineKeys } from "./helpers.ts";

describe("root rotation", () => {
  it("moves to two new root keys (threshold 2) and a new timestamp key, and a client with root 1 follows", async () => {
    using dir = tempDir();
    const t = await makeRepository();
    await publishBytes(t, "classifier/1.0.0", randomBytes(100));
    const newRoot = [generateTufSigner(), generateTufSigner()];
    const newTimestamp = generateTufSigner();
    const version = await rotateRoot({
      store: t.store,
      now: t.clock.now,
      current: t.offline.root,
      changes: { root: { signers: newRoot, threshold: 2 }, timestamp: newTimestamp.key },
    });
    assert.equal(version, 2);
    // The running hub still holds the old timestamp key: reopening with it is refused.
    await switchOnlineKeys(t, { ...t.online, timestamp: newTimestamp });

    const { updater, targetDir } = await makeClient(t, dir.path);
    await updater.refresh();
    const trusted = JSON.parse(await readFile(join(dir.path, "metadata", "root.json"), "utf8")) as never;
    assert.equal(Metadata.fromJSON(MetadataKind.Root, trusted).signed.version, 2);
    const info = await updater.getTargetInfo("classifier/1.0.0");
    assert.ok(info);
    await updater.downloadTarget(info, join(targetDir, "m"));

    // A third root signed by one of the two new keys only misses the threshold of 2.
    await rejectsWithCode(
      rotateRoot({ store: t.store, now: t.clock.now, current: [newRoot[0]!], changes: {} }),
      "EW_ERR_TUF_THRESHOLD",
    );
  });

  it("when a new root is signed by its own keys only, the client refuses it", async () => {
    using dir = tempDir();
    const t = await makeRepository();
    const usurper = generateTufSigner();
    // Rotating with the usurper as "current" is refused by the hub itself.
    await rejectsWithCode(
      rotateRoot({ store: t.store, now: t.clock.now, current: [usurper], changes: {} }),
      "EW_ERR_TUF_THRESHOLD",
    );
    // Written by hand, the forged root 2 (the old root's contents, signed by the usurper alone) is refused.
    const root1 = Metadata.fromJSON(
      MetadataKind.Root,
      JSON.parse(Buffer.from(await t.repo.metadata("1.root.json")).toString()) as never,
    );
    const forged = Metadata.fromJSON(MetadataKind.Root, {
      ...root1.toJSON(),
      signatures: [],
      signed: { ...root1.signed.toJSON(), version: 2 },
    });
    forged.sign(usurper.sign);
    const { updater, fetcher } = await makeClient(t, dir.path);
    fetcher.override = (name) => (name === "2.root.json" ? Buffer.from(JSON.stringify(forged.toJSON())) : undefined);
    await assert.rejects(updater.refresh(), /signed by 0\/1/);
  });

  it("the offline targets keys move the bins to a new online releases key; clients follow, the old key is refused", async () => {
    using dir = tempDir();
    const t = await makeRepository();
    await publishBytes(t, "classifier/1.0.0", randomBytes(100));
    const newReleases = generateTufSigner();
    await rejectsWithCode(
      resignTopLevelTargets({
        store: t.store,
        now: t.clock.now,
        signers: [generateTufSigner()],
        releasesKey: newReleases.key,
      }),
      "EW_ERR_TUF_THRESHOLD",
    );
    const version = await resignTopLevelTargets({
      store: t.store,
      now: t.clock.now,
      signers: t.offline.targets,
      releasesKey: newReleases.key,
    });
    assert.equal(version, 2);
    await switchOnlineKeys(t, { ...t.online, releases: newReleases });
    await publishBytes(t, "classifier/1.0.1", randomBytes(100));
    const { updater } = await makeClient(t, dir.path);
    assert.ok(await updater.getTargetInfo("classifier/1.0.0"));
    assert.ok(await updater.getTargetInfo("classifier/1.0.1"));
    const snapshot = JSON.parse(Buffer.from(await t.repo.metadata("4.snapshot.json")).toString()) as {
      signed: { meta: Record<string, { version: number }> };
    };
    assert.equal(snapshot.signed.meta["targets.json"]?.version, 2);
  });
});
