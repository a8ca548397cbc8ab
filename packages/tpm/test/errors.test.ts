import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createECDH } from "node:crypto";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { parsePcrSelectionText } from "@edgeward/core";
import { rejectsWithCode, startSwtpm, tempDir, type Swtpm } from "@edgeward/testkit";
import { codeForRc, createTpmDecryptionKey, decodeRc, rcFromStderr, Tpm2ToolsDevice } from "@edgeward/tpm";
import { deviceFor, SLOW } from "./helpers.ts";

const run = promisify(execFile);

describe("TPM response codes become typed errors", () => {
  const cases: [number, string][] = [
    [0x99d, "EW_ERR_TPM_POLICY"], // TPM_RC_POLICY_FAIL, session 1: unseal or ECDH after a PCR change
    [0x128, "EW_ERR_TPM_POLICY"], // TPM_RC_PCR_CHANGED
    [0x9a4, "EW_ERR_TPM_POLICY"], // TPM_RC_POLICY_CC
    [0x902, "EW_ERR_TPM_OBJECT_MEMORY"], // TPM_RC_OBJECT_MEMORY (warning)
    [0x903, "EW_ERR_TPM_OBJECT_MEMORY"], // TPM_RC_SESSION_MEMORY
    [0x901, "EW_ERR_TPM_OBJECT_MEMORY"], // TPM_RC_CONTEXT_GAP
    [0x922, "EW_ERR_TPM_BUSY"], // TPM_RC_RETRY
    [0x908, "EW_ERR_TPM_BUSY"], // TPM_RC_YIELDED
    [0x90a, "EW_ERR_TPM_BUSY"], // TPM_RC_TESTING
    [0x923, "EW_ERR_TPM_BUSY"], // TPM_RC_NV_UNAVAILABLE
    [0x921, "EW_ERR_TPM_LOCKOUT"], // TPM_RC_LOCKOUT
    [0x98e, "EW_ERR_TPM_AUTH"], // TPM_RC_AUTH_FAIL, session 1
    [0x1df, "EW_ERR_TPM_COMMAND"], // TPM_RC_INTEGRITY, parameter 1 (the operation decides what it means)
    [0xa000a, "EW_ERR_TPM_UNAVAILABLE"], // TSS2_TCTI_RC_IO_ERROR
    [0xa0009, "EW_ERR_TPM_BUSY"], // TSS2_TCTI_RC_TRY_AGAIN
  ];
  for (const [rc, code] of cases) {
    it(`0x${rc.toString(16)} is ${code}`, () => {
      assert.equal(codeForRc(decodeRc(rc)), code);
    });
  }

  it("reads the code from tpm2-tools' stderr", () => {
    const stderr =
      "WARNING:esys:src/tss2-esys/api/Esys_Unseal.c:295:Esys_Unseal_Finish() Received TPM Error \n" +
      "ERROR:esys:src/tss2-esys/api/Esys_Unseal.c:98:Esys_Unseal() Esys Finish ErrorCode (0x0000099d) \n";
    assert.equal(rcFromStderr(stderr), 0x99d);
    assert.equal(rcFromStderr("ERROR: Esys_Load(0x1DF) - tpm:parameter(1):integrity check failed"), 0x1df);
    assert.equal(rcFromStderr("nothing here"), undefined);
  });
});

