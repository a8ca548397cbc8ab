import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { describe, it } from "node:test";
import {
  eccPointSec1,
  objectName,
  p256TagRecipient,
  parsePcrSelectionText,
  parsePcrValuesFile,
  parseTpm2bPublic,
  policyPcrDigest,
  verifyCertify,
} from "@edgeward/core";
import { throwsWithCode } from "@edgeward/testkit";
import { fixture, fixtureText, flip, meta, unhex } from "./fixtures.ts";

const m = meta("certify");
const base = {
  attest: fixture("certify", "certify.attest"),
  signature: fixture("certify", "certify.sig"),
  akPublicKey: createPublicKey(fixtureText("certify", "ak.pem")),
  certifiedPublic: fixture("certify", "key.pub"),
  expectedPolicy: unhex(m["policyDigest"] ?? ""),
  expectedSigner: unhex(m["qualifiedSigner"] ?? ""),
  expectedExtraData: unhex(m["extraData"] ?? ""),
};

describe("certify verification with recorded swtpm evidence", () => {
  it("the decryption key is TPM-resident, non-exportable, and bound to the expected PCR policy", () => {
    const v = verifyCertify(base);
    assert.deepEqual(new Uint8Array(v.name), new Uint8Array(objectName(parseTpm2bPublic(base.certifiedPublic))));
    // The recipient the device advertises is the certified key's.
    assert.equal(p256TagRecipient(eccPointSec1(v.certified)), m["recipient"]);
  });

  it("when a bit of the evidence or its signature is flipped, rejects with EW_ERR_TPM_CERTIFY_SIGNATURE", () => {
    throwsWithCode(() => verifyCertify({ ...base, attest: flip(base.attest, -3) }), "EW_ERR_TPM_CERTIFY_SIGNATURE");
    throwsWithCode(
      () => verifyCertify({ ...base, signature: flip(base.signature, -1) }),
      "EW_ERR_TPM_CERTIFY_SIGNATURE",
    );
  });

  it("when the public area presented is another key's, rejects with EW_ERR_TPM_CERTIFY_NAME", () => {
    throwsWithCode(
      () => verifyCertify({ ...base, certifiedPublic: fixture("ecdsa", "ak.pub") }),
      "EW_ERR_TPM_CERTIFY_NAME",
    );
  });

  it("when the certified key can sign or be used with a password, rejects with EW_ERR_TPM_CERTIFY_ATTRIBUTES", () => {
    // The AK certifying itself: a restricted signing key with userWithAuth, not a decryption key.
    throwsWithCode(
      () =>
        verifyCertify({
          ...base,
          attest: fixture("certify", "self.attest"),
          signature: fixture("certify", "self.sig"),
          certifiedPublic: fixture("certify", "ak.pub"),
        }),
      "EW_ERR_TPM_CERTIFY_ATTRIBUTES",
    );
  });

  it("when the key's policy is not the expected PCR policy, rejects with EW_ERR_TPM_CERTIFY_POLICY", () => {
    throwsWithCode(() => verifyCertify({ ...base, expectedPolicy: new Uint8Array(32) }), "EW_ERR_TPM_CERTIFY_POLICY");
  });

  it("when the qualifying data differs, rejects with EW_ERR_TPM_CERTIFY_NONCE", () => {
    throwsWithCode(() => verifyCertify({ ...base, expectedExtraData: unhex("01") }), "EW_ERR_TPM_CERTIFY_NONCE");
  });

  it("when another AK signed it, rejects with EW_ERR_QUOTE_SIGNER", () => {
    throwsWithCode(
      () => verifyCertify({ ...base, expectedSigner: unhex(meta("other-ak")["qualifiedSigner"] ?? "") }),
      "EW_ERR_QUOTE_SIGNER",
    );
  });

  it("when a quote is given instead, rejects with EW_ERR_TPM_ATTEST_TYPE", () => {
    const { expectedSigner: _s, ...rest } = base;
    throwsWithCode(
      () =>
        verifyCertify({
          ...rest,
          attest: fixture("ecdsa", "quote.msg"),
          signature: fixture("ecdsa", "quote.sig"),
          akPublicKey: createPublicKey(fixtureText("ecdsa", "ak.pem")),
        }),
      "EW_ERR_TPM_ATTEST_TYPE",
    );
  });
});

describe("PolicyPCR digest", () => {
  it("equals the digest tpm2_policypcr computed for the same PCRs and values", () => {
    const sel = parsePcrSelectionText("sha256:7,14");
    const { values } = parsePcrValuesFile(fixture("certify", "policy.pcrs"), sel);
    const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
    assert.equal(hex(policyPcrDigest(sel, values)), hex(fixture("certify", "policy.trial")));
    assert.equal(hex(policyPcrDigest(sel, values)), m["policyDigest"]);
  });
});
