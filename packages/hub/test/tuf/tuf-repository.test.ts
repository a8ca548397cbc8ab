// The repository's own rules: keys, thresholds, target checks, the refresh schedule and failing closed.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { rejectsWithCode, throwsWithCode } from "@edgeward/testkit";
import {
  DEFAULT_TUF_POLICY,
  exportTufSigner,
  generateTufSigner,
  importTufSigner,
  initTufRepository,
  MemoryTufStore,
  TufRepository,
} from "../../src/tuf/index.ts";
import { makeRepository } from "./helpers.ts";

const SHA = "11".repeat(32);
const version = (bytes: Uint8Array) =>
  (JSON.parse(Buffer.from(bytes).toString()) as { signed: { version: number } }).signed.version;

describe("TUF repository", () => {
  it("writes every role's first version with consistent-snapshot names, and one bin per 2^bits", async () => {
    const t = await makeRepository({ binBits: 3 });
    const names = t.store.names();
    for (const name of [
      "1.root.json",
      "1.targets.json",
      "1.snapshot.json",
      "timestamp.json",
      "1.releases-0.json",
      "1.releases-7.json",
    ]) {
      assert.ok(names.includes(name), name);
    }
    assert.equal(names.filter((n) => /^1\.releases-/.test(n)).length, 8);
  });

  it("when the store already holds a root, refuses to initialise again", async () => {
    const t = await makeRepository();
    await rejectsWithCode(
      initTufRepository({ store: t.store, offline: t.offline, online: t.online, now: t.clock.now }),
      "EW_ERR_TUF_ALREADY_INITIALISED",
    );
  });

  it("when fewer root keys than the threshold are given, refuses to initialise", async () => {
    await rejectsWithCode(makeRepository({ rootKeys: 1, rootThreshold: 2 }), "EW_ERR_TUF_THRESHOLD");
    await rejectsWithCode(makeRepository({ rootKeys: 1, rootThreshold: 0 }), "EW_ERR_TUF_POLICY");
  });

  it("when opened with an online key the metadata does not name, or on an empty store, refuses to open", async () => {
    const t = await makeRepository();
    const clock = () => t.clock.now;
    for (const role of ["snapshot", "timestamp", "releases"] as const) {
      const online = { ...t.online, [role]: generateTufSigner() };
      await rejectsWithCode(TufRepository.open({ store: t.store, online, clock }), "EW_ERR_TUF_SIGNER_MISMATCH");
    }
    await rejectsWithCode(
      TufRepository.open({ store: new MemoryTufStore(), online: t.online, clock }),
      "EW_ERR_TUF_NOT_INITIALISED",
    );
  });

  it("publishing a target rewrites one bin, the snapshot and the timestamp; the same contents again only move versions", async () => {
    const t = await makeRepository();
    const bin = t.repo.binFor("m/1");
    await t.repo.publish([{ path: "m/1", length: 5, sha256: SHA, custom: { groups: ["a"] } }]);
    assert.equal(version(await t.repo.metadata("timestamp.json")), 2);
    assert.ok(t.store.names().includes(`2.${bin}.json`));
    // A rollout change: same bytes, new custom metadata.
    await t.repo.publish([{ path: "m/1", length: 5, sha256: SHA, custom: { groups: ["a", "b"] } }]);
    assert.deepEqual((await t.repo.target("m/1"))?.custom, { groups: ["a", "b"] });
    assert.equal(await t.repo.target("m/2"), undefined);
  });

  it("when a path is published again with other contents, refuses with EW_ERR_TUF_TARGET_EXISTS and writes nothing", async () => {
    const t = await makeRepository();
    await t.repo.publish([{ path: "m/1", length: 5, sha256: SHA, custom: {} }]);
    const before = t.store.names().length;
    await rejectsWithCode(
      t.repo.publish([
        { path: "m/2", length: 5, sha256: SHA, custom: {} },
        { path: "m/1", length: 6, sha256: SHA, custom: {} },
      ]),
      "EW_ERR_TUF_TARGET_EXISTS",
    );
    assert.equal(t.store.names().length, before);
    assert.equal(await t.repo.target("m/2"), undefined);
  });

  it("when a target's path, length, hash or custom metadata is out of range, refuses with EW_ERR_TUF_TARGET_INVALID", async () => {
    const t = await makeRepository();
    const good = { path: "m/1", length: 5, sha256: SHA, custom: {} };
    const bad = [
      { ...good, path: "../etc/passwd" },
      { ...good, path: "m/.." },
      { ...good, path: "/m" },
      { ...good, path: "m//1" },
      { ...good, path: "m/1?x" },
      { ...good, length: -1 },
      { ...good, length: 1.5 },
      { ...good, sha256: "AB".repeat(32) },
      { ...good, sha256: "ab" },
      { ...good, custom: [] as unknown as Record<string, unknown> },
      { ...good, custom: { n: 1n } },
    ];
    for (const target of bad) await rejectsWithCode(t.repo.publish([target]), "EW_ERR_TUF_TARGET_INVALID");
  });

  it("serves only names of the repository's alphabet, and a missing version is not found", async () => {
    const t = await makeRepository();
    for (const name of ["../root.json", "root.json", "0.root.json", "1.root.json/x", "1.evil.json", "9.root.json"]) {
      await rejectsWithCode(t.repo.metadata(name), "EW_ERR_TUF_METADATA_NOT_FOUND");
    }
    assert.equal(version(await t.repo.metadata("1.root.json")), 1);
  });

  it("re-signs the timestamp once less than half its lifetime is left, and the snapshot and bins when they are due", async () => {
    const t = await makeRepository();
    const start = t.clock.now.getTime();
    const half = (DEFAULT_TUF_POLICY.expiry.timestamp * 1000) / 2;
    t.clock.now = new Date(start + half - 60_000);
    assert.equal(version(await t.repo.metadata("timestamp.json")), 1);
    t.clock.now = new Date(start + half + 60_000);
    assert.equal(version(await t.repo.metadata("timestamp.json")), 2);
    assert.equal(await t.repo.refresh(), false);
    assert.ok(!t.store.names().includes("2.snapshot.json"));
    // Past half the snapshot's week and half the bins' 90 days: one refresh signs all three again.
    t.clock.now = new Date(start + 46 * 86_400_000);
    assert.equal(await t.repo.refresh(), true);
    assert.ok(t.store.names().includes("2.snapshot.json"));
    assert.ok(t.store.names().includes("2.releases-0.json"));
  });

  it("when stored metadata is damaged, fails closed with EW_ERR_TUF_METADATA_CORRUPT", async () => {
    const t = await makeRepository();
    const bin = t.repo.binFor("m/1");
    await t.store.putAll([{ name: `${bin}.json`, bytes: Buffer.from('{"signed":') }]);
    await rejectsWithCode(
      t.repo.publish([{ path: "m/1", length: 1, sha256: SHA, custom: {} }]),
      "EW_ERR_TUF_METADATA_CORRUPT",
    );
    await t.store.putAll([{ name: `${bin}.json`, bytes: Buffer.from('{"signed":{"_type":"root"},"signatures":[]}') }]);
    await rejectsWithCode(t.repo.target("m/1"), "EW_ERR_TUF_METADATA_CORRUPT");
  });

  it("key files round-trip, and anything but an Ed25519 PKCS#8 key is refused with EW_ERR_TUF_KEY", () => {
    const signer = generateTufSigner();
    assert.equal(importTufSigner(exportTufSigner(signer)).key.keyID, signer.key.keyID);
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" });
    throwsWithCode(() => importTufSigner(p256.toString()), "EW_ERR_TUF_KEY");
    throwsWithCode(() => importTufSigner("not a key"), "EW_ERR_TUF_KEY");
  });
});
