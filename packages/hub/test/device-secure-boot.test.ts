// `secureBoot: required` on real swtpm quotes (ARCHITECTURE.md promise 2). Each TPM's PCR 7 is extended, as firmware
// would (TCG PC Client PFP §3.3.4.8), with the sha256 digests of the PCR 7 events of a real published event log
// (testkit's EVENTLOG_FIXTURES, sources in its SOURCES.md): Keylime's Secure Boot machine on device A, Keylime's
// machine without Secure Boot on device B. The device then sends a log with its quote and the hub decides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EV, parseEventLog, parsePcrSelectionText, policyPcrDigest } from "@edgeward/core";
import { DEFAULT_POLICY_PCRS, type TpmDevice } from "@edgeward/tpm";
import { EVENTLOG_FIXTURES, startSwtpm, tempDir, throwsWithCode } from "@edgeward/testkit";
import { completePolicy } from "../src/groups/policy.ts";
import { createEnrolToken } from "../src/device/index.ts";
import { activateBody, enrolBody, makeDeviceKeys, quoteBody, type DeviceKeys } from "./device-client.ts";
import { ATTEST_PCRS, deviceHarness, testGroup, toolsDevice, type DeviceHarness } from "./device-harness.ts";

const SECURE_LOG = readFileSync(join(EVENTLOG_FIXTURES, "keylime-binary_bios_measurements-secureboot.bin"));
const PLAIN_LOG = readFileSync(join(EVENTLOG_FIXTURES, "keylime-binary_bios_measurements.bin"));

/** TPM2_PCR_Extend of PCR 7 with each sha256 digest the log's PCR 7 events record (EV_NO_ACTION is never extended). */
function measurePcr7(tcti: string, log: Uint8Array): void {
  for (const event of parseEventLog(log).events) {
    if (event.pcr !== 7 || event.type === EV.NO_ACTION) continue;
    const digest = event.digests.find((d) => d.bank === "sha256")?.digest;
    assert.ok(digest !== undefined);
    execFileSync("tpm2_pcrextend", ["-T", tcti, `7:sha256=${Buffer.from(digest).toString("hex")}`]);
  }
}

async function unwrapDigest(tpm: TpmDevice): Promise<string> {
  return Buffer.from(policyPcrDigest(DEFAULT_POLICY_PCRS, await tpm.pcrRead(DEFAULT_POLICY_PCRS))).toString("hex");
}

async function enrol(h: DeviceHarness, keys: DeviceKeys): Promise<string> {
  const { token } = await createEnrolToken({ store: h.store, now: h.clock.now }, "secure");
  const res = await h.services.enrolment.enrol(await enrolBody(keys, { token }));
  return (await h.services.enrolment.activate(await activateBody(keys, res))).deviceId;
}

