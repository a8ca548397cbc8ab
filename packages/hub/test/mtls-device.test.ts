// Promise 4 checked from outside: curl and openssl s_client against the hub's HTTPS listener. A device enrols and
// renews by attestation without a certificate, then uses its certificate; no certificate, another CA's, an expired
// one, a quarantined or revoked device's, and TLS below 1.2 are each refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { wire } from "@edgeward/core";
import { DEFAULT_POLICY_PCRS } from "@edgeward/tpm";
import { startSwtpm, tempDir } from "@edgeward/testkit";
import { createEnrolToken } from "../src/device/enrolment.ts";
import { activateBody, enrolBody, makeDeviceKeys, quoteBody } from "./device-client.ts";
import { opensslCsr, toolsDevice } from "./device-harness.ts";
import { curl, sClient, startMtlsHub } from "./mtls-harness.ts";

function code(body: string): string {
  try {
    return (JSON.parse(body) as { code?: string }).code ?? "";
  } catch {
    return "";
  }
}

test("the device API over HTTPS: mTLS as curl and openssl s_client see it", async (t) => {
  using dir = tempDir();
  await using sw = await startSwtpm();
  const tpm = toolsDevice(sw.tcti);
  const hub = await startMtlsHub(tpm, dir.path);
  t.after(() => hub.close());
  const keys = await makeDeviceKeys(tpm, DEFAULT_POLICY_PCRS);
  const { token } = await createEnrolToken({ store: hub.h.store, now: () => new Date() }, "factory");
  let deviceId = "";
  const certPath = join(dir.path, "device.pem");
  const { keyPath, csr } = opensslCsr(dir.path, "device");

  await t.test("enrolment and a first attestation work without a client certificate and issue one", async () => {
    const enrol = await curl(hub, "/v1/device/enrol", await enrolBody(keys, { token }));
    assert.equal(enrol.status, 200, enrol.body);
    const activate = await curl(
      hub,
      "/v1/device/enrol/activate",
      await activateBody(keys, JSON.parse(enrol.body) as wire.EnrolResponse),
    );
    assert.equal(activate.status, 200, activate.body);
    deviceId = (JSON.parse(activate.body) as { deviceId: string }).deviceId;
    const ch = await curl(hub, "/v1/device/attest/challenge", { deviceId, banks: ["sha256"] });
    assert.equal(ch.status, 200, ch.body);
    const q = await curl(
      hub,
      "/v1/device/attest/quote",
      await quoteBody(keys, deviceId, JSON.parse(ch.body) as wire.ChallengeResponse, { csr }),
    );
    assert.equal(q.status, 200, q.body);
    const answer = JSON.parse(q.body) as { result: string; certificate: string };
    assert.equal(answer.result, "pass");
    writeFileSync(certPath, answer.certificate);
  });

  await t.test("with the hub-issued certificate, curl and s_client reach an mTLS-only route", async () => {
    const ok = await curl(hub, "/v1/device/audit", { report: { checks: [] } }, { cert: certPath, key: keyPath });
    assert.equal(ok.status, 200, ok.body);
    const raw = rawPost("/v1/device/audit", { report: {} });
    const s = await sClient(hub, raw, ["-cert", certPath, "-key", keyPath]);
    assert.match(s.out, /HTTP\/1\.1 200/);
  });

  await t.test("no client certificate: refused with EW_ERR_HUB_DEVICE_CERT_REQUIRED", async () => {
    const r = await curl(hub, "/v1/device/audit", { report: {} });
    assert.equal(r.status, 401);
    assert.equal(code(r.body), "EW_ERR_HUB_DEVICE_CERT_REQUIRED");
    const s = await sClient(hub, rawPost("/v1/device/audit", { report: {} }), []);
    assert.match(s.out, /HTTP\/1\.1 401/);
  });

  await t.test(
    "a certificate from another CA naming the same device: refused with EW_ERR_DEVICE_CERT_INVALID",
    async () => {
      const other = otherCaCertificate(dir.path, deviceId);
      const r = await curl(hub, "/v1/device/audit", { report: {} }, other);
      assert.equal(r.status, 401);
      assert.equal(code(r.body), "EW_ERR_DEVICE_CERT_INVALID");
      const s = await sClient(hub, rawPost("/v1/device/audit", { report: {} }), [
        "-cert",
        other.cert,
        "-key",
        other.key,
      ]);
      assert.match(s.out, /HTTP\/1\.1 401/);
      assert.match(s.out, /EW_ERR_DEVICE_CERT_INVALID/);
    },
  );

  await t.test("an expired certificate: refused on mTLS routes, yet renewal by attestation still works", async () => {
    const expired = await hub.ca.issue(csr, deviceId, new Date(Date.now() - 3 * 3600_000), 3600_000);
    const expiredPath = join(dir.path, "expired.pem");
    writeFileSync(expiredPath, expired.pem);
    const r = await curl(hub, "/v1/device/audit", { report: {} }, { cert: expiredPath, key: keyPath });
    assert.equal(r.status, 401);
    assert.equal(code(r.body), "EW_ERR_DEVICE_CERT_INVALID");
    const ch = await curl(
      hub,
      "/v1/device/attest/challenge",
      { deviceId, banks: ["sha256"] },
      { cert: expiredPath, key: keyPath },
    );
    assert.equal(ch.status, 200, ch.body);
    const q = await curl(
      hub,
      "/v1/device/attest/quote",
      await quoteBody(keys, deviceId, JSON.parse(ch.body) as wire.ChallengeResponse, { csr }),
      {
        cert: expiredPath,
        key: keyPath,
      },
    );
    const answer = JSON.parse(q.body) as { result: string; certificate?: string };
    assert.equal(answer.result, "pass");
    assert.ok(answer.certificate?.startsWith("-----BEGIN CERTIFICATE-----"));
  });

  await t.test("TLS below 1.2 is refused by the server; 1.2 and 1.3 are accepted", async () => {
    const old = await sClient(hub, "", ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    assert.equal(old.ok, false);
    assert.match(old.out, /alert protocol version|unsupported protocol|wrong version/i);
    for (const v of ["-tls1_2", "-tls1_3"]) {
      const s = await sClient(hub, rawPost("/v1/device/audit", { report: {} }), [
        v,
        "-cert",
        certPath,
        "-key",
        keyPath,
      ]);
      assert.match(s.out, /HTTP\/1\.1 200/, v);
    }
    const c = await curl(
      hub,
      "/v1/device/audit",
      { report: {} },
      { cert: certPath, key: keyPath, extra: ["--tls-max", "1.1"] },
    );
    assert.equal(c.status, 0);
  });

  await t.test(
    "a quarantined device with a valid certificate is refused at once, then revoked and on the CRL",
    async () => {
      const tamper = await curl(
        hub,
        "/v1/device/tamper",
        { source: "case", details: "lid opened" },
        { cert: certPath, key: keyPath },
      );
      assert.equal(tamper.status, 200, tamper.body);
      const q = await curl(hub, "/v1/device/audit", { report: {} }, { cert: certPath, key: keyPath });
      assert.equal(q.status, 403);
      assert.equal(code(q.body), "EW_ERR_DEVICE_QUARANTINED");
      const key = await curl(hub, "/v1/device/releases/ocr-1/key", {}, { cert: certPath, key: keyPath });
      assert.equal(code(key.body), "EW_ERR_DEVICE_QUARANTINED");
      await hub.h.store.updateDevice(deviceId, { state: "revoked" });
      const r = await curl(hub, "/v1/device/audit", { report: {} }, { cert: certPath, key: keyPath });
      assert.equal(r.status, 403);
      assert.equal(code(r.body), "EW_ERR_DEVICE_REVOKED");
      const crl = await curl(hub, "/v1/device/crl", undefined);
      assert.equal(crl.status, 200);
      const crlPath = join(dir.path, "crl.pem");
      writeFileSync(crlPath, crl.body);
      const text = execFileSync("openssl", ["crl", "-in", crlPath, "-CAfile", hub.caPath, "-noout", "-text"], {
        stdio: "pipe",
      }).toString();
      const serial =
        execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-serial"]).toString().trim().split("=")[1] ?? "";
      assert.ok(text.includes(serial), `CRL lists ${serial}`);
    },
  );
});

function rawPost(path: string, body: unknown): string {
  const json = JSON.stringify(body);
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`
  );
}

/** A self-signed CA and a P-256 client certificate from it with the device's URI SAN (openssl). */
function otherCaCertificate(dir: string, deviceId: string): { cert: string; key: string } {
  const o = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  o([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "other-ca.key",
    "-out",
    "other-ca.pem",
    "-subj",
    "/CN=Other CA",
    "-days",
    "2",
  ]);
  o([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "other.key",
    "-out",
    "other.csr",
    "-subj",
    `/CN=${deviceId}`,
  ]);
  writeFileSync(
    join(dir, "other.ext"),
    `subjectAltName=URI:urn:edgeward:device:${deviceId}\nextendedKeyUsage=clientAuth\n`,
  );
  o([
    "x509",
    "-req",
    "-in",
    "other.csr",
    "-CA",
    "other-ca.pem",
    "-CAkey",
    "other-ca.key",
    "-CAcreateserial",
    "-out",
    "other.pem",
    "-days",
    "1",
    "-extfile",
    "other.ext",
  ]);
  return { cert: join(dir, "other.pem"), key: join(dir, "other.key") };
}
