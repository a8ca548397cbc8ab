import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePcrSelectionText } from "@edgeward/core";
import { rejectsWithCode, tempDir, throwsWithCode } from "@edgeward/testkit";
import { RESETTABLE_PCRS, SoftwareKeystore, checkKeyPolicyPcrs, createTpmDecryptionKey } from "@edgeward/tpm";

describe("key policies that cannot be undone", () => {
  it("refuses every PCR software can reset (16, 20-23), alone or with others, with EW_ERR_TPM_PCR_RESETTABLE", () => {
    assert.deepEqual(RESETTABLE_PCRS, [16, 20, 21, 22, 23]);
    for (let pcr = 0; pcr < 24; pcr++) {
      const sel = parsePcrSelectionText(`sha256:7,${pcr}`);
      if (RESETTABLE_PCRS.includes(pcr)) {
        throwsWithCode(() => checkKeyPolicyPcrs(sel), "EW_ERR_TPM_PCR_RESETTABLE");
        checkKeyPolicyPcrs(sel, { resettablePcrs: true });
      } else checkKeyPolicyPcrs(sel);
    }
  });

  it("refuses the SHA-1 bank with EW_ERR_TPM_PCR_SHA1 unless allowed, also next to a SHA-256 bank", () => {
    for (const text of ["sha1:7", "sha256:7+sha1:14"]) {
      throwsWithCode(() => checkKeyPolicyPcrs(parsePcrSelectionText(text)), "EW_ERR_TPM_PCR_SHA1");
      checkKeyPolicyPcrs(parsePcrSelectionText(text), { sha1: true });
    }
    throwsWithCode(
      () => checkKeyPolicyPcrs(parsePcrSelectionText("sha1:16"), { sha1: true }),
      "EW_ERR_TPM_PCR_RESETTABLE",
    );
  });

  it("createTpmDecryptionKey applies the check before the device makes a key", async () => {
    using dir = tempDir();
    const ks = new SoftwareKeystore(dir.path);
    await rejectsWithCode(
      createTpmDecryptionKey(ks, { pcrs: parsePcrSelectionText("7,23") }),
      "EW_ERR_TPM_PCR_RESETTABLE",
    );
    const allowed = await createTpmDecryptionKey(ks, {
      pcrs: parsePcrSelectionText("7,23"),
      allow: { resettablePcrs: true },
    });
    assert.match(allowed.recipient, /^age1tag1/);
  });
});