test("secureBoot: required passes only a log that replays to the quoted PCR 7 and shows SecureBoot on", async (t) => {
  using dir = tempDir();
  await using swA = await startSwtpm();
  await using swB = await startSwtpm();
  measurePcr7(swA.tcti, SECURE_LOG);
  measurePcr7(swB.tcti, PLAIN_LOG);
  const [tpmA, tpmB] = [toolsDevice(swA.tcti), toolsDevice(swB.tcti)];
  const h = await deviceHarness(tpmA, dir.path);
  // One group for both devices: each one's PCR 7 is an allowed value, so only the secure-boot policy tells them apart.
  const pcrsA = await tpmA.pcrRead(parsePcrSelectionText(ATTEST_PCRS));
  const pcr7B = (await tpmB.pcrRead(parsePcrSelectionText("sha256:7"))).sha256?.[7];
  assert.ok(pcr7B !== undefined);
  const group = testGroup("secure", pcrsA, await unwrapDigest(tpmA), {
    secureBoot: "required",
    quarantineOnFail: false,
    unwrapPolicy: { pcrs: "sha256:7,14", digests: [await unwrapDigest(tpmA), await unwrapDigest(tpmB)] },
  });
  const sha256 = group.reference["sha256"] ?? {};
  await h.store.putGroup({
    ...group,
    reference: { sha256: { ...sha256, "7": [...(sha256["7"] ?? []), Buffer.from(pcr7B).toString("hex")] } },
  });
  const [keysA, keysB] = await Promise.all([
    makeDeviceKeys(tpmA, DEFAULT_POLICY_PCRS),
    makeDeviceKeys(tpmB, DEFAULT_POLICY_PCRS),
  ]);
  const idA = await enrol(h, keysA);
  const idB = await enrol(h, keysB);

  async function attest(keys: DeviceKeys, id: string, eventLog: Uint8Array | undefined) {
    const ch = await h.services.attestation.challenge({ deviceId: id, banks: ["sha256"] }, id);
    const body = await quoteBody(keys, id, ch, eventLog === undefined ? {} : { eventLog });
    return h.services.attestation.quote(body, id);
  }
  const codes = (r: { reasons: ReadonlyArray<{ code: string }> }) => r.reasons.map((x) => x.code);

  await t.test("device A, sending the real log its PCR 7 was measured from (Secure Boot on), passes", async () => {
    const r = await attest(keysA, idA, SECURE_LOG);
    assert.equal(r.result, "pass", JSON.stringify(r.reasons));
    assert.equal((await h.store.getDevice(idA))?.lastResult, "pass");
  });

  await t.test("device B, sending its own log with SecureBoot 0, fails with EW_ERR_SECURE_BOOT_OFF", async () => {
    const r = await attest(keysB, idB, PLAIN_LOG);
    assert.equal(r.result, "fail");
    assert.deepEqual(codes(r), ["EW_ERR_SECURE_BOOT_OFF"]);
    assert.match(r.reasons[0]?.message ?? "", /Secure Boot/);
  });

  await t.test("device B, sending A's Secure Boot log, fails: it does not replay to B's quoted PCR 7", async () => {
    const r = await attest(keysB, idB, SECURE_LOG);
    assert.deepEqual(codes(r), ["EW_ERR_EVENTLOG_REPLAY_MISMATCH"]);
    const fail = h.events.filter((e) => e.kind === "attest.fail").at(-1);
    assert.deepEqual(fail?.details["reasons"], ["EW_ERR_EVENTLOG_REPLAY_MISMATCH"]);
  });

  await t.test("a quote without a log, or with a truncated one, fails with its code", async () => {
    assert.deepEqual(codes(await attest(keysA, idA, undefined)), ["EW_ERR_EVENTLOG_MISSING"]);
    const truncated = SECURE_LOG.subarray(0, SECURE_LOG.length - 7);
    assert.deepEqual(codes(await attest(keysA, idA, truncated)), ["EW_ERR_EVENTLOG_TRUNCATED"]);
    const history = await h.store.listAttestations(idA, 10);
    assert.ok(history.some((a) => a.reasons.some((r) => r.code === "EW_ERR_EVENTLOG_MISSING")));
  });

  await t.test("A passes again with its log; without the policy a missing log is not a reason", async () => {
    assert.equal((await attest(keysA, idA, SECURE_LOG)).result, "pass");
    await h.store.putGroup({ ...(await h.store.getGroup("secure"))!, secureBoot: "off" });
    assert.equal((await attest(keysB, idB, undefined)).result, "pass");
  });
});

test("a policy requiring Secure Boot must quote sha256 PCR 7: otherwise EW_ERR_HUB_POLICY_INVALID", () => {
  throwsWithCode(
    () => completePolicy({ secureBoot: "required", attestPcrs: "sha256:0,1,2" }),
    "EW_ERR_HUB_POLICY_INVALID",
  );
  throwsWithCode(() => completePolicy({ secureBoot: "required", attestPcrs: "sha1:7" }), "EW_ERR_HUB_POLICY_INVALID");
  assert.equal(completePolicy({ secureBoot: "required" }).secureBoot, "required");
});
