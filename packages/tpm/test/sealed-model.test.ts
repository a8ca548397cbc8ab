import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MAX_TAGGED_ATTEMPTS, openToMemory, parseRecipient, sealStream } from "@edgeward/core";
import {
  forgedTaggedStanzas,
  rejectsWithCode,
  startSwtpmFleet,
  syntheticMatMulModel,
  tempDir,
  type Swtpm,
} from "@edgeward/testkit";
import {
  APPLICATION_PCR,
  Tpm2ToolsDevice,
  createTpmDecryptionKey,
  isTpmKeyFile,
  loadTpmIdentity,
  type WrappedObject,
} from "@edgeward/tpm";
import { deviceFor, SLOW } from "./helpers.ts";

/** Seals `model` to `recipient` with core's age API. */
async function seal(model: Uint8Array, recipient: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of sealStream([model], [parseRecipient(recipient)])) parts.push(chunk);
  return Buffer.concat(parts);
}

/** The real swtpm device, counting the ECDH operations it is asked for. */
class CountingDevice extends Tpm2ToolsDevice {
  operations = 0;
  override deriveSharedSecret(key: WrappedObject, peer: Uint8Array): Promise<Uint8Array> {
    this.operations++;
    return super.deriveSharedSecret(key, peer);
  }
}

describe("a model sealed to a device's TPM key (swtpm)", SLOW, () => {
  let fleet: Swtpm[] & AsyncDisposable;
  let a: Swtpm;
  let b: Swtpm;
  const dir = tempDir();
  const model = syntheticMatMulModel(16, 8);
  let keyFile: string;
  let sealed: Uint8Array;
  let recipient: string;

  before(async () => {
    fleet = await startSwtpmFleet(2);
    const [first, second] = fleet;
    assert.ok(first !== undefined && second !== undefined);
    [a, b] = [first, second];
    const created = await createTpmDecryptionKey(deviceFor(a));
    assert.ok(isTpmKeyFile(created.keyFile));
    keyFile = join(dir.path, "device-a.tpmkey");
    writeFileSync(keyFile, created.keyFile, { mode: 0o600 });
    recipient = created.recipient;
    sealed = await seal(model, created.recipient);
  });
  after(async () => {
    await fleet?.[Symbol.asyncDispose]();
    dir[Symbol.dispose]();
  });

  it("opens on device A through the TPM, and the identity says it is hardware-backed", async () => {
    const identity = await loadTpmIdentity(keyFile, { tcti: a.tcti });
    assert.equal(identity.hardwareBacked, true);
    assert.deepEqual(Buffer.from(await openToMemory(sealed, [identity])), Buffer.from(model));
  });

  it("a header of 1,023 forged stanzas with A's tag costs at most MAX_TAGGED_ATTEMPTS TPM operations", async () => {
    const counting = new CountingDevice({ tcti: a.tcti });
    const identity = await loadTpmIdentity(keyFile, { device: counting });
    const forged = await forgedTaggedStanzas(recipient, 1023);
    await rejectsWithCode(identity.unwrapFileKey(forged), "EW_ERR_AGE_HEADER_RECIPIENT");
    assert.equal(counting.operations, MAX_TAGGED_ATTEMPTS);
  });

  it("clone attack: A's key file and sealed model copied to device B fail to open with EW_ERR_TPM_FOREIGN_KEY", async () => {
    const identity = await loadTpmIdentity(keyFile, { tcti: b.tcti });
    await rejectsWithCode(openToMemory(sealed, [identity]), "EW_ERR_TPM_FOREIGN_KEY");
  });

  it("boot change: after the policy PCR is extended opening fails with EW_ERR_TPM_POLICY; after a reboot it opens again", async () => {
    const identity = await loadTpmIdentity(keyFile, { tcti: a.tcti });
    await deviceFor(a).pcrExtend(APPLICATION_PCR, new TextEncoder().encode("tamper: accelerometer"));
    await rejectsWithCode(openToMemory(sealed, [identity]), "EW_ERR_TPM_POLICY");
    await a.reboot();
    assert.deepEqual(Buffer.from(await openToMemory(sealed, [identity])), Buffer.from(model));
  });
});
