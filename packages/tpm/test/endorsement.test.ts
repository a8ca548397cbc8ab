import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { makeCredential, parseTpm2bPublic, publicKeyOf, verifyEkCertificate } from "@edgeward/core";
import {
  rejectsWithCode,
  startSwtpm,
  swtpmLocalCa,
  throwsWithCode,
  type Swtpm,
  type SwtpmLocalCa,
} from "@edgeward/testkit";
import type { EkType, Tpm2ToolsDevice } from "@edgeward/tpm";
import { ekCertificate } from "../src/tools/ek.ts";
import type { RunOptions, ToolResult } from "../src/tools/exec.ts";
import { inWorkspace, Workspace } from "../src/tools/workspace.ts";
import { deviceFor, SLOW } from "./helpers.ts";

describe("endorsement: EK certificates and credential activation (swtpm)", SLOW, () => {
  let provisioned: Swtpm;
  let other: Swtpm;
  let fresh: Swtpm;
  let ca: SwtpmLocalCa;
  before(async () => {
    [provisioned, other, fresh] = await Promise.all([
      startSwtpm({ ekCert: "unique" }),
      startSwtpm({ ekCert: "unique" }),
      startSwtpm(),
    ]);
    ca = await swtpmLocalCa();
  });
  after(async () => {
    await Promise.all([provisioned?.stop(), other?.stop(), fresh?.stop()]);
  });

  for (const type of ["rsa", "ecc"] as const) {
    it(`the ${type.toUpperCase()} EK certificate swtpm_setup wrote to NV validates against the local CA and names the EK`, async () => {
      const dev = deviceFor(provisioned);
      const cert = await dev.ekCertificate(type);
      assert.ok(cert !== null);
      const ek = publicKeyOf(parseTpm2bPublic(await dev.ekPublic(type)));
      verifyEkCertificate({
        certificate: cert,
        intermediates: [ca.intermediatePem],
        roots: [ca.rootPem],
        ekPublicKey: ek,
      });
      // Another TPM's EK is not the key this certificate certifies.
      const otherEk = publicKeyOf(parseTpm2bPublic(await deviceFor(other).ekPublic(type)));
      throwsWithCode(
        () =>
          verifyEkCertificate({
            certificate: cert,
            intermediates: [ca.intermediatePem],
            roots: [ca.rootPem],
            ekPublicKey: otherEk,
          }),
        "EW_ERR_TPM_EK_CERT_KEY",
      );
    });
  }

  it("a certificate checked against another CA's root is rejected with EW_ERR_TPM_EK_CERT_CHAIN", async () => {
    const cert = await deviceFor(provisioned).ekCertificate("rsa");
    assert.ok(cert !== null);
    // The intermediate alone is a different trust anchor only if configured; a root of the wrong CA is not.
    throwsWithCode(() => verifyEkCertificate({ certificate: cert, roots: [ca.rootPem] }), "EW_ERR_TPM_EK_CERT_CHAIN");
  });

  it("a TPM without provisioned certificates reports none", async () => {
    assert.equal(await deviceFor(fresh).ekCertificate("rsa"), null);
    const status = await deviceFor(fresh).status();
    assert.deepEqual(status.ekCertificates, { rsa: false, ecc: false });
  });

  it("when the EK certificate's NV index is listed but gone at the read, rejects with EW_ERR_TPM_EK_CERT_MISSING", async () => {
    // A certificate index (TCG EK Credential Profile §2.2.1.4, 0x01C00002 for RSA) defined on the fresh TPM, then
    // removed by a second tpm2-tools process between tpm2_getcap's listing and tpm2_nvread: the read meets
    // TPM_RC_HANDLE, which here means the certificate is missing, not that the TPM failed. Only the moment of the
    // removal is chosen by the test; the TPM, the tools and the error all come from the real run.
    const index = "0x1c00002";
    await inWorkspace({ tcti: fresh.tcti, timeoutMs: 30_000 }, true, async (setup) => {
      await setup.run("tpm2_nvdefine", [index, "-C", "o", "-s", "16", "-a", "ownerread|ownerwrite"], { loads: false });
    });
    let removed = false;
    await rejectsWithCode(
      inWorkspace({ tcti: fresh.tcti, timeoutMs: 30_000 }, true, (ws) =>
        ekCertificate(
          new RemovesBeforeRead(ws, async () => {
            await ws.run("tpm2_nvundefine", [index, "-C", "o"], { loads: false });
            removed = true;
          }),
          "rsa",
        ),
      ),
      "EW_ERR_TPM_EK_CERT_MISSING",
    );
    assert.ok(removed);
    assert.equal(await deviceFor(fresh).ekCertificate("rsa"), null);
  });

  const cases: [string, () => Swtpm, EkType][] = [
    ["RSA 2048 EK (persistent, policy session)", () => provisioned, "rsa"],
    ["ECC P-384 EK (persistent, high range)", () => provisioned, "ecc"],
    ["ECC P-256 EK (recreated from the TCG template)", () => fresh, "ecc"],
  ];
  for (const [label, tpm, type] of cases) {
    it(`a MakeCredential blob made in TypeScript for the ${label} is recovered by tpm2_activatecredential, and not on another TPM`, async () => {
      const dev: Tpm2ToolsDevice = deviceFor(tpm());
      const ak = await dev.createAttestationKey();
      const secret = new TextEncoder().encode("edgeward enrolment challenge");
      const ek = parseTpm2bPublic(await dev.ekPublic(type));
      const cred = makeCredential(ek, ak.name, secret);
      assert.deepEqual(Buffer.from(await dev.activateCredential(ak, cred.tpm2ToolsFile, type)), Buffer.from(secret));
      const stranger = deviceFor(other);
      const strangerAk = await stranger.createAttestationKey();
      const forStranger = makeCredential(ek, strangerAk.name, secret);
      await rejectsWithCode(
        stranger.activateCredential(strangerAk, forStranger.tpm2ToolsFile, type),
        "EW_ERR_TPM_CREDENTIAL",
      );
    });
  }
});

/** Runs `beforeRead` (another process's change to NV) just before the first tpm2_nvread, then runs every tool as is. */
class RemovesBeforeRead extends Workspace {
  readonly #inner: Workspace;
  #beforeRead: (() => Promise<void>) | undefined;

  constructor(inner: Workspace, beforeRead: () => Promise<void>) {
    super({ tcti: "", cwd: "", timeoutMs: 0 }, false);
    this.#inner = inner;
    this.#beforeRead = beforeRead;
  }

  override async run(
    tool: string,
    args: readonly string[],
    options?: RunOptions & { loads?: boolean },
  ): Promise<ToolResult> {
    const before = this.#beforeRead;
    if (tool === "tpm2_nvread" && before !== undefined) {
      this.#beforeRead = undefined;
      await before();
    }
    return this.#inner.run(tool, args, options);
  }

  override read(name: string): Promise<Uint8Array> {
    return this.#inner.read(name);
  }
}
