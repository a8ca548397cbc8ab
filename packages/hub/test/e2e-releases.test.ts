// Key release end to end with the hub's own releases service (TUF target, hub log, escrow re-wrap) rather than a
// stand-in: a real PP-OCR classifier sealed to the escrow key is published; a swtpm device enrolled by EK
// certificate attests and receives a header that opens the shared payload through its TPM, with an inclusion proof
// of the release in the hub log; a rollout to another group and a release below the device's floor are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createP256TagIdentity, openToMemory } from "@edgeward/core";
import { DEFAULT_POLICY_PCRS, tpmKeyAgreement } from "@edgeward/tpm";
import { leafHash, openCheckpoint, parseVerifierKey, verifyInclusion } from "@edgeward/tlog";
import { rejectsWithCode, startSwtpm, tempDir } from "@edgeward/testkit";
import { createDeviceServices } from "../src/device/services.ts";
import { activateBody, enrolBody, makeDeviceKeys, quoteBody } from "./device-client.ts";
import { deviceHarness, toolsDevice } from "./device-harness.ts";
import { ocrClassifierPath } from "./device-releases.ts";
import { chunked, makeReleases, manifestFor, sealApart } from "./releases/helpers.ts";

test("a device gets the key of a release published through the hub's releases service", async () => {
  using dir = tempDir();
  await using sw = await startSwtpm({ ekCert: "copy" });
  await using r = await makeReleases(dir.path);
  const tpm = toolsDevice(sw.tcti);
  const h = await deviceHarness(tpm, dir.path);
  const services = createDeviceServices(h.services.ctx, r.service);
  const model = await readFile(ocrClassifierPath());
  const { header, payload } = await sealApart(model, r.escrowRecipient);
  const publish = async (version: string, groups: string[], floor?: string) => {
    const fields = { version, groups, ...(floor === undefined ? {} : { floor }) };
    const created = await r.service.create(manifestFor(payload, header, fields), "tok-publisher");
    await r.service.upload(created.id, chunked(payload));
    return created.id;
  };
  const v2 = await publish("2.0.0", ["factory"]);
  const v1 = await publish("1.0.0", ["factory"]);
  const pilot = await publish("3.0.0", ["pilot"]);

  const keys = await makeDeviceKeys(tpm, DEFAULT_POLICY_PCRS);
  const res = await services.enrolment.enrol(await enrolBody(keys, { ekCertificate: true }));
  const { deviceId, state } = await services.enrolment.activate(await activateBody(keys, res));
  assert.equal(state, "trusted");
  const ch = await services.attestation.challenge({ deviceId, banks: ["sha256"] }, deviceId);
  assert.equal((await services.attestation.quote(await quoteBody(keys, deviceId, ch), deviceId)).result, "pass");

  const answer = await services.keyRelease.release(deviceId, v2);
  const cp = openCheckpoint(answer.checkpoint, parseVerifierKey(answer.logKey));
  const p = answer.inclusionProof;
  verifyInclusion(
    leafHash(Buffer.from(answer.leaf ?? "", "base64")),
    p.index,
    p.treeSize,
    p.hashes.map((x) => Buffer.from(x, "hex")),
    cp.root,
  );
  const file = Buffer.concat([Buffer.from(answer.header, "base64"), payload]);
  const plain = await openToMemory(file, [createP256TagIdentity(tpmKeyAgreement(tpm, keys.unwrap))]);
  assert.ok(Buffer.from(plain).equals(model));

  await rejectsWithCode(services.keyRelease.release(deviceId, pilot), "EW_ERR_KEY_RELEASE_NOT_ROLLED_OUT");
  await rejectsWithCode(services.keyRelease.release(deviceId, v1), "EW_ERR_KEY_RELEASE_BELOW_FLOOR");
  // Rolled out to the device's group later, the pilot release's key is released.
  await r.service.rollout(pilot, ["pilot", "factory"]);
  await services.keyRelease.release(deviceId, pilot);
});
