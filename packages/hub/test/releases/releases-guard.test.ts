// A guard in a model release (docs/releases.md, "A guard in a release"): the manifest's guard, the guard payload's
// upload, the `.guard` TUF target beside the model's and its naming in the model target's custom, the log entry,
// and publication only once both payloads are in. Run on the hub database on SQLite and on PostgreSQL; a tuf-js
// client downloads the guard target, and the age CLI opens header + guard payload with the escrow identity.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { open, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { it } from "node:test";
import { generateIdentity, parseIdentities, parseRecipient, sealFileWithSecondPayload } from "@edgeward/core";
import { DurableLog, generateNoteKey } from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { BlobStore } from "../../src/blobs/blob-store.ts";
import { ReleasesService, type ReleaseStore } from "../../src/releases/index.ts";
import { makeClient, makeRepository } from "../tuf/helpers.ts";
import { chunked, fakeModel, manifestFor } from "./helpers.ts";
import { onReleaseDatabases, type OpenReleaseStore } from "./store-backends.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A model and a guard bundle sealed as a publisher does: one header, two payloads under its file key. */
async function sealWithGuard(dir: string, model: Uint8Array, guard: Uint8Array, recipient: string) {
  await writeFile(join(dir, "model.bin"), model);
  const input = await open(join(dir, "model.bin"), "r");
  const output = await open(join(dir, "model.age"), "wx");
  try {
    const sealed = await sealFileWithSecondPayload(input, output, [parseRecipient(recipient)], guard);
    const file = await readFile(join(dir, "model.age"));
    return {
      header: file.subarray(0, sealed.headerSize),
      payload: file.subarray(sealed.headerSize),
      guardPayload: Buffer.from(sealed.secondPayload),
    };
  } finally {
    await Promise.all([input.close(), output.close()]);
  }
}

/** A releases service on `store` with the real filesystem blob store and a real log, and a sealed release. */
async function setUp(dir: string, store: ReleaseStore) {
  const tuf = await makeRepository();
  const blobs = new BlobStore(join(dir, "blobs"));
  const { signer } = generateNoteKey("edgeward.test/hub");
  const log = await DurableLog.create(new SqliteStore(join(dir, "log.db")), { origin: signer.name, signer });
  const escrow = generateIdentity("x25519");
  const service = new ReleasesService({
    tuf: tuf.repo,
    store,
    blobs,
    log: { append: (e) => log.appendEvent(e), reader: log.reader, verifierKey: log.meta.vkey },
    escrow: parseIdentities(escrow.identityText),
    clock: () => tuf.clock.now,
  });
  const model = fakeModel(150_000);
  const guardFile = Buffer.from("version: 1\n# a guard file stands here\n");
  const bundle = Buffer.concat([Buffer.from("EWGB-test-bundle "), guardFile, randomBytes(90_000)]);
  const sealed = await sealWithGuard(dir, model, bundle, escrow.recipient);
  const guard = {
    configSha256: sha256(guardFile),
    length: sealed.guardPayload.length,
    sha256: sha256(sealed.guardPayload),
  };
  const manifest = manifestFor(sealed.payload, sealed.header, { guard });
  return { tuf, blobs, log, service, escrow, model, bundle, guard, manifest, ...sealed };
}

