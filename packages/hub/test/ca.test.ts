// The device CA against openssl as the second implementation: certificates and CRLs it verifies, CSRs it makes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { createDeviceCa, DeviceCa, deviceIdFromSan, DenyList } from "../src/ca/index.ts";

const NOW = new Date("2026-11-30T02:00:00Z");

function opensslCsr(dir: string, keyArgs: string[]): string {
  const key = join(dir, "k.pem");
  execFileSync("openssl", ["genpkey", ...keyArgs, "-out", key]);
  return execFileSync("openssl", ["req", "-new", "-key", key, "-subj", "/CN=ignored"]).toString();
}

test("a device certificate from an openssl CSR verifies with openssl and names the device in a URI SAN", async () => {
  using dir = tempDir();
  const ca = await DeviceCa.load(await createDeviceCa(NOW));
  const csr = opensslCsr(dir.path, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
  const issued = await ca.issue(csr, "dev-42", NOW, 3600_000);
  writeFileSync(join(dir.path, "ca.pem"), ca.certificatePem);
  writeFileSync(join(dir.path, "dev.pem"), issued.pem);
  const at = String(Math.floor(NOW.getTime() / 1000) + 60);
  const out = execFileSync("openssl", [
    "verify",
    "-attime",
    at,
    "-purpose",
    "sslclient",
    "-CAfile",
    join(dir.path, "ca.pem"),
    join(dir.path, "dev.pem"),
  ]).toString();
  assert.match(out, /OK/);
  const cert = new X509Certificate(issued.pem);
  assert.equal(deviceIdFromSan(cert.subjectAltName ?? ""), "dev-42");
  assert.equal(new Date(cert.validTo).getTime(), Math.floor(issued.notAfter.getTime() / 1000) * 1000);
  assert.equal(cert.serialNumber.toLowerCase(), issued.serial);
  // Expired one hour later: openssl refuses it.
  const late = String(Math.floor(NOW.getTime() / 1000) + 7200);
  assert.throws(() =>
    execFileSync(
      "openssl",
      ["verify", "-attime", late, "-CAfile", join(dir.path, "ca.pem"), join(dir.path, "dev.pem")],
      {
        stdio: "pipe",
      },
    ),
  );
});

test("CSRs for RSA or P-384 keys, altered CSRs and garbage are refused with EW_ERR_DEVICE_CSR_INVALID", async () => {
  using dir = tempDir();
  const ca = await DeviceCa.load(await createDeviceCa(NOW));
  const rsa = opensslCsr(dir.path, ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]);
  await rejectsWithCode(ca.issue(rsa, "d", NOW), "EW_ERR_DEVICE_CSR_INVALID");
  const p384 = opensslCsr(dir.path, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]);
  await rejectsWithCode(ca.issue(p384, "d", NOW), "EW_ERR_DEVICE_CSR_INVALID");
  const good = opensslCsr(dir.path, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
  // Flip one bit inside the signed part (the subject's CN), so proof of possession fails.
  const der = Buffer.from(good.replace(/-----[^-]+-----/g, "").replace(/\s/g, ""), "base64");
  const at = der.indexOf(Buffer.from("ignored"));
  der[at] = (der[at] ?? 0) ^ 1;
  const altered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
  await rejectsWithCode(ca.issue(altered, "d", NOW), "EW_ERR_DEVICE_CSR_INVALID");
  await rejectsWithCode(ca.issue("not a csr", "d", NOW), "EW_ERR_DEVICE_CSR_INVALID");
  await rejectsWithCode(ca.issue("x".repeat(20000), "d", NOW), "EW_ERR_DEVICE_CSR_INVALID");
});

test("the CRL lists revoked serials and verifies with openssl against the CA", async () => {
  using dir = tempDir();
  const ca = await DeviceCa.load(await createDeviceCa(NOW));
  const crl = await ca.crl([{ serial: "0a0b0c", at: NOW.toISOString() }], NOW);
  writeFileSync(join(dir.path, "ca.pem"), ca.certificatePem);
  writeFileSync(join(dir.path, "crl.pem"), crl);
  const out = execFileSync(
    "openssl",
    ["crl", "-in", join(dir.path, "crl.pem"), "-CAfile", join(dir.path, "ca.pem"), "-noout", "-text"],
    {
      stdio: "pipe",
    },
  ).toString();
  assert.match(out, /Serial Number: 0A0B0C/);
  assert.ok(readFileSync(join(dir.path, "crl.pem"), "utf8").startsWith("-----BEGIN X509 CRL-----"));
});

test("a CA whose files are damaged fails to load with EW_ERR_CA_STATE", async () => {
  const files = await createDeviceCa(NOW);
  await rejectsWithCode(DeviceCa.load({ ...files, keyPem: "junk" }), "EW_ERR_CA_STATE");
  await rejectsWithCode(DeviceCa.load({ ...files, certificatePem: "junk" }), "EW_ERR_CA_STATE");
});

test("the deny list refuses quarantined, revoked and unknown devices and sees a change at once without a cache", async () => {
  const states = new Map<string, "trusted" | "quarantined" | "revoked">([["a", "trusted"]]);
  const deny = new DenyList((id) => Promise.resolve(states.get(id)));
  assert.equal(await deny.check("a"), "trusted");
  states.set("a", "quarantined");
  await rejectsWithCode(deny.check("a"), "EW_ERR_DEVICE_QUARANTINED");
  states.set("a", "revoked");
  await rejectsWithCode(deny.check("a"), "EW_ERR_DEVICE_REVOKED");
  await rejectsWithCode(deny.check("b"), "EW_ERR_DEVICE_UNKNOWN");
  // With a short cache the change shows once the cache time has passed.
  let t = 0;
  states.set("c", "trusted");
  const cached = new DenyList((id) => Promise.resolve(states.get(id)), { ttlMs: 1000, now: () => t });
  assert.equal(await cached.check("c"), "trusted");
  states.set("c", "revoked");
  assert.equal(await cached.check("c"), "trusted");
  t = 1001;
  await rejectsWithCode(cached.check("c"), "EW_ERR_DEVICE_REVOKED");
});
