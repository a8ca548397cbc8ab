import assert from "node:assert/strict";
import { createECDH } from "node:crypto";
import { spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openToMemory, parseRecipient, sealStream } from "@edgeward/core";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import {
  APPLICATION_PCR,
  createTpmDecryptionKey,
  isTpmKeyFile,
  loadTpmIdentity,
  openTpmDevice,
  SoftwareKeystore,
  wrappedPublicPoint,
} from "@edgeward/tpm";

describe("the software keystore (no TPM)", () => {
  it("says everywhere that it is not hardware-backed", async () => {
    using dir = tempDir();
    const ks = new SoftwareKeystore(dir.path);
    assert.equal(ks.hardwareBacked, false);
    assert.match(ks.description, /NOT hardware-backed/);
    assert.equal((await ks.status()).hardwareBacked, false);
    const created = await createTpmDecryptionKey(ks);
    assert.match(created.keyFile, /^# Edgeward SOFTWARE key \(NOT hardware-backed\)/);
    assert.ok(isTpmKeyFile(created.keyFile));
    assert.equal(statSync(join(dir.path, "master.key")).mode & 0o077, 0);
  });

  it("does ECDH like node:crypto, enforces its PCR policy, and a new instance (a reboot) resets the PCRs", async () => {
    using dir = tempDir();
    const ks = new SoftwareKeystore(dir.path);
    const { key } = await createTpmDecryptionKey(ks);
    const peer = createECDH("prime256v1");
    peer.generateKeys();
    const z = await ks.deriveSharedSecret(key, peer.getPublicKey());
    assert.equal(Buffer.from(z).toString("hex"), peer.computeSecret(wrappedPublicPoint(key)).toString("hex"));
    await ks.pcrExtend(APPLICATION_PCR, new TextEncoder().encode("tamper"));
    await rejectsWithCode(ks.deriveSharedSecret(key, peer.getPublicKey()), "EW_ERR_TPM_POLICY");
    const rebooted = new SoftwareKeystore(dir.path);
    assert.equal((await rebooted.deriveSharedSecret(key, peer.getPublicKey())).length, 32);
  });

  it("a key from another keystore rejects with EW_ERR_TPM_FOREIGN_KEY; attestation rejects with EW_ERR_TPM_NOT_HARDWARE", async () => {
    using one = tempDir();
    using two = tempDir();
    const { key } = await createTpmDecryptionKey(new SoftwareKeystore(one.path));
    const other = new SoftwareKeystore(two.path);
    const peer = createECDH("prime256v1");
    peer.generateKeys();
    await rejectsWithCode(other.deriveSharedSecret(key, peer.getPublicKey()), "EW_ERR_TPM_FOREIGN_KEY");
    await rejectsWithCode(other.createAttestationKey(), "EW_ERR_TPM_NOT_HARDWARE");
    await rejectsWithCode(other.ekPublic(), "EW_ERR_TPM_NOT_HARDWARE");
    assert.equal(await other.ekCertificate(), null);
  });

  it("seals and unseals, and its counters only go up and persist", async () => {
    using dir = tempDir();
    const ks = new SoftwareKeystore(dir.path);
    const sealed = await ks.seal(new Uint8Array([7, 7]), [{ bank: "sha256", pcrs: [7] }]);
    assert.deepEqual([...(await ks.unseal(sealed))], [7, 7]);
    await rejectsWithCode(ks.counterRead(0x01000e00), "EW_ERR_TPM_NV_UNDEFINED");
    const v = await ks.counterDefine(0x01000e00);
    assert.equal(await ks.counterIncrement(0x01000e00), v + 1n);
    assert.equal(await new SoftwareKeystore(dir.path).counterRead(0x01000e00), v + 1n);
  });

  it("a software key file opens a sealed model through loadTpmIdentity, reporting hardwareBacked false", async () => {
    using dir = tempDir();
    const keystoreDir = join(dir.path, "keystore");
    const created = await createTpmDecryptionKey(openTpmDevice({ software: true, keystoreDir }));
    const keyFile = join(dir.path, "device.key");
    writeFileSync(keyFile, created.keyFile);
    const parts: Uint8Array[] = [];
    for await (const c of sealStream([new TextEncoder().encode("weights")], [parseRecipient(created.recipient)]))
      parts.push(c);
    const identity = await loadTpmIdentity(keyFile, { keystoreDir });
    assert.equal(identity.hardwareBacked, false);
    assert.equal(new TextDecoder().decode(await openToMemory(Buffer.concat(parts), [identity])), "weights");
  });

  it("without a TPM and without allowSoftware, opening the device rejects with EW_ERR_TPM_UNAVAILABLE", () => {
    // "Without a TPM" made true on any machine, TPM or not, TPM2TOOLS_TCTI set or not: a child process without
    // TPM2TOOLS_TCTI, in a private mount namespace whose /dev is an empty tmpfs (no /dev/tpm0, no /dev/tpmrm0).
    const script = `
      import { openTpmDevice } from "@edgeward/tpm";
      const out = {};
      try { openTpmDevice(); out.plain = "opened"; } catch (e) { out.plain = e.code; }
      out.allowed = openTpmDevice({ allowSoftware: true, keystoreDir: process.argv[1] }).kind;
      process.stdout.write(JSON.stringify(out));`;
    using dir = tempDir();
    const env = { ...process.env };
    delete env["TPM2TOOLS_TCTI"];
    const res = spawnSync(
      "unshare",
      [
        "-m",
        "sh",
        "-c",
        'mount -t tmpfs tmpfs /dev && exec "$0" --input-type=module -e "$1" "$2"',
        process.execPath,
        script,
        dir.path,
      ],
      { cwd: import.meta.dirname, env, encoding: "utf8" },
    );
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { plain: "EW_ERR_TPM_UNAVAILABLE", allowed: "software" });
  });
});