function guardSuite(openStore: OpenReleaseStore): void {
  it("publishes only once both payloads are in; the `.guard` target and custom.guard are what tuf-js reads; the age CLI opens header + guard payload", async () => {
    using dir = tempDir();
    const { store, close } = await openStore();
    const s = await setUp(dir.path, store);
    try {
      const created = await s.service.create(s.manifest, "tok-publisher");
      assert.deepEqual(created.guard, { ...s.guard, uploaded: false });
      assert.deepEqual((await store.get(created.id))?.guard, { ...s.guard, uploaded: false });
      // The model's ciphertext first is refused: a release is published only with its guard.
      await rejectsWithCode(s.service.upload(created.id, chunked(s.payload)), "EW_ERR_GUARD_PAYLOAD_MISSING");
      const withGuard = await s.service.uploadGuard(created.id, chunked(s.guardPayload));
      assert.equal(withGuard.guard?.uploaded, true);
      assert.equal(withGuard.logIndex, null);
      assert.equal(await s.tuf.repo.target("classifier/1.0.0.guard"), undefined, "nothing in TUF yet");
      assert.equal(await s.service.get(created.id), undefined, "no key release before publication");
      assert.deepEqual((await store.get(created.id))?.guard, { ...s.guard, uploaded: true });

      const published = await s.service.upload(created.id, chunked(s.payload));
      assert.equal(published.logIndex, 0);
      const modelTarget = await s.tuf.repo.target("classifier/1.0.0");
      assert.deepEqual(modelTarget?.custom["guard"], {
        configSha256: s.guard.configSha256,
        target: "classifier/1.0.0.guard",
      });
      const guardTarget = await s.tuf.repo.target("classifier/1.0.0.guard");
      assert.equal(guardTarget?.length, s.guardPayload.length);
      assert.equal(guardTarget?.hashes["sha256"], s.guard.sha256);
      assert.deepEqual(guardTarget?.custom, { releaseId: created.id, kind: "guard" });
      const event = JSON.parse(Buffer.from(await s.log.reader.entry(0)).toString()) as {
        kind: string;
        details: Record<string, unknown>;
      };
      assert.equal(event.kind, "model.publish");
      assert.equal(event.details["guardConfigSha256"], s.guard.configSha256);
      assert.equal(event.details["guardSha256"], s.guard.sha256);
      // A rollout keeps the guard named in the model target.
      await s.service.rollout(created.id, ["shop", "factory"]);
      assert.deepEqual((await s.tuf.repo.target("classifier/1.0.0"))?.custom["guard"], modelTarget?.custom["guard"]);

      // The device's side: tuf-js from the initial root finds the guard through the model target and downloads it
      // (the fetcher serves what the hub's blob store holds).
      for (const sha of [s.guard.sha256, sha256(s.payload)]) {
        const parts: Buffer[] = [];
        for await (const part of await s.blobs.read(sha)) parts.push(part as Buffer);
        s.tuf.blobs.set(sha, Buffer.concat(parts));
      }
      const { updater, targetDir } = await makeClient(s.tuf, dir.path);
      const info = await updater.getTargetInfo("classifier/1.0.0");
      const named = info?.custom["guard"] as { target: string; configSha256: string };
      const guardInfo = await updater.getTargetInfo(named.target);
      assert.equal(guardInfo?.custom["kind"], "guard");
      const downloaded = await readFile(await updater.downloadTarget(guardInfo, join(targetDir, "guard.payload")));
      assert.ok(downloaded.equals(s.guardPayload));

      // One header opens both payloads: the age CLI with the escrow identity as a second implementation.
      await writeFile(join(dir.path, "escrow.txt"), s.escrow.identityText);
      await writeFile(join(dir.path, "guard.age"), Buffer.concat([s.header, downloaded]));
      const opened = execFileSync("age", ["-d", "-i", join(dir.path, "escrow.txt"), join(dir.path, "guard.age")]);
      assert.ok(opened.equals(s.bundle));

      // Never plaintext in the hub's storage: neither the model nor the guard bundle is in any blob.
      const names = await readdir(join(dir.path, "blobs"), { recursive: true });
      assert.ok(names.includes(join(s.guard.sha256.slice(0, 2), s.guard.sha256)), "the guard payload is stored");
      for (const name of names.filter((n) => /[0-9a-f]{64}$/.test(n))) {
        const blob = await readFile(join(dir.path, "blobs", name));
        assert.equal(blob.indexOf(s.model.subarray(0, 64)), -1, name);
        assert.equal(blob.indexOf(s.bundle.subarray(0, 64)), -1, name);
      }
      await rejectsWithCode(s.service.uploadGuard(created.id, chunked(s.guardPayload)), "EW_ERR_RELEASE_STATE");
    } finally {
      await s.log.close();
      await close();
    }
  });

  it("a guard payload of another length or digest is refused with EW_ERR_RELEASE_DIGEST_MISMATCH and not recorded", async () => {
    using dir = tempDir();
    const { store, close } = await openStore();
    const s = await setUp(dir.path, store);
    try {
      const { id } = await s.service.create(s.manifest, null);
      const longer = Buffer.concat([s.guardPayload, Buffer.alloc(1)]);
      const shorter = s.guardPayload.subarray(1);
      const flipped = Buffer.from(s.guardPayload);
      flipped[100] = (flipped[100] ?? 0) ^ 1;
      for (const bad of [longer, shorter, flipped, s.payload]) {
        await rejectsWithCode(s.service.uploadGuard(id, chunked(bad)), "EW_ERR_RELEASE_DIGEST_MISMATCH");
      }
      assert.equal((await store.get(id))?.guard?.uploaded, false);
      assert.equal(await s.blobs.stat(s.guard.sha256), undefined);
      await rejectsWithCode(s.service.upload(id, chunked(s.payload)), "EW_ERR_GUARD_PAYLOAD_MISSING");
    } finally {
      await s.log.close();
      await close();
    }
  });

  it("a guard upload to a release that declared none is EW_ERR_GUARD_NOT_DECLARED; a release without a guard publishes as before", async () => {
    using dir = tempDir();
    const { store, close } = await openStore();
    const s = await setUp(dir.path, store);
    try {
      const { guard: _guard, ...plain } = s.manifest;
      const { id } = await s.service.create(plain, null);
      assert.equal((await store.get(id))?.guard, undefined);
      await rejectsWithCode(s.service.uploadGuard(id, chunked(s.guardPayload)), "EW_ERR_GUARD_NOT_DECLARED");
      await s.service.upload(id, chunked(s.payload));
      assert.equal((await s.tuf.repo.target("classifier/1.0.0"))?.custom["guard"], undefined);
      assert.equal(await s.tuf.repo.target("classifier/1.0.0.guard"), undefined);
      await rejectsWithCode(s.service.uploadGuard("nope", chunked(s.guardPayload)), "EW_ERR_RELEASE_NOT_FOUND");
    } finally {
      await s.log.close();
      await close();
    }
  });
}

onReleaseDatabases("a guard in a release, on the hub database", guardSuite);