describe("device failures (swtpm)", SLOW, () => {
  let tpm: Swtpm;
  before(async () => {
    tpm = await startSwtpm();
  });
  after(async () => {
    await tpm?.stop();
  });

  it("when no TPM answers at the TCTI, rejects with EW_ERR_TPM_UNAVAILABLE", async () => {
    using dir = tempDir();
    const dev = new Tpm2ToolsDevice({ tcti: `swtpm:path=${dir.path}/missing.sock` });
    await rejectsWithCode(dev.status(), "EW_ERR_TPM_UNAVAILABLE");
  });

  it("when tpm2-tools are not on PATH, rejects with EW_ERR_TPM_TOOLS_MISSING although the TPM answers", async () => {
    using empty = tempDir();
    const dev = new Tpm2ToolsDevice({ tcti: tpm.tcti, native: false });
    await dev.status();
    // execFile looks the tool up on the PATH of the environment exec.ts passes on, which is this process's.
    const path = process.env.PATH;
    process.env.PATH = empty.path;
    try {
      await rejectsWithCode(dev.status(), "EW_ERR_TPM_TOOLS_MISSING");
      await rejectsWithCode(dev.ekCertificate("rsa"), "EW_ERR_TPM_TOOLS_MISSING");
    } finally {
      process.env.PATH = path;
    }
    await dev.status();
  });

  it("when the TPM's object slots are full, rejects with EW_ERR_TPM_OBJECT_MEMORY, and flushes so the next call works", async () => {
    using dir = tempDir();
    const env = { ...process.env, ...tpm.env };
    // swtpm holds three transient objects; fill them behind the driver's back (no resource manager).
    for (let i = 0; i < 3; i++)
      await run("tpm2_createprimary", ["-C", "o", "-G", "ecc", "-c", `p${i}.ctx`], { cwd: dir.path, env });
    const dev = deviceFor(tpm);
    await rejectsWithCode(dev.createAttestationKey(), "EW_ERR_TPM_OBJECT_MEMORY");
    const { stdout } = await run("tpm2_getcap", ["handles-transient"], { env });
    assert.equal(stdout.trim(), "");
    await dev.createAttestationKey();
  });

  it("every operation leaves no transient object or session behind", async () => {
    const dev = deviceFor(tpm);
    const sel = parsePcrSelectionText("7");
    const sealed = await dev.seal(new Uint8Array([1, 2, 3]), sel);
    await dev.unseal(sealed);
    const { key } = await createTpmDecryptionKey(dev, { pcrs: sel });
    const peer = createECDH("prime256v1");
    peer.generateKeys();
    await dev.deriveSharedSecret(key, peer.getPublicKey());
    const ak = await dev.createAttestationKey();
    await dev.quote(ak, sel, new Uint8Array([1]));
    await dev.certify(ak, key);
    await dev.pcrExtend(7, new Uint8Array([9]));
    await rejectsWithCode(dev.unseal(sealed), "EW_ERR_TPM_POLICY");
    await rejectsWithCode(dev.deriveSharedSecret(key, peer.getPublicKey()), "EW_ERR_TPM_POLICY");
    const env = { ...process.env, ...tpm.env };
    for (const cap of ["handles-transient", "handles-loaded-session", "handles-saved-session"]) {
      const { stdout } = await run("tpm2_getcap", [cap], { env });
      assert.equal(stdout.trim(), "", cap);
    }
  });

  it("a quote leaves no transient object behind, also when the attestation key is not this TPM's", async () => {
    const dev = deviceFor(tpm);
    const env = { ...process.env, ...tpm.env };
    const transients = async () => (await run("tpm2_getcap", ["handles-transient"], { env })).stdout.trim();
    const ak = await dev.createAttestationKey();
    await dev.quote(ak, parsePcrSelectionText("7"), new Uint8Array([2]));
    assert.equal(await transients(), "");
    const foreign = { ...ak, public: Uint8Array.from(ak.public, (b, i) => (i === ak.public.length - 1 ? b ^ 1 : b)) };
    await rejectsWithCode(
      dev.quote(foreign, parsePcrSelectionText("7"), new Uint8Array([3])),
      "EW_ERR_TPM_FOREIGN_KEY",
    );
    assert.equal(await transients(), "");
  });

  it("rejects a PCR outside 0-23 with EW_ERR_TPM_PCR_SELECTION and oversized event data with EW_ERR_INPUT_TOO_LARGE", async () => {
    const dev = deviceFor(tpm);
    await rejectsWithCode(dev.pcrExtend(24, new Uint8Array(1)), "EW_ERR_TPM_PCR_SELECTION");
    await rejectsWithCode(dev.pcrExtend(7, new Uint8Array(1025)), "EW_ERR_INPUT_TOO_LARGE");
  });
});
