// The device flows end to end on real swtpm TPMs through tpm2-tools (ARCHITECTURE.md flows 2-4): two devices enrol
// (EK certificate; one-time token), attest, and open the real PP-OCR classifier with the key released to each;
// then every refusal the key-release promise names.
import { test, type TestContext } from "node:test";
import { join } from "node:path";
import assert from "node:assert/strict";
import { randomBytes, X509Certificate } from "node:crypto";
import { createP256TagIdentity, openToMemory, type wire } from "@edgeward/core";
import { DEFAULT_POLICY_PCRS, tpmKeyAgreement } from "@edgeward/tpm";
import { leafHash, openCheckpoint, parseVerifierKey, verifyInclusion } from "@edgeward/tlog";
import { rejectsWithCode, startPostgres, startSwtpm, tempDir } from "@edgeward/testkit";
import { HubStore } from "../src/store/hub-store.ts";
import { DatabaseDeviceStore } from "../src/device/database-store.ts";
import { MemoryDeviceStore, type DeviceStore } from "../src/device/index.ts";
import { deviceIdFromSan } from "../src/ca/index.ts";
import { attestationStatus, createDeviceServices, createEnrolToken } from "../src/device/index.ts";
import { activateBody, enrolBody, makeDeviceKeys, quoteBody, type DeviceKeys } from "./device-client.ts";
import { deviceHarness, opensslCsr, toolsDevice, type DeviceHarness } from "./device-harness.ts";

async function enrolAndActivate(h: DeviceHarness, keys: DeviceKeys, opts: { token?: string; ekCertificate?: boolean }) {
  const res = await h.services.enrolment.enrol(await enrolBody(keys, opts));
  return h.services.enrolment.activate(await activateBody(keys, res));
}

async function attest(h: DeviceHarness, keys: DeviceKeys, deviceId: string, csr?: string) {
  const ch = await h.services.attestation.challenge({ deviceId, banks: ["sha256"] }, deviceId);
  return h.services.attestation.quote(await quoteBody(keys, deviceId, ch, csr === undefined ? {} : { csr }), deviceId);
}

async function openWithKey(h: DeviceHarness, keys: DeviceKeys, answer: wire.ReleaseKeyResponse): Promise<Uint8Array> {
  // The device checks the hub logged the release it receives (ARCHITECTURE.md flow 7), then opens via its TPM.
  const cp = openCheckpoint(answer.checkpoint, parseVerifierKey(answer.logKey));
  const leaf = Buffer.from(answer.leaf ?? "", "base64");
  const p = answer.inclusionProof;
  verifyInclusion(
    leafHash(leaf),
    p.index,
    p.treeSize,
    p.hashes.map((x) => Buffer.from(x, "hex")),
    cp.root,
  );
  const file = Buffer.concat([Buffer.from(answer.header, "base64"), h.releases.payload()]);
  return openToMemory(file, [createP256TagIdentity(tpmKeyAgreement(keys.tpm, keys.unwrap))]);
}

/** The device side's stores: in memory, and on the hub's database on SQLite and on PostgreSQL. */
const BACKENDS: Array<[string, (dir: string) => Promise<{ store: DeviceStore; close: () => Promise<void> }>]> = [
  ["memory", () => Promise.resolve({ store: new MemoryDeviceStore(), close: () => Promise.resolve() })],
  [
    "SQLite",
    async (dir) => {
      const hub = await HubStore.open({ sqlite: join(dir, "hub.db") });
      return { store: new DatabaseDeviceStore(hub.db), close: () => hub.close() };
    },
  ],
  [
    "PostgreSQL",
    async () => {
      const server = await startPostgres();
      const hub = await HubStore.open({ postgres: server.url });
      return {
        store: new DatabaseDeviceStore(hub.db),
        close: async () => {
          await hub.close();
          await server.stop();
        },
      };
    },
  ],
];

for (const [backend, open] of BACKENDS)
  test(`${backend}: two swtpm devices enrol, attest, get the model key and are refused where the policy says`, async (t) => {
    using dir = tempDir();
    const opened = await open(dir.path);
    t.after(opened.close);
    await scenario(t, dir.path, opened.store);
  });

