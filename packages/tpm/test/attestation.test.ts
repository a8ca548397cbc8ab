import assert from "node:assert/strict";
import { createPublicKey, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  checkClockMonotonic,
  parsePcrSelectionText,
  policyPcrDigest,
  verifyCertify,
  verifyQuote,
  type VerifiedQuote,
} from "@edgeward/core";
import { rejectsWithCode, startSwtpm, throwsWithCode, type Swtpm } from "@edgeward/testkit";
import { createTpmDecryptionKey, wrappedPublicPoint, type AttestationKey, type Tpm2ToolsDevice } from "@edgeward/tpm";
import { checkquote, deviceFor, SLOW, verifyQuoteOf } from "./helpers.ts";

const BOOT = parsePcrSelectionText("0,1,2,3,4,5,6,7");

describe("quotes and certify evidence from a real TPM (swtpm)", SLOW, () => {
  let a: Swtpm;
  let b: Swtpm;
  let devA: Tpm2ToolsDevice;
  let devB: Tpm2ToolsDevice;
  let akA: AttestationKey;
  let akB: AttestationKey;
  before(async () => {
    [a, b] = await Promise.all([startSwtpm(), startSwtpm()]);
    devA = deviceFor(a);
    devB = deviceFor(b);
    [akA, akB] = await Promise.all([devA.createAttestationKey(), devB.createAttestationKey()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  async function quoteA(nonce: Uint8Array): Promise<VerifiedQuote> {
    return verifyQuoteOf(akA, await devA.quote(akA, BOOT, nonce), nonce);
  }

  it("a fresh quote verifies in process, and tpm2_checkquote accepts the same three files", async () => {
    const nonce = randomBytes(20);
    const q = await devA.quote(akA, BOOT, nonce);
    verifyQuoteOf(akA, q, nonce);
    await checkquote(akA.publicKeyPem, q, nonce);
  });

  it("a quote from TPM B does not pass as TPM A's: EW_ERR_QUOTE_SIGNER with the enrolled name, else EW_ERR_QUOTE_SIGNATURE", async () => {
    const nonce = randomBytes(16);
    const q = await devB.quote(akB, BOOT, nonce);
    const input = {
      message: q.message,
      signature: q.signature,
      akPublicKey: createPublicKey(akA.publicKeyPem),
      nonce,
      pcrValues: q.pcrValues,
    };
    throwsWithCode(() => verifyQuote({ ...input, expectedSigner: akA.qualifiedName }), "EW_ERR_QUOTE_SIGNER");
    throwsWithCode(() => verifyQuote(input), "EW_ERR_QUOTE_SIGNATURE");
  });

  it("TPM B cannot use TPM A's attestation key: EW_ERR_TPM_FOREIGN_KEY", async () => {
    await rejectsWithCode(devB.quote(akA, BOOT, randomBytes(8)), "EW_ERR_TPM_FOREIGN_KEY");
  });

  it("the clock advances between quotes, a reboot raises resetCount, and both pass the monotonicity check", async () => {
    const first = await quoteA(randomBytes(16));
    await new Promise((r) => setTimeout(r, 50));
    const second = await quoteA(randomBytes(16));
    // TPMS_CLOCK_INFO.clock counts milliseconds (TPM 2.0 Part 2 §10.11.1): 50 ms apart, it moved by at least that.
    assert.equal(second.clockInfo.resetCount, first.clockInfo.resetCount);
    assert.ok(
      second.clockInfo.clock >= first.clockInfo.clock + 50n,
      `clock ${first.clockInfo.clock} then ${second.clockInfo.clock}`,
    );
    checkClockMonotonic(first.clockInfo, second.clockInfo);
    await a.reboot();
    const third = await quoteA(randomBytes(16));
    assert.equal(third.clockInfo.resetCount, second.clockInfo.resetCount + 1);
    checkClockMonotonic(second.clockInfo, third.clockInfo);
    throwsWithCode(() => checkClockMonotonic(third.clockInfo, first.clockInfo), "EW_ERR_QUOTE_CLOCK");
  });

  it("certify evidence proves the decryption key is TPM-resident under the expected PCR policy", async () => {
    const created = await createTpmDecryptionKey(devA);
    const ev = await devA.certify(akA, created.key);
    const values = await devA.pcrRead(created.key.pcrs);
    const v = verifyCertify({
      attest: ev.attest,
      signature: ev.signature,
      akPublicKey: createPublicKey(akA.publicKeyPem),
      certifiedPublic: created.key.public,
      expectedPolicy: policyPcrDigest(created.key.pcrs, values),
      expectedSigner: akA.qualifiedName,
    });
    // The certified key is the one in the key file: same public area, same P-256 point as its age1tag1 recipient,
    // bound to the policy of its PCRs' current values.
    assert.deepEqual(Buffer.from(v.certified.authPolicy), Buffer.from(policyPcrDigest(created.key.pcrs, values)));
    const jwk = v.publicKey.export({ format: "jwk" });
    const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    assert.deepEqual(point, Buffer.from(wrappedPublicPoint(created.key)));
    // The same evidence under another policy, or for another key, is refused with the code of that check.
    const other = await createTpmDecryptionKey(devA, { pcrs: parsePcrSelectionText("7") });
    const base = {
      attest: ev.attest,
      signature: ev.signature,
      akPublicKey: createPublicKey(akA.publicKeyPem),
      expectedSigner: akA.qualifiedName,
    };
    throwsWithCode(
      () =>
        verifyCertify({
          ...base,
          certifiedPublic: created.key.public,
          expectedPolicy: policyPcrDigest(other.key.pcrs, values),
        }),
      "EW_ERR_TPM_CERTIFY_POLICY",
    );
    throwsWithCode(() => verifyCertify({ ...base, certifiedPublic: other.key.public }), "EW_ERR_TPM_CERTIFY_NAME");
  });
});
