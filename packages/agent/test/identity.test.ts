import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  makeCredential,
  parsePcrSelectionText,
  parseTpm2bPublic,
  publicKeyOf,
  verifyCertify,
  verifyQuote,
} from "@edgeward/core";
import { rejectsWithCode, startSwtpm, tempDir, throwsWithCode, type Swtpm } from "@edgeward/testkit";
import { APPLICATION_PCR } from "@edgeward/tpm";
import {
  activateEnrolment,
  answerChallenge,
  createCsr,
  enrolmentRequest,
  loadDevice,
  openDeviceKeys,
  provisionDevice,
  stateLayout,
} from "@edgeward/agent";
import { deviceFor, filesHolding, SLOW } from "./helpers.ts";

describe("device identity in the TPM (swtpm)", SLOW, () => {
  let tpm: Swtpm;
  let other: Swtpm;
  const state = tempDir("edgeward-agent-id-");
  const layout = stateLayout(join(state.path, "state"));
  before(async () => {
    [tpm, other] = await Promise.all([startSwtpm({ ekCert: "unique" }), startSwtpm()]);
    await provisionDevice(deviceFor(tpm), layout);
  });
  after(async () => {
    await Promise.all([tpm?.stop(), other?.stop()]);
    state[Symbol.dispose]();
  });

  it("keeps no private key in the state directory in the clear", async () => {
    const keys = await openDeviceKeys(deviceFor(tpm), await loadDevice(layout));
    const d = Buffer.from(keys.mtlsKey.export({ format: "jwk" }).d ?? "", "base64url");
    assert.equal(d.length, 32);
    assert.deepEqual(filesHolding([layout.root], d, 16), []);
    assert.deepEqual(filesHolding([layout.root], d.subarray(0, 8), 8), []);
  });

  it("sends enrolment evidence the hub's verifiers accept: certify of the unwrap key and ActivateCredential", async () => {
    const dev = deviceFor(tpm);
    const record = await loadDevice(layout);
    const { ak } = await openDeviceKeys(dev, record);
    const req = await enrolmentRequest(dev, record, ak, { ekCertificate: true });
    assert.ok(req.ekCertificate !== undefined && req.ekCertificate.length > 100);
    assert.equal(req.unwrapKey.pcrSelection, "sha256:7,14");
    const akKey = publicKeyOf(parseTpm2bPublic(Buffer.from(req.akPublic, "base64")));
    const checked = verifyCertify({
      attest: Buffer.from(req.certify.attest, "base64"),
      signature: Buffer.from(req.certify.signature, "base64"),
      akPublicKey: akKey,
      certifiedPublic: Buffer.from(req.unwrapKey.public, "base64"),
      expectedPolicy: record.unwrapKey.policyDigest,
    });
    assert.equal(checked.certified.type !== undefined, true);
    const secret = new Uint8Array(32).fill(9);
    const ek = parseTpm2bPublic(Buffer.from(req.ekPublic, "base64"));
    const cred = makeCredential(ek, ak.name, secret);
    const answer = await activateEnrolment(dev, record, ak, cred.tpm2ToolsFile);
    assert.equal(answer, Buffer.from(secret).toString("base64"));
    const tokenReq = await enrolmentRequest(dev, record, ak, { token: "t0k" });
    assert.equal(tokenReq.token, "t0k");
    assert.equal(tokenReq.ekCertificate, undefined);
  });

  it("answers an attestation challenge with a quote over the hub's nonce and PCR selection", async () => {
    const dev = deviceFor(tpm);
    const { ak } = await openDeviceKeys(dev, await loadDevice(layout));
    const nonce = "00112233445566778899aabbccddeeff";
    const a = await answerChallenge(dev, ak, { nonce, pcrSelection: "sha256:0,7,14" });
    const values = Object.fromEntries(
      Object.entries(a.pcrs).map(([bank, v]) => [
        bank,
        Object.fromEntries(Object.entries(v).map(([i, h]) => [Number(i), Buffer.from(h, "hex")])),
      ]),
    );
    const q = verifyQuote({
      message: Buffer.from(a.quote.attest, "base64"),
      signature: Buffer.from(a.quote.signature, "base64"),
      akPublicKey: publicKeyOf(parseTpm2bPublic(ak.public)),
      nonce: Buffer.from(nonce, "hex"),
      pcrValues: values,
    });
    assert.deepEqual(q.selection, parsePcrSelectionText("sha256:0,7,14"));
    throwsWithCode(
      () =>
        verifyQuote({
          message: Buffer.from(a.quote.attest, "base64"),
          signature: Buffer.from(a.quote.signature, "base64"),
          akPublicKey: publicKeyOf(parseTpm2bPublic(ak.public)),
          nonce: Buffer.alloc(16),
          pcrValues: values,
        }),
      "EW_ERR_QUOTE_NONCE",
    );
  });

  it("makes a CSR for the sealed mTLS key that openssl verifies", async () => {
    const { mtlsKey } = await openDeviceKeys(deviceFor(tpm), await loadDevice(layout));
    const csr = createCsr(mtlsKey, "device-1");
    const out = execFileSync("openssl", ["req", "-verify", "-noout", "-subject"], { input: csr, encoding: "utf8" });
    assert.match(out, /CN\s*=\s*device-1/);
  });

  it("a copy of the state directory on another TPM is refused with EW_ERR_TPM_FOREIGN_KEY", async () => {
    const clone = stateLayout(join(state.path, "clone"));
    cpSync(layout.root, clone.root, { recursive: true });
    await rejectsWithCode(openDeviceKeys(deviceFor(other), await loadDevice(clone)), "EW_ERR_TPM_FOREIGN_KEY");
  });

  it("after a tamper extend of the policy PCR the mTLS key does not unseal (EW_ERR_TPM_POLICY)", async () => {
    const dev = deviceFor(tpm);
    await dev.pcrExtend(APPLICATION_PCR, Buffer.from("tamper"));
    await rejectsWithCode(openDeviceKeys(dev, await loadDevice(layout)), "EW_ERR_TPM_POLICY");
    await tpm.reboot(); // a reboot resets the PCRs: the boot state is the enrolled one again
    await openDeviceKeys(dev, await loadDevice(layout));
  });

  it("refuses to provision over an enrolled state, and names a missing or malformed one", async () => {
    await rejectsWithCode(provisionDevice(deviceFor(tpm), layout), "EW_ERR_AGENT_STATE");
    await rejectsWithCode(loadDevice(stateLayout(join(state.path, "none"))), "EW_ERR_AGENT_NOT_ENROLLED");
    const broken = stateLayout(join(state.path, "broken"));
    cpSync(layout.root, broken.root, { recursive: true });
    writeFileSync(broken.device, "{not json");
    await rejectsWithCode(loadDevice(broken), "EW_ERR_AGENT_STATE");
    writeFileSync(broken.device, JSON.stringify({ format: "edgeward-agent-device/v1", ekType: "ecc" }));
    await rejectsWithCode(loadDevice(broken), "EW_ERR_AGENT_STATE");
  });
});
