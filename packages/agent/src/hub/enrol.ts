/**
 * Enrolment (ARCHITECTURE.md "The flows" 2): the device's keys are made in its TPM (or already are), the hub's facts
 * pinned, the evidence sent (EK certificate or one-time token, the AK, TPM2_Certify of the unwrap key), the hub's
 * MakeCredential answered with ActivateCredential, and — once the device is trusted — a first attestation that
 * brings the device certificate. Each step is a decision in the device log.
 */
import { EdgewardError, type wire } from "@edgeward/core";
import type { TpmDevice } from "@edgeward/tpm";
import { DeviceLog } from "../audit/device-log.ts";
import { activateEnrolment, enrolmentRequest } from "../identity/evidence.ts";
import { loadDevice, openDeviceKeys, provisionDevice, saveDevice } from "../identity/provision.ts";
import { writeAuditState } from "../state/audit-state.ts";
import { readRuntimeStatus, writeRuntimeStatus } from "../status.ts";
import { readJson, writePrivateFile } from "../state/files.ts";
import type { StateLayout } from "../state/layout.ts";
import { attestOnce, hubClient, pinHub } from "./session.ts";

/** Options for {@link enrolDevice}. */
export interface EnrolOptions {
  readonly tpm: TpmDevice;
  readonly layout: StateLayout;
  readonly hubUrl: string;
  /** The hub CA (PEM) the device trusts for TLS. */
  readonly caPem: string;
  readonly proof: { readonly token: string } | { readonly ekCertificate: true };
  readonly onRefusal?: (url: string, reason: string) => void;
  /** The firmware event log sent with the first attestation (docs/agent.md "Configuration", eventLogPath). */
  readonly eventLogPath?: string;
}

/** What enrolment ends with. */
export interface Enrolment {
  readonly deviceId: string;
  readonly state: wire.DeviceState;
  /** The first attestation, when the device was trusted at once. */
  readonly attestation?: wire.QuoteResponse;
}

/** Enrols the device with the hub; EW_ERR_AGENT_STATE when this state directory is already enrolled. */
export async function enrolDevice(o: EnrolOptions): Promise<Enrolment> {
  const existing = (await readJson(o.layout.device)) === undefined ? undefined : await loadDevice(o.layout);
  if (existing?.deviceId !== undefined)
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `already enrolled as ${existing.deviceId}` });
  const record = existing ?? (await provisionDevice(o.tpm, o.layout));
  const client = hubClient({ hubUrl: o.hubUrl, caPem: o.caPem, ...(o.onRefusal ? { onRefusal: o.onRefusal } : {}) });
  await writePrivateFile(o.layout.hubCa, o.caPem);
  await pinHub(o.layout, o.hubUrl, await client.hubInfo());
  const keys = await openDeviceKeys(o.tpm, record);
  const enrolled = await client.enrol(await enrolmentRequest(o.tpm, record, keys.ak, o.proof));
  const secret = await activateEnrolment(o.tpm, record, keys.ak, Buffer.from(enrolled.credential, "base64"));
  const activated = await client.activate({ enrolmentId: enrolled.enrolmentId, secret });
  const device = { ...record, deviceId: activated.deviceId, hubUrl: o.hubUrl };
  await saveDevice(o.layout, device);
  const log = await DeviceLog.open(o.layout, keys.logSigner, `agent:${activated.deviceId}`);
  try {
    await log.record({
      kind: "device.enrol",
      subject: activated.deviceId,
      details: { hub: o.hubUrl, via: "token" in o.proof ? "token" : "ek-certificate", state: activated.state },
    });
    if (activated.state !== "trusted") return { deviceId: activated.deviceId, state: activated.state };
    const attestation = await attestOnce(client, o.tpm, keys, device, o.layout, true, {
      ...(o.eventLogPath === undefined ? {} : { eventLogPath: o.eventLogPath }),
    });
    const reasons = attestation.reasons.map((r) => r.code);
    await writeRuntimeStatus(o.layout, {
      ...(await readRuntimeStatus(o.layout)),
      lastAttestation: { at: new Date().toISOString(), result: attestation.result, reasons },
    });
    await log.record({
      kind: attestation.result === "pass" ? "attest.pass" : "attest.fail",
      subject: activated.deviceId,
      details: { reasons: attestation.reasons.map((r) => r.code), certificate: attestation.certificate !== undefined },
    });
    return { deviceId: activated.deviceId, state: activated.state, attestation };
  } finally {
    await log.close();
    // state.json follows every enrolment step that got this far (docs/audit.md "The state directory").
    await writeAuditState(o.layout, { tpm: o.tpm });
  }
}
