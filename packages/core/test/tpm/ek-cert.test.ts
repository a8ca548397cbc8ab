import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseTpm2bPublic, publicKeyOf, trimDer, verifyEkCertificate } from "@edgeward/core";
import { throwsWithCode } from "@edgeward/testkit";
import { fixture, fixtureText } from "./fixtures.ts";

const root = fixtureText("ek", "root.pem");
const intermediate = fixtureText("ek", "intermediate.pem");

/** A CA with the same name as swtpm's issuer but its own key (made by openssl): what an attacker would present. */
function impostorCa(): string {
  const dir = mkdtempSync(join(tmpdir(), "edgeward-ca-"));
  try {
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650"],
        ...["-subj", "/CN=swtpm-localca", "-addext", "basicConstraints=critical,CA:TRUE"],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    return readFileSync(join(dir, "cert.pem"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("EK certificate chain", () => {
  for (const type of ["rsa", "ecc"]) {
    it(`swtpm's ${type.toUpperCase()} EK certificate validates against the local CA and certifies the EK`, () => {
      const v = verifyEkCertificate({
        certificate: fixture("ek", `ek-${type}.der`),
        intermediates: [intermediate],
        roots: [root],
        ekPublicKey: publicKeyOf(parseTpm2bPublic(fixture("ek", `ek-${type}.pub`))),
      });
      assert.equal(v.chain.length, 3);
      // The TCG attributes from the critical directoryName SAN (EK Credential Profile §3.2.9).
      assert.equal(v.tpm.model, "swtpm");
      assert.match(v.tpm.manufacturer ?? "", /^id:/);
    });
  }

  it("when the certificate comes from another CA (even one with the same name), rejects with EW_ERR_TPM_EK_CERT_CHAIN", () => {
    const impostor = impostorCa();
    throwsWithCode(
      () => verifyEkCertificate({ certificate: fixture("ek", "ek-rsa.der"), roots: [impostor] }),
      "EW_ERR_TPM_EK_CERT_CHAIN",
    );
    throwsWithCode(
      () =>
        verifyEkCertificate({
          certificate: fixture("ek", "ek-rsa.der"),
          intermediates: [intermediate],
          roots: [impostor],
        }),
      "EW_ERR_TPM_EK_CERT_CHAIN",
    );
    throwsWithCode(
      () => verifyEkCertificate({ certificate: fixture("ek", "ek-rsa.der"), roots: [] }),
      "EW_ERR_TPM_EK_CERT_CHAIN",
    );
  });

  it("when the certificate is for another key, rejects with EW_ERR_TPM_EK_CERT_KEY", () => {
    throwsWithCode(
      () =>
        verifyEkCertificate({
          certificate: fixture("ek", "ek-rsa.der"),
          intermediates: [intermediate],
          roots: [root],
          ekPublicKey: publicKeyOf(parseTpm2bPublic(fixture("ek", "ek-ecc.pub"))),
        }),
      "EW_ERR_TPM_EK_CERT_KEY",
    );
  });

  it("when validated at a time outside the validity period, rejects with EW_ERR_TPM_EK_CERT_EXPIRED", () => {
    throwsWithCode(
      () =>
        verifyEkCertificate({
          certificate: fixture("ek", "ek-rsa.der"),
          intermediates: [intermediate],
          roots: [root],
          at: new Date("2001-01-01"),
        }),
      "EW_ERR_TPM_EK_CERT_EXPIRED",
    );
  });

  it("accepts a DER padded as NV indices pad it, and rejects garbage with EW_ERR_TPM_EK_CERT_PARSE", () => {
    const der = fixture("ek", "ek-rsa.der");
    const padded = new Uint8Array([...der, 0xff, 0xff, 0, 0]);
    assert.equal(trimDer(padded).length, der.length);
    verifyEkCertificate({ certificate: padded, intermediates: [intermediate], roots: [root] });
    throwsWithCode(
      () => verifyEkCertificate({ certificate: der.subarray(0, 200), roots: [root] }),
      "EW_ERR_TPM_EK_CERT_PARSE",
    );
    throwsWithCode(
      () => verifyEkCertificate({ certificate: "not a certificate", roots: [root] }),
      "EW_ERR_TPM_EK_CERT_PARSE",
    );
  });
});
