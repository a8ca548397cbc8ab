import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { describe, it } from "node:test";
import {
  checkClockMonotonic,
  parseAttest,
  parsePcrValuesFile,
  parseTpm2bPublic,
  objectName,
  qualifiedName,
  TpmWriter,
  TPM_RH,
  verifyQuote,
  type PcrValues,
  type TpmClockInfo,
} from "@edgeward/core";
import { throwsWithCode } from "@edgeward/testkit";
import { fixture, fixtureText, flip, meta, unhex } from "./fixtures.ts";

function evidence(dir: string) {
  const m = meta(dir);
  return {
    message: fixture(dir, "quote.msg"),
    signature: fixture(dir, "quote.sig"),
    akPublicKey: createPublicKey(fixtureText(dir, "ak.pem")),
    nonce: unhex(m["nonce"] ?? ""),
    pcrValues: parsePcrValuesFile(fixture(dir, "quote.pcrs")).values,
    expectedSigner: unhex(m["qualifiedSigner"] ?? ""),
  };
}

describe("quote verification with recorded swtpm quotes", () => {
  for (const dir of ["ecdsa", "rsassa", "rsapss", "multibank"]) {
    it(`a fresh ${dir} quote, as tpm2_quote -m -s -o wrote it, verifies`, () => {
      const v = verifyQuote(evidence(dir));
      assert.equal(v.selection.length > 0, true);
      assert.deepEqual(v.qualifiedSigner, evidence(dir).expectedSigner);
    });
  }

  it("exposes the selection, quoted values and clock counters", () => {
    const v = verifyQuote(evidence("multibank"));
    assert.deepEqual(
      v.selection.map((b) => `${b.bank}:${b.pcrs.join(",")}`),
      ["sha1:0,7", "sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15", "sha384:7"],
    );
    assert.equal(v.pcrValues.sha384?.[7]?.length, 48);
    // The AK is in the endorsement hierarchy, so the counters are real, not obfuscated (Part 1 §36.7).
    assert.ok(v.clockInfo.resetCount < 100 && v.clockInfo.restartCount < 100);
    assert.ok(v.clockInfo.clock > 0n);
  });

  it("when the nonce differs (a replay), rejects with EW_ERR_QUOTE_NONCE", () => {
    throwsWithCode(() => verifyQuote({ ...evidence("ecdsa"), nonce: unhex("00112233") }), "EW_ERR_QUOTE_NONCE");
  });

  it("when a bit of the message is flipped, rejects with EW_ERR_QUOTE_SIGNATURE", () => {
    const e = evidence("ecdsa");
    throwsWithCode(() => verifyQuote({ ...e, message: flip(e.message, -1) }), "EW_ERR_QUOTE_SIGNATURE");
    throwsWithCode(() => verifyQuote({ ...e, message: flip(e.message, 60, 3) }), "EW_ERR_QUOTE_SIGNATURE");
  });

  for (const dir of ["ecdsa", "rsassa", "rsapss"]) {
    it(`when a bit of the ${dir} signature is flipped, rejects with EW_ERR_QUOTE_SIGNATURE`, () => {
      const e = evidence(dir);
      throwsWithCode(() => verifyQuote({ ...e, signature: flip(e.signature, -1) }), "EW_ERR_QUOTE_SIGNATURE");
    });
  }

  it("when the PCR values do not hash to the signed digest, rejects with EW_ERR_QUOTE_PCR_DIGEST", () => {
    const e = evidence("ecdsa");
    const sha256 = { ...e.pcrValues.sha256 };
    sha256[7] = flip(sha256[7] ?? new Uint8Array(32), 0);
    throwsWithCode(() => verifyQuote({ ...e, pcrValues: { sha256 } }), "EW_ERR_QUOTE_PCR_DIGEST");
  });

  it("when a quoted PCR value is missing, rejects with EW_ERR_QUOTE_PCR_MISSING", () => {
    const e = evidence("ecdsa");
    const sha256 = { ...e.pcrValues.sha256 };
    delete sha256[14];
    throwsWithCode(() => verifyQuote({ ...e, pcrValues: { sha256 } }), "EW_ERR_QUOTE_PCR_MISSING");
  });

  it("when another AK signed it, rejects with EW_ERR_QUOTE_SIGNER (enrolled name) or EW_ERR_QUOTE_SIGNATURE (key)", () => {
    const e = evidence("ecdsa");
    const other = meta("other-ak");
    throwsWithCode(
      () => verifyQuote({ ...e, expectedSigner: unhex(other["qualifiedSigner"] ?? "") }),
      "EW_ERR_QUOTE_SIGNER",
    );
    const { expectedSigner: _unused, ...noSigner } = e;
    throwsWithCode(
      () => verifyQuote({ ...noSigner, akPublicKey: createPublicKey(fixtureText("other-ak", "ak.pem")) }),
      "EW_ERR_QUOTE_SIGNATURE",
    );
  });

  it("when a key that signs anything signed a message without TPM_GENERATED_VALUE, rejects with EW_ERR_TPM_NOT_GENERATED", () => {
    // An AK that is not a restricted TPM key (here a software P-256 key) can sign a forged TPMS_ATTEST; only the
    // magic (TPM 2.0 Part 1 §11.4.6.2) says the TPM built it.
    const { expectedSigner: _unused, ...e } = evidence("ecdsa");
    const ak = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const tpmtSignature = (message: Uint8Array) => {
      const rs = sign("sha256", message, { key: ak.privateKey, dsaEncoding: "ieee-p1363" });
      const head = Buffer.from([0x00, 0x18, 0x00, 0x0b, 0x00, 0x20]); // TPM_ALG_ECDSA, TPM_ALG_SHA256, size of r
      return Buffer.concat([head, rs.subarray(0, 32), Buffer.from([0x00, 0x20]), rs.subarray(32)]);
    };
    const genuine = Buffer.from(e.message);
    // The same construction over the real magic verifies, so the refusal below is the magic's alone.
    verifyQuote({ ...e, akPublicKey: ak.publicKey, signature: tpmtSignature(genuine) });
    const forged = Buffer.from(genuine);
    forged.writeUInt32BE(0, 0);
    throwsWithCode(
      () => verifyQuote({ ...e, message: forged, akPublicKey: ak.publicKey, signature: tpmtSignature(forged) }),
      "EW_ERR_TPM_NOT_GENERATED",
    );
  });

  it("when an expected PCR differs from the quoted one, rejects with EW_ERR_QUOTE_PCR_POLICY", () => {
    const e = evidence("ecdsa");
    const expected: PcrValues = { sha256: { 7: new Uint8Array(32) } };
    throwsWithCode(() => verifyQuote({ ...e, expectedPcrs: expected }), "EW_ERR_QUOTE_PCR_POLICY");
    const notQuoted: PcrValues = { sha256: { 9: new Uint8Array(32) } };
    throwsWithCode(() => verifyQuote({ ...e, expectedPcrs: notQuoted }), "EW_ERR_QUOTE_PCR_POLICY");
    const same: PcrValues = { sha256: { 7: e.pcrValues.sha256?.[7] ?? new Uint8Array(0) } };
    verifyQuote({ ...e, expectedPcrs: same });
  });

  it("when the evidence is certify, not a quote, rejects with EW_ERR_TPM_ATTEST_TYPE", () => {
    throwsWithCode(
      () =>
        verifyQuote({
          ...evidence("ecdsa"),
          message: fixture("certify", "certify.attest"),
          signature: fixture("certify", "certify.sig"),
          akPublicKey: createPublicKey(fixtureText("certify", "ak.pem")),
          expectedSigner: unhex(meta("certify")["qualifiedSigner"] ?? ""),
        }),
      "EW_ERR_TPM_ATTEST_TYPE",
    );
  });

  it("the qualified signer is H(TPM_RH_ENDORSEMENT ‖ name(AK)), as the TPM computed it", () => {
    const name = objectName(parseTpm2bPublic(fixture("ecdsa", "ak.pub")));
    const qn = qualifiedName(new TpmWriter().u32(TPM_RH.ENDORSEMENT).finish(), name);
    assert.deepEqual(qn, parseAttest(fixture("ecdsa", "quote.msg")).qualifiedSigner);
  });
});