async function scenario(t: TestContext, dirPath: string, store: DeviceStore): Promise<void> {
  const dir = { path: dirPath };
  await using swA = await startSwtpm({ ekCert: "copy" });
  await using swB = await startSwtpm();
  await using swC = await startSwtpm();
  const tpmA = toolsDevice(swA.tcti);
  const tpmB = toolsDevice(swB.tcti);
  const tpmC = toolsDevice(swC.tcti);
  const h = await deviceHarness(tpmA, dir.path, store);
  h.releases.publish({
    id: "ocr-1",
    kind: "model",
    name: "ocr-cls",
    version: "1.0.0",
    groups: ["factory", "clinic"],
    sealed: true,
  });
  h.releases.publish({
    id: "ocr-2",
    kind: "model",
    name: "ocr-cls",
    version: "2.0.0",
    groups: ["pilot"],
    sealed: true,
  });
  h.releases.publish({
    id: "fw-1",
    kind: "package",
    name: "fw",
    version: "1.0.0",
    groups: ["factory", "clinic"],
    sealed: false,
  });
  h.releases.publish({
    id: "ocr-0",
    kind: "model",
    name: "ocr-cls",
    version: "0.9.0",
    groups: ["factory", "clinic"],
    sealed: true,
  });
  const [keysA, keysB] = await Promise.all([
    makeDeviceKeys(tpmA, DEFAULT_POLICY_PCRS),
    makeDeviceKeys(tpmB, DEFAULT_POLICY_PCRS),
  ]);
  let idA = "";
  let idB = "";

  await t.test("device A enrols by EK certificate and is trusted by its group's auto-approval", async () => {
    const r = await enrolAndActivate(h, keysA, { ekCertificate: true });
    assert.equal(r.state, "trusted");
    idA = r.deviceId;
    assert.equal((await h.store.getDevice(idA))?.enrolledVia, "ek-certificate");
  });

  await t.test("device B enrols by one-time token, waits for an operator, and the token cannot be reused", async () => {
    const { token } = await createEnrolToken({ store: h.store, now: h.clock.now }, "clinic");
    await rejectsWithCode(h.services.enrolment.enrol(await enrolBody(keysB)), "EW_ERR_DEVICE_ENROL_PROOF_MISSING");
    const r = await enrolAndActivate(h, keysB, { token });
    assert.equal(r.state, "pending");
    idB = r.deviceId;
    await rejectsWithCode(
      h.services.enrolment.enrol(await enrolBody(keysB, { token })),
      "EW_ERR_DEVICE_ENROL_DUPLICATE",
    );
    await h.store.updateDevice(idB, { state: "trusted" }, ["pending"]);
  });

  await t.test("both attest, pass, and get a device certificate naming them", async () => {
    for (const [keys, id] of [
      [keysA, idA],
      [keysB, idB],
    ] as const) {
      const { csr } = opensslCsr(dir.path, id);
      const r = await attest(h, keys, id, csr);
      assert.equal(r.result, "pass", JSON.stringify(r.reasons));
      const cert = new X509Certificate(r.certificate ?? "");
      assert.equal(deviceIdFromSan(cert.subjectAltName ?? ""), id);
      assert.ok(cert.verify(new X509Certificate(r.caCertificate).publicKey));
    }
  });

  await t.test(
    "both get the release's key, and the re-wrapped header opens the shared payload in their TPM",
    async () => {
      for (const [keys, id] of [
        [keysA, idA],
        [keysB, idB],
      ] as const) {
        const answer = await h.services.keyRelease.release(id, "ocr-1");
        const plain = await openWithKey(h, keys, answer);
        assert.ok(Buffer.from(plain).equals(Buffer.from(h.releases.model)));
      }
      // B's header does not open with A's key: it was wrapped to B alone.
      const forB = await h.services.keyRelease.release(idB, "ocr-1");
      await rejectsWithCode(openWithKey(h, keysA, forB), "EW_ERR_AGE_NO_IDENTITY");
    },
  );

  await t.test(
    "a release not rolled out to the group, one below the floor and an unsealed one are refused",
    async () => {
      await rejectsWithCode(h.services.keyRelease.release(idA, "ocr-2"), "EW_ERR_KEY_RELEASE_NOT_ROLLED_OUT");
      await rejectsWithCode(h.services.keyRelease.release(idA, "ocr-0"), "EW_ERR_KEY_RELEASE_BELOW_FLOOR");
      await rejectsWithCode(h.services.keyRelease.release(idA, "nope"), "EW_ERR_KEY_RELEASE_UNKNOWN");
      // An unsealed package has no file key to release.
      await rejectsWithCode(h.services.keyRelease.release(idA, "fw-1"), "EW_ERR_KEY_RELEASE_NO_KEY");
      const denials = h.events.filter((e) => e.kind === "key.deny").map((e) => e.details["reason"]);
      assert.deepEqual(denials.slice(-4), [
        "EW_ERR_KEY_RELEASE_NOT_ROLLED_OUT",
        "EW_ERR_KEY_RELEASE_BELOW_FLOOR",
        "EW_ERR_KEY_RELEASE_UNKNOWN",
        "EW_ERR_KEY_RELEASE_NO_KEY",
      ]);
    },
  );

  await t.test("a pass older than the group's freshness no longer releases a key; a new pass does", async () => {
    h.clock.advance(11 * 60_000);
    await rejectsWithCode(h.services.keyRelease.release(idB, "ocr-1"), "EW_ERR_KEY_RELEASE_NOT_FRESH");
    assert.equal((await attest(h, keysB, idB)).result, "pass");
    await h.services.keyRelease.release(idB, "ocr-1");
  });

  await t.test("a replayed nonce, an expired nonce and a quote for another nonce are refused", async () => {
    const svc = h.services.attestation;
    const ch = await svc.challenge({ deviceId: idB, banks: ["sha256"] }, idB);
    const body = await quoteBody(keysB, idB, ch);
    assert.equal((await svc.quote(body, idB)).result, "pass");
    await rejectsWithCode(svc.quote(body, idB), "EW_ERR_DEVICE_NONCE_UNKNOWN");
    const late = await svc.challenge({ deviceId: idB, banks: ["sha256"] }, idB);
    const lateBody = await quoteBody(keysB, idB, late);
    h.clock.advance(61_000);
    await rejectsWithCode(svc.quote(lateBody, idB), "EW_ERR_DEVICE_NONCE_EXPIRED");
    const ch1 = await svc.challenge({ deviceId: idB, banks: ["sha256"] }, idB);
    const other = randomBytes(32).toString("hex");
    await rejectsWithCode(svc.quote(await quoteBody(keysB, idB, ch1, { nonce: other }), idB), "EW_ERR_QUOTE_NONCE");
    // A nonce issued to A is refused for B, and B stays trusted through all of these refusals.
    const chA = await svc.challenge({ deviceId: idA, banks: ["sha256"] }, idA);
    await rejectsWithCode(svc.quote(await quoteBody(keysB, idB, chA), idB), "EW_ERR_DEVICE_NONCE_UNKNOWN");
    assert.equal((await h.store.getDevice(idB))?.state, "trusted");
  });

  await t.test("another TPM's unwrap key, or another TPM's AK, is refused at enrolment", async () => {
    const keysC = await makeDeviceKeys(tpmC, DEFAULT_POLICY_PCRS);
    const { token } = await createEnrolToken({ store: h.store, now: h.clock.now }, "clinic");
    // C's EK and AK with B's unwrap key and B's certify evidence: not signed by C's AK.
    const stolenKey = { ...keysC, unwrap: keysB.unwrap, recipient: keysB.recipient, certify: keysB.certify };
    await rejectsWithCode(
      h.services.enrolment.enrol(await enrolBody(stolenKey, { token })),
      "EW_ERR_TPM_CERTIFY_SIGNATURE",
    );
    // C's EK with B's AK (and B's certified key): the credential is bound to B's AK, which C's TPM does not hold.
    const stolenAk = { ...keysB, tpm: tpmC };
    const res = await h.services.enrolment.enrol(await enrolBody(stolenAk, { token }));
    await rejectsWithCode(activateBody(keysC, res), "EW_ERR_TPM_CREDENTIAL");
    await rejectsWithCode(
      h.services.enrolment.activate({ enrolmentId: res.enrolmentId, secret: randomBytes(32).toString("base64") }),
      "EW_ERR_DEVICE_ENROL_SECRET",
    );
    // A failed activation spends the enrolment: no second guess.
    const again = { enrolmentId: res.enrolmentId, secret: randomBytes(32).toString("base64") };
    await rejectsWithCode(h.services.enrolment.activate(again), "EW_ERR_DEVICE_ENROL_UNKNOWN");
  });

  await t.test("a TPM clock that goes back without a reboot fails attestation", async () => {
    const before = await h.store.getDevice(idB);
    const big = { clock: "999999999999", resetCount: 1_000_000, restartCount: 0, safe: true };
    await h.store.updateDevice(idB, { clock: big });
    const r = await attest(h, keysB, idB);
    assert.equal(r.result, "fail");
    assert.deepEqual(
      r.reasons.map((x) => x.code),
      ["EW_ERR_QUOTE_CLOCK"],
    );
    assert.equal((await h.store.getDevice(idB))?.state, "quarantined");
    await h.store.updateDevice(idB, { state: "trusted", ...(before?.clock ? { clock: before.clock } : {}) });
  });

  await t.test("a device whose PCR was extended fails attestation, is quarantined and refused the key", async () => {
    await tpmA.pcrExtend(14, Buffer.from("tamper: case opened"));
    const r = await attest(h, keysA, idA);
    assert.equal(r.result, "fail");
    assert.deepEqual(
      r.reasons.map((x) => x.code),
      ["EW_ERR_ATTEST_PCR_VALUE"],
    );
    assert.equal((await h.store.getDevice(idA))?.state, "quarantined");
    await rejectsWithCode(h.services.keyRelease.release(idA, "ocr-1"), "EW_ERR_KEY_RELEASE_NOT_TRUSTED");
    await rejectsWithCode(h.services.denyList.check(idA), "EW_ERR_DEVICE_QUARANTINED");
    await rejectsWithCode(
      h.services.attestation.challenge({ deviceId: idA, banks: ["sha256"] }, idA),
      "EW_ERR_DEVICE_QUARANTINED",
    );
    const stored = await h.store.listAttestations(idA, 1);
    assert.equal(stored[0]?.result, "fail");
    assert.ok(h.events.some((e) => e.kind === "device.quarantine" && e.subject === idA));
  });

  await t.test("a device that misses its interval shows as timeout, also to a restarted hub", () => {
    h.clock.advance(3 * 60_000);
    const restarted = createDeviceServices(h.services.ctx, h.releases);
    assert.ok(restarted);
    return h.store.getDevice(idB).then((d) => {
      assert.ok(d !== undefined);
      assert.equal(attestationStatus(d, h.clock.now()), "timeout");
    });
  });
}
