// The hub's whole flow (docs/hub.md), end to end through the product: `edgeward hub init` (trusting the swtpm
// local CA for EK certificates), `edgeward hub serve` as its own process, `edgeward model publish` of the real
// PP-OCR classifier, and two swtpm devices speaking HTTPS with mTLS through curl — one enrolled by EK certificate, one by one-time
// token. Both attest, get the key and open the hub's ciphertext through their TPM; then the refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createP256TagIdentity, openToMemory, parsePcrSelectionText, policyPcrDigest, type wire } from "@edgeward/core";
import { DEFAULT_POLICY_PCRS, tpmKeyAgreement } from "@edgeward/tpm";
import { runCli, startServe, startSwtpm, swtpmLocalCa, tempDir } from "@edgeward/testkit";
import { activateBody, enrolBody, makeDeviceKeys, quoteBody, type DeviceKeys } from "./device-client.ts";
import { ATTEST_PCRS, opensslCsr, toolsDevice } from "./device-harness.ts";
import { ocrClassifierPath } from "./device-releases.ts";
import { curl } from "./mtls-harness.ts";

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(args);
  assert.equal(r.status, 0, `edgeward ${args.join(" ")}: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString("utf8")) as Record<string, unknown>;
}

function json<T>(r: { status: number; body: string }, status = 200): T {
  assert.equal(r.status, status, r.body);
  return JSON.parse(r.body) as T;
}

const code = (r: { body: string }) => (JSON.parse(r.body) as { code?: string }).code;

test("hub init, serve, model publish, and two swtpm devices over mTLS: the Must-show", async () => {
  using dir = tempDir();
  await using swA = await startSwtpm({ ekCert: "copy" });
  await using swB = await startSwtpm();
  const tpmA = toolsDevice(swA.tcti);
  const tpmB = toolsDevice(swB.tcti);
  const localCa = await swtpmLocalCa();
  const ekCa = join(dir.path, "ek-ca.pem");
  writeFileSync(ekCa, localCa.rootPem + localCa.intermediatePem);
  const hubDir = join(dir.path, "hub");
  const init = await cli(["hub", "init", "--dir", hubDir, "--ek-ca", ekCa, "--json"]);
  const caPath = String(init["caCertificate"]);
  await cli(["sign-keygen", "-o", join(dir.path, "publisher"), "--json"]);
  await cli(["hub", "publishers", "add", join(dir.path, "publisher.pub"), "--dir", hubDir, "--json"]);
  const serve = await startServe(["--dir", hubDir, "--listen", "127.0.0.1:0"]);
  const hub = { url: serve.url, caPath };
  const admin = ["-H", `authorization: Bearer ${String(init["adminToken"])}`];
  try {
    // The group's policy: a fresh swtpm's boot PCRs and PCR 14 as reference values, the unwrap key bound to 7 and 14.
    const pcrs = await tpmA.pcrRead(parsePcrSelectionText(ATTEST_PCRS));
    const reference = {
      sha256: Object.fromEntries(
        Object.entries(pcrs.sha256 ?? {}).map(([i, v]) => [i, [Buffer.from(v).toString("hex")]]),
      ),
    };
    const digest = Buffer.from(policyPcrDigest(DEFAULT_POLICY_PCRS, await tpmA.pcrRead(DEFAULT_POLICY_PCRS))).toString(
      "hex",
    );
    const policy = {
      autoApprove: true,
      attestPcrs: ATTEST_PCRS,
      reference,
      unwrapPolicy: { pcrs: "sha256:7,14", digests: [digest] },
    };
    json(await curl(hub, "/v1/groups/default/policy", { policy }, { extra: [...admin, "-X", "PUT"] }));
    json(await curl(hub, "/v1/groups", { name: "pilot" }, { extra: admin }), 201);

    // Publish: sealed and signed on the publisher's side; 2.0.0 and 1.0.0 to the default group, 3.0.0 to pilot only.
    const publish = async (version: string, group: string) =>
      cli([
        "model",
        "publish",
        ocrClassifierPath(),
        "--hub",
        serve.url,
        "--ca",
        caPath,
        "--token",
        String(init["adminToken"]),
        "--name",
        "classifier",
        "--version",
        version,
        "--sign",
        join(dir.path, "publisher.key"),
        "--group",
        group,
        "--json",
      ]);
    const v2 = await publish("2.0.0", "default");
    const v1 = await publish("1.0.0", "default");
    const pilot = await publish("3.0.0", "pilot");
    const sha = String(v2["sha256"]);
    const payload = readFileSync(join(hubDir, "blobs", sha.slice(0, 2), sha));
    const model = readFileSync(ocrClassifierPath());

    // Enrolment: A by its EK certificate, B by a one-time token.
    const [keysA, keysB] = [
      await makeDeviceKeys(tpmA, DEFAULT_POLICY_PCRS),
      await makeDeviceKeys(tpmB, DEFAULT_POLICY_PCRS),
    ];
    const token = json<{ enrolToken: string }>(
      await curl(hub, "/v1/enrol-tokens", { group: "default" }, { extra: admin }),
      201,
    );
    const enrol = async (keys: DeviceKeys, opts: { token?: string; ekCertificate?: boolean }) => {
      const res = json<wire.EnrolResponse>(await curl(hub, "/v1/device/enrol", await enrolBody(keys, opts)));
      return json<wire.ActivateResponse>(await curl(hub, "/v1/device/enrol/activate", await activateBody(keys, res)));
    };
    const a = await enrol(keysA, { ekCertificate: true });
    const b = await enrol(keysB, { token: token.enrolToken });
    assert.equal(a.state, "trusted");
    assert.equal(b.state, "trusted");

    // Attest without a certificate yet; a pass issues one.
    const certs: Record<string, { cert: string; key: string }> = {};
    const csrs: Record<string, { keyPath: string; csr: string }> = {};
    const attest = async (keys: DeviceKeys, id: string, tls?: { cert: string; key: string }) => {
      const ch = json<wire.ChallengeResponse>(
        await curl(hub, "/v1/device/attest/challenge", { deviceId: id, banks: ["sha256"] }, tls),
      );
      // One key per device: a renewal keeps it, so the certificate in use still matches its key.
      const { keyPath, csr } = (csrs[id] ??= opensslCsr(dir.path, id));
      const q = json<wire.QuoteResponse>(
        await curl(hub, "/v1/device/attest/quote", await quoteBody(keys, id, ch, { csr }), tls),
      );
      if (q.certificate !== undefined) {
        writeFileSync(join(dir.path, `${id}.pem`), q.certificate);
        certs[id] = { cert: join(dir.path, `${id}.pem`), key: keyPath };
      }
      return q;
    };
    for (const [keys, id] of [
      [keysA, a.deviceId],
      [keysB, b.deviceId],
    ] as const) {
      assert.equal((await attest(keys, id)).result, "pass");
      const answer = json<wire.ReleaseKeyResponse>(
        await curl(hub, `/v1/device/releases/${String(v2["id"])}/key`, {}, certs[id]),
      );
      const plain = await openToMemory(Buffer.concat([Buffer.from(answer.header, "base64"), payload]), [
        createP256TagIdentity(tpmKeyAgreement(keys.tpm, keys.unwrap)),
      ]);
      assert.ok(Buffer.from(plain).equals(model), "the re-wrapped header opens the shared ciphertext in this TPM");
    }

    // Not rolled out to the device's group; below the floor the 2.0.0 key raised.
    const refused = async (release: unknown, want: string) => {
      const r = await curl(hub, `/v1/device/releases/${String(release)}/key`, {}, certs[b.deviceId]);
      assert.equal(r.status, 403, r.body);
      assert.equal(code(r), want);
    };
    await refused(pilot["id"], "EW_ERR_KEY_RELEASE_NOT_ROLLED_OUT");
    await refused(v1["id"], "EW_ERR_KEY_RELEASE_BELOW_FLOOR");

    // A replayed quote is refused.
    const ch = json<wire.ChallengeResponse>(
      await curl(hub, "/v1/device/attest/challenge", { deviceId: b.deviceId, banks: ["sha256"] }, certs[b.deviceId]),
    );
    const body = await quoteBody(keysB, b.deviceId, ch);
    json(await curl(hub, "/v1/device/attest/quote", body, certs[b.deviceId]));
    assert.equal(
      code(await curl(hub, "/v1/device/attest/quote", body, certs[b.deviceId])),
      "EW_ERR_DEVICE_NONCE_UNKNOWN",
    );

    // A extends its application PCR (a tamper): its attestation fails, it is quarantined, and with its still valid
    // certificate it is refused the key and every mTLS route.
    await tpmA.pcrExtend(14, Buffer.from("tamper"));
    const fail = await attest(keysA, a.deviceId, certs[a.deviceId]);
    assert.equal(fail.result, "fail");
    assert.deepEqual(
      fail.reasons.map((r) => r.code),
      ["EW_ERR_ATTEST_PCR_VALUE"],
    );
    const key = await curl(hub, `/v1/device/releases/${String(v2["id"])}/key`, {}, certs[a.deviceId]);
    assert.equal(key.status, 403);
    assert.equal(code(key), "EW_ERR_DEVICE_QUARANTINED");
  } finally {
    assert.equal(await serve.stop(), 0);
  }
});
