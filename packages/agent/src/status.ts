/**
 * What `edgeward agent status` shows (docs/agent.md "Status"): enrolment, last attestation, certificate expiry,
 * the serving release, the TPM version floor and the tamper state, gathered from the state directory (status.json
 * is what the running agent last wrote) and, when a TPM is given, the floor read from the TPM itself.
 */
import { X509Certificate } from "node:crypto";
import { isEdgewardError } from "@edgeward/core";
import type { TpmDevice } from "@edgeward/tpm";
import { floorIndexFor, VersionFloor } from "./floor.ts";
import { loadDevice } from "./identity/provision.ts";
import { readJson, readText, writeJson } from "./state/files.ts";
import type { StateLayout } from "./state/layout.ts";
import { readTamperRecord, type TamperRecord } from "./tamper/respond.ts";

/** The running agent's own account of itself (status.json). */
export interface RuntimeStatus {
  readonly lastAttestation?: { readonly at: string; readonly result: "pass" | "fail"; readonly reasons: string[] };
  readonly nextAttestAt?: string;
  readonly serving?: { readonly name: string; readonly version: string; readonly releaseId: string };
  readonly previous?: { readonly name: string; readonly version: string; readonly releaseId: string };
  readonly lastError?: { readonly code: string; readonly at: string };
  /** The device-log size the hub acknowledged. */
  readonly logShipped?: number;
}

/** The full status report. */
export interface AgentStatus {
  readonly stateDir: string;
  readonly enrolled: boolean;
  readonly deviceId: string | null;
  readonly hubUrl: string | null;
  readonly recipient: string | null;
  readonly certificate: { readonly notAfter: string; readonly expired: boolean } | null;
  readonly runtime: RuntimeStatus;
  /** The serving release name's NV floor as the TPM reports it; null without a TPM, a release or a counter. */
  readonly floor: string | null;
  readonly tamper: TamperRecord | null;
}

/** Writes status.json. */
export function writeRuntimeStatus(layout: StateLayout, status: RuntimeStatus): Promise<void> {
  return writeJson(layout.status, status);
}

/** Reads status.json (an empty status when absent). */
export async function readRuntimeStatus(layout: StateLayout): Promise<RuntimeStatus> {
  const v = await readJson(layout.status);
  return typeof v === "object" && v !== null ? v : {};
}

/** Gathers the status; `now` decides whether the certificate has expired. */
export async function readAgentStatus(layout: StateLayout, tpm?: TpmDevice, now = new Date()): Promise<AgentStatus> {
  let record: Awaited<ReturnType<typeof loadDevice>> | undefined;
  try {
    record = await loadDevice(layout);
  } catch (err) {
    if (!isEdgewardError(err, "EW_ERR_AGENT_NOT_ENROLLED")) throw err;
  }
  const pem = await readText(layout.certificate);
  let certificate: AgentStatus["certificate"] = null;
  if (pem !== undefined) {
    const notAfter = new Date(new X509Certificate(pem).validTo);
    certificate = { notAfter: notAfter.toISOString(), expired: notAfter.getTime() <= now.getTime() };
  }
  let floor: string | null = null;
  const runtime = await readRuntimeStatus(layout);
  const serving = runtime.serving?.name;
  if (tpm !== undefined && serving !== undefined) {
    try {
      floor = (await new VersionFloor(tpm, floorIndexFor(serving)).read()).toString();
    } catch (err) {
      if (!isEdgewardError(err, "EW_ERR_TPM_NV_UNDEFINED")) throw err;
    }
  }
  return {
    stateDir: layout.root,
    enrolled: record?.deviceId !== undefined,
    deviceId: record?.deviceId ?? null,
    hubUrl: record?.hubUrl ?? null,
    recipient: record?.recipient ?? null,
    certificate,
    runtime,
    floor,
    tamper: (await readTamperRecord(layout)) ?? null,
  };
}