describe("clock monotonicity", () => {
  const base: TpmClockInfo = { clock: 1000n, resetCount: 5, restartCount: 2, safe: true };

  it("accepts a later quote and a quote after a reboot", () => {
    checkClockMonotonic(base, { ...base, clock: 2000n });
    checkClockMonotonic(base, { clock: 3000n, resetCount: 6, restartCount: 0, safe: true });
  });

  it("when the reset or restart counter went backwards, rejects with EW_ERR_QUOTE_CLOCK", () => {
    throwsWithCode(() => checkClockMonotonic(base, { ...base, resetCount: 4 }), "EW_ERR_QUOTE_CLOCK");
    throwsWithCode(() => checkClockMonotonic(base, { ...base, restartCount: 1 }), "EW_ERR_QUOTE_CLOCK");
  });

  it("when the clock went backwards without an unorderly reset, rejects with EW_ERR_QUOTE_CLOCK", () => {
    throwsWithCode(() => checkClockMonotonic(base, { ...base, clock: 999n }), "EW_ERR_QUOTE_CLOCK");
    throwsWithCode(
      () => checkClockMonotonic(base, { clock: 10n, resetCount: 6, restartCount: 0, safe: true }),
      "EW_ERR_QUOTE_CLOCK",
    );
    checkClockMonotonic(base, { clock: 10n, resetCount: 6, restartCount: 0, safe: false });
  });
});
