import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createECDH, createHash } from "node:crypto";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { parsePcrSelectionText } from "@edgeward/core";
import { rejectsWithCode, startSwtpm, throwsWithCode, type Swtpm } from "@edgeward/testkit";
import {
  APPLICATION_PCR,
  createTpmDecryptionKey,
  formatKeyFile,
  isTpmKeyFile,
  parseKeyFile,
  wrappedPublicPoint,
  Tpm2ToolsDevice,
} from "@edgeward/tpm";
import { deviceFor, hexed, SLOW } from "./helpers.ts";

const run = promisify(execFile);

describe("the TPM decryption key and sealing (swtpm)", SLOW, () => {
  let a: Swtpm;
  let b: Swtpm;
  let devA: Tpm2ToolsDevice;
  let devB: Tpm2ToolsDevice;
  before(async () => {
    [a, b] = await Promise.all([startSwtpm(), startSwtpm()]);
    devA = deviceFor(a);
    devB = deviceFor(b);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("TPM2_ECDH_ZGen gives the same shared secret as node:crypto ECDH with the key's public point", async () => {
    const { key } = await createTpmDecryptionKey(devA);
    const peer = createECDH("prime256v1");
    peer.generateKeys();
    const z = await devA.deriveSharedSecret(key, peer.getPublicKey());
    assert.equal(Buffer.from(z).toString("hex"), peer.computeSecret(wrappedPublicPoint(key)).toString("hex"));
  });

  it("after the policy PCR is extended ECDH rejects with EW_ERR_TPM_POLICY, and after a reboot it works again", async () => {
    const { key } = await createTpmDecryptionKey(devA);
    const peer = createECDH("prime256v1");
    peer.generateKeys();
    const before = await devA.deriveSharedSecret(key, peer.getPublicKey());
    await devA.pcrExtend(APPLICATION_PCR, new TextEncoder().encode("tamper: case opened"));
    await rejectsWithCode(devA.deriveSharedSecret(key, peer.getPublicKey()), "EW_ERR_TPM_POLICY");
    await a.reboot();
    assert.deepEqual(hexed(await devA.deriveSharedSecret(key, peer.getPublicKey())), hexed(before));
  });

  it("through tpm2-tools instead of the direct transport: the same secret, EW_ERR_TPM_FOREIGN_KEY and EW_ERR_TPM_POLICY", async () => {
    const toolsA = new Tpm2ToolsDevice({ tcti: a.tcti, native: false });
    const toolsB = new Tpm2ToolsDevice({ tcti: b.tcti, native: false });
    const { key } = await createTpmDecryptionKey(toolsA, { pcrs: parsePcrSelectionText("7,15") });
    const peer = createECDH("prime256v1");
    peer.generateKeys();
    const viaTools = await toolsA.deriveSharedSecret(key, peer.getPublicKey());
    const direct = await devA.deriveSharedSecret(key, peer.getPublicKey());
    assert.equal(hexed(viaTools), hexed(direct));
    await rejectsWithCode(toolsB.deriveSharedSecret(key, peer.getPublicKey()), "EW_ERR_TPM_FOREIGN_KEY");
    await toolsA.pcrExtend(15, new TextEncoder().encode("tamper"));
    await rejectsWithCode(toolsA.deriveSharedSecret(key, peer.getPublicKey()), "EW_ERR_TPM_POLICY");
    const { stdout } = await run("tpm2_getcap", ["handles-loaded-session"], { env: { ...process.env, ...a.env } });
    assert.equal(stdout.trim(), "");
  });

  it("the key blob of TPM A loaded on TPM B rejects with EW_ERR_TPM_FOREIGN_KEY", async () => {
    const { key } = await createTpmDecryptionKey(devA);
    const peer = createECDH("prime256v1");
    peer.generateKeys();
    await rejectsWithCode(devB.deriveSharedSecret(key, peer.getPublicKey()), "EW_ERR_TPM_FOREIGN_KEY");
  });

  it("a key bound to PCR values the TPM does not have yet works only once they hold", async () => {
    const sel = parsePcrSelectionText(`sha256:${APPLICATION_PCR}`);
    const event = new TextEncoder().encode("edgeward: expected future state");
    // The expected value after one extend of H(event) into a zero PCR, computed without the TPM.
    const current = (await devB.pcrRead(sel)).sha256?.[APPLICATION_PCR] ?? new Uint8Array(32);
    const future = createHash("sha256").update(current).update(createHash("sha256").update(event).digest()).digest();
    const { key } = await createTpmDecryptionKey(devB, {
      pcrs: sel,
      expected: { sha256: { [APPLICATION_PCR]: future } },
    });
    const peer = createECDH("prime256v1");
    peer.generateKeys();
    await rejectsWithCode(devB.deriveSharedSecret(key, peer.getPublicKey()), "EW_ERR_TPM_POLICY");
    await devB.pcrExtend(APPLICATION_PCR, event);
    assert.equal((await devB.deriveSharedSecret(key, peer.getPublicKey())).length, 32);
  });

  it("seals and unseals a secret under the PCR policy; an extend makes unseal fail with EW_ERR_TPM_POLICY", async () => {
    const secret = new TextEncoder().encode("model release key 7");
    const sealed = await devA.seal(secret, parsePcrSelectionText(`7,${APPLICATION_PCR}`));
    assert.deepEqual(hexed(await devA.unseal(sealed)), hexed(secret));
    await devA.pcrExtend(7, new TextEncoder().encode("secure boot db changed"));
    await rejectsWithCode(devA.unseal(sealed), "EW_ERR_TPM_POLICY");
    await a.reboot();
    assert.deepEqual(hexed(await devA.unseal(sealed)), hexed(secret));
  });

  it("the key file round-trips, says what it is, and a file whose policy was altered is rejected", async () => {
    const created = await createTpmDecryptionKey(devA);
    assert.ok(isTpmKeyFile(created.keyFile));
    assert.match(created.keyFile, /^# Edgeward TPM key/);
    assert.ok(created.keyFile.includes(`# recipient: ${created.recipient}`));
    const parsed = parseKeyFile(created.keyFile);
    assert.deepEqual(hexed(parsed), hexed(created.key));
    assert.deepEqual(
      formatKeyFile(parsed, created.recipient, new Date(0)).split("\n").slice(3),
      created.keyFile.split("\n").slice(3),
    );
    const other = parseKeyFile((await createTpmDecryptionKey(devA, { pcrs: parsePcrSelectionText("7") })).keyFile);
    const forged = formatKeyFile({ ...parsed, pcrs: other.pcrs, pcrDigest: other.pcrDigest }, created.recipient);
    throwsWithCode(() => parseKeyFile(forged), "EW_ERR_TPM_KEY_FILE");
  });
});
