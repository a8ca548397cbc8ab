// Enrolment and attestation refusals on a real swtpm, each with its code (ARCHITECTURE.md flows 2-3), plus the
// weaker learn mode and the 429 with Retry-After a device gets when it asks for too many nonces.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_POLICY_PCRS } from "@edgeward/tpm";
import { rejectsWithCode, startSwtpm, tempDir } from "@edgeward/testkit";
import { createEnrolToken, RetryLater, type DeviceContext } from "../src/device/index.ts";
import { EnrolmentService } from "../src/device/enrolment.ts";
import { activateBody, enrolBody, makeDeviceKeys, quoteBody } from "./device-client.ts";
import { deviceHarness, toolsDevice } from "./device-harness.ts";

test("enrolment refusals, learn mode and attestation rate limits on a real swtpm", async (t) => {
  using dir = tempDir();
  await using sw = await startSwtpm({ ekCert: "copy" });
  const tpm = toolsDevice(sw.tcti);
  const h = await deviceHarness(tpm, dir.path);
  const keys = await makeDeviceKeys(tpm, DEFAULT_POLICY_PCRS);
  const svc = h.services.enrolment;
  const ctx: DeviceContext = h.services.ctx;

  await t.test("an EK certificate from an unconfigured manufacturer is refused", async () => {
    const strict = new EnrolmentService({ ...ctx, manufacturerRoots: [], manufacturerIntermediates: [] });
    await rejectsWithCode(strict.enrol(await enrolBody(keys, { ekCertificate: true })), "EW_ERR_TPM_EK_CERT_CHAIN");
  });

  await t.test("an EK certificate for another EK, or the wrong EK type, is refused", async () => {
    const body = await enrolBody(keys, { ekCertificate: true });
    const ecc = await enrolBody({ ...keys, ekType: "ecc" }, {});
    await rejectsWithCode(svc.enrol({ ...body, ekPublic: ecc.ekPublic, ekType: "ecc" }), "EW_ERR_TPM_EK_CERT_KEY");
    await rejectsWithCode(svc.enrol({ ...body, ekType: "ecc" }), "EW_ERR_DEVICE_ENROL_EK_MISMATCH");
  });

  await t.test("unknown and expired tokens are refused, and no token is made for a missing group", async () => {
    await rejectsWithCode(svc.enrol(await enrolBody(keys, { token: "ewt_nope" })), "EW_ERR_DEVICE_ENROL_TOKEN");
    const { token } = await createEnrolToken({ store: h.store, now: h.clock.now }, "clinic", 1000);
    h.clock.advance(2000);
    await rejectsWithCode(svc.enrol(await enrolBody(keys, { token })), "EW_ERR_DEVICE_ENROL_TOKEN");
    await rejectsWithCode(
      createEnrolToken({ store: h.store, now: h.clock.now }, "nowhere"),
      "EW_ERR_DEVICE_GROUP_UNKNOWN",
    );
  });

  await t.test(
    "an unwrap key over other PCRs, under another policy, or with a wrong recipient is refused",
    async () => {
      const body = await enrolBody(keys, { ekCertificate: true });
      await rejectsWithCode(
        svc.enrol({ ...body, unwrapKey: { ...body.unwrapKey, pcrSelection: "sha256:7" } }),
        "EW_ERR_DEVICE_ENROL_UNWRAP_KEY",
      );
      const other = await makeDeviceKeys(tpm, [{ bank: "sha256", pcrs: [0, 7, 14] }]);
      const otherBody = await enrolBody(other, { ekCertificate: true });
      await rejectsWithCode(
        svc.enrol({ ...otherBody, unwrapKey: { ...otherBody.unwrapKey, pcrSelection: "sha256:7,14" } }),
        "EW_ERR_TPM_CERTIFY_POLICY",
      );
      await rejectsWithCode(
        svc.enrol({ ...body, unwrapKey: { ...body.unwrapKey, recipient: other.recipient } }),
        "EW_ERR_DEVICE_ENROL_UNWRAP_KEY",
      );
      // The AK in the evidence must be a restricted signing key: the unwrap key's public area is not one.
      await rejectsWithCode(svc.enrol({ ...body, akPublic: body.unwrapKey.public }), "EW_ERR_TPM_CERTIFY_ATTRIBUTES");
      // Each refusal is in the audit log with its code.
      const refused = h.events.filter((e) => e.kind === "device.enrol.refuse").map((e) => e.details["reason"]);
      assert.ok(refused.includes("EW_ERR_TPM_CERTIFY_POLICY") && refused.includes("EW_ERR_TPM_CERTIFY_ATTRIBUTES"));
    },
  );

  await t.test("an activation after the enrolment expired is refused", async () => {
    const res = await svc.enrol(await enrolBody(keys, { ekCertificate: true }));
    const act = await activateBody(keys, res);
    h.clock.advance(6 * 60_000);
    await rejectsWithCode(svc.activate(act), "EW_ERR_DEVICE_ENROL_UNKNOWN");
  });

  await t.test(
    "learn mode records the first device's PCR values, labelled weaker, and holds later quotes to them",
    async () => {
      const group = await h.store.getGroup("factory");
      assert.ok(group !== undefined);
      await h.store.putGroup({
        ...group,
        name: "learning",
        learn: true,
        reference: {},
        unwrapPolicy: { ...group.unwrapPolicy, digests: [] },
      });
      const { token } = await createEnrolToken({ store: h.store, now: h.clock.now }, "learning");
      const res = await svc.enrol(await enrolBody(keys, { token }));
      const { deviceId } = await svc.activate(await activateBody(keys, res));
      const learned = await h.store.getGroup("learning");
      assert.deepEqual(learned?.unwrapPolicy.digests.length, 1);
      const ch = await h.services.attestation.challenge({ deviceId, banks: ["sha256"] }, deviceId);
      assert.equal((await h.services.attestation.quote(await quoteBody(keys, deviceId, ch), deviceId)).result, "pass");
      assert.equal(Object.keys((await h.store.getGroup("learning"))?.reference["sha256"] ?? {}).length, 9);
      assert.ok(h.events.some((e) => e.kind === "group.learn" && e.details["weaker"] === true));
      await tpm.pcrExtend(14, Buffer.from("changed"));
      const ch2 = await h.services.attestation.challenge({ deviceId, banks: ["sha256"] }, deviceId);
      const r = await h.services.attestation.quote(await quoteBody(keys, deviceId, ch2), deviceId);
      assert.deepEqual(
        r.reasons.map((x) => x.code),
        ["EW_ERR_ATTEST_PCR_VALUE"],
      );
      // Too many unused nonces: 429 with a Retry-After in seconds (the operator released the quarantine first).
      // Without a certificate (anyone may ask) the quota is 4; the device with its certificate may ask for 4 more.
      await h.store.updateDevice(deviceId, { state: "trusted" });
      for (let i = 0; i < 4; i++) await h.services.attestation.challenge({ deviceId, banks: ["sha256"] }, undefined);
      await rejectsWithCode(
        h.services.attestation.challenge({ deviceId, banks: ["sha256"] }, undefined),
        "EW_ERR_DEVICE_RATE_LIMITED",
      );
      for (let i = 0; i < 4; i++) await h.services.attestation.challenge({ deviceId, banks: ["sha256"] }, deviceId);
      await assert.rejects(
        h.services.attestation.challenge({ deviceId, banks: ["sha256"] }, deviceId),
        (err: unknown) => {
          assert.ok(err instanceof RetryLater);
          assert.equal(err.code, "EW_ERR_DEVICE_RATE_LIMITED");
          assert.equal(err.retryAfterSeconds, 60);
          return true;
        },
      );
      await rejectsWithCode(
        h.services.attestation.challenge({ deviceId, banks: ["sha1"] }, deviceId),
        "EW_ERR_ATTEST_PCR_MISSING",
      );
      await rejectsWithCode(
        h.services.attestation.challenge({ deviceId, banks: ["sha256"] }, "dev-other"),
        "EW_ERR_DEVICE_CERT_MISMATCH",
      );
    },
  );
});
