import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPublicKey, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import {
  checkClockMonotonic,
  parsePcrSelectionText,
  policyPcrDigest,
  verifyCertify,
  verifyQuote,
  type VerifiedQuote,
} from "@edgeward/core";
import { rejectsWithCode, startSwtpm, tempDir, throwsWithCode, type Swtpm } from "@edgeward/testkit";
import { createTpmDecryptionKey, type AttestationKey, type Tpm2ToolsDevice } from "@edgeward/tpm";
import { deviceFor, SLOW } from "./helpers.ts";

const run = promisify(execFile);
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
    const q = await devA.quote(akA, BOOT, nonce);
    return verifyQuote({
      message: q.message,
      signature: q.signature,
      akPublicKey: createPublicKey(akA.publicKeyPem),
      nonce,
      pcrValues: q.pcrValues,
      expectedSigner: akA.qualifiedName,
    });
  }

  it("a fresh quote verifies in process, and tpm2_checkquote accepts the same three files", async () => {
    const nonce = randomBytes(20);
    const q = await devA.quote(akA, BOOT, nonce);
    verifyQuote({
      message: q.message,
      signature: q.signature,
      akPublicKey: createPublicKey(akA.publicKeyPem),
      nonce,
      pcrValues: q.pcrValues,
      expectedSigner: akA.qualifiedName,
    });
    using dir = tempDir();
    const files = { "ak.pem": akA.publicKeyPem, "q.msg": q.message, "q.sig": q.signature, "q.pcrs": q.pcrsFile };
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir.path, name), data);
    await run(
      "tpm2_checkquote",
      [
        ...["-u", "ak.pem", "-m", "q.msg", "-s", "q.sig", "-f", "q.pcrs", "-g", "sha256"],
        ...["-q", Buffer.from(nonce).toString("hex")],
      ],
      { cwd: dir.path },
    );
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
    const second = await quoteA(randomBytes(16));
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
    assert.equal(v.certified.authPolicy.length, 32);
  });
});
