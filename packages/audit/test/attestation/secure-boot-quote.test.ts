import assert from "node:assert/strict";
import { createPublicKey, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { checkSecureBoot, EV, parsePcrSelectionText, verifyQuote } from "@edgeward/core";
import {
  buildLog,
  EFI_GLOBAL_GUID_BYTES,
  startSwtpm,
  throwsWithCode,
  variableData,
  type BuiltEvent,
  type Swtpm,
} from "@edgeward/testkit";
import { Tpm2ToolsDevice, type AttestationKey } from "@edgeward/tpm";

// The secureBoot: required policy end to end with a real TPM (swtpm): "firmware" measures the Secure Boot
// variables into PCR 7 (TPM2_PCR_Event extends H(data) in each bank, as PC Client PFP §3.3.4.8 has firmware
// measure UEFI_VARIABLE_DATA), the device quotes PCR 7, the verifier checks the quote, then the log against it.
const PCR7 = parsePcrSelectionText("sha256:7");

/** The PCR 7 events a firmware logs: SecureBoot, PK, KEK, db, dbx, then the separator (PFP §3.3.4.8). */
function pcr7Events(secureBoot: number): BuiltEvent[] {
  const variable = (name: string, data: Uint8Array): BuiltEvent => ({
    pcr: 7,
    type: EV.EFI_VARIABLE_DRIVER_CONFIG,
    data: variableData(EFI_GLOBAL_GUID_BYTES, name, data),
  });
  return [
    variable("SecureBoot", Uint8Array.of(secureBoot)),
    variable("PK", new Uint8Array(0)),
    { pcr: 7, type: EV.SEPARATOR, data: new Uint8Array(4) },
  ];
}

describe("secureBoot: required against a real TPM quote (swtpm)", { timeout: 120_000 }, () => {
  let on: Swtpm;
  let off: Swtpm;
  const devices: { tpm: Tpm2ToolsDevice; ak: AttestationKey }[] = [];
  before(async () => {
    [on, off] = await Promise.all([startSwtpm(), startSwtpm()]);
    for (const [tpm, secureBoot] of [
      [on, 1],
      [off, 0],
    ] as const) {
      const device = new Tpm2ToolsDevice({ tcti: tpm.tcti });
      for (const e of pcr7Events(secureBoot)) await device.pcrExtend(7, e.data);
      devices.push({ tpm: device, ak: await device.createAttestationKey() });
    }
  });
  after(async () => {
    await Promise.all([on?.stop(), off?.stop()]);
  });

  async function quotedPcr7(i: number): Promise<ReturnType<typeof verifyQuote>["pcrValues"]> {
    const { tpm, ak } = devices[i]!;
    const nonce = randomBytes(16);
    const q = await tpm.quote(ak, PCR7, nonce);
    const akPublicKey = createPublicKey(ak.publicKeyPem);
    const verified = verifyQuote({
      message: q.message,
      signature: q.signature,
      akPublicKey,
      nonce,
      pcrValues: q.pcrValues,
    });
    return verified.pcrValues;
  }

  it("passes for the log the TPM measured, with SecureBoot 1", async () => {
    const evidence = checkSecureBoot({
      eventLog: buildLog(["sha256"], pcr7Events(1)),
      quotedPcrs: await quotedPcr7(0),
    });
    assert.equal(evidence.state.enabled, true);
  });

  it("when the device measured SecureBoot 0 but sends a log saying 1, rejects with EW_ERR_EVENTLOG_REPLAY_MISMATCH", async () => {
    const forged = buildLog(["sha256"], pcr7Events(1));
    const quoted = await quotedPcr7(1);
    throwsWithCode(() => checkSecureBoot({ eventLog: forged, quotedPcrs: quoted }), "EW_ERR_EVENTLOG_REPLAY_MISMATCH");
  });

  it("when the device sends the log it measured, with SecureBoot 0, rejects with EW_ERR_SECURE_BOOT_OFF", async () => {
    const honest = buildLog(["sha256"], pcr7Events(0));
    const quoted = await quotedPcr7(1);
    throwsWithCode(() => checkSecureBoot({ eventLog: honest, quotedPcrs: quoted }), "EW_ERR_SECURE_BOOT_OFF");
  });
});
