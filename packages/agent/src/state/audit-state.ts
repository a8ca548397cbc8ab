/**
 * state.json, version 1: the interface the audit reads the agent through (docs/audit.md "The state directory").
 * It is derived, never authoritative: rebuilt whole from device.json, hub.json, status.json, current.json, the
 * certificate and the TPM's version floor whenever one of them changes, and written atomically (0600).
 */
import { join } from "node:path";
import { formatPcrSelection, isEdgewardError } from "@edgeward/core";
import type { TpmDevice } from "@edgeward/tpm";
import { floorIndexFor, VersionFloor } from "../floor.ts";
import { loadDevice } from "../identity/provision.ts";
import type { DeviceRecord } from "../identity/device-record.ts";
import { readRuntimeStatus } from "../status.ts";
import { readTamperRecord } from "../tamper/respond.ts";
import { versionSequence } from "../update/activate.ts";
import { readJson, readText, writeJson } from "./files.ts";
import type { StateLayout } from "./layout.ts";

/** The file's name in the state directory (the audit's fixed path). */
export const AUDIT_STATE_FILE = "state.json";

/** What the state directory alone does not hold. */
export interface AuditStateInputs {
  /**
   * The serving release's guard (promise 8): the digest of the guard file loaded, the one the release names, and
   * the stages it enables.
   */
  readonly guard?: { readonly digest: string; readonly releaseDigest: string; readonly stages: readonly string[] };
  /** Reads the serving release's NV version floor. */
  readonly tpm?: TpmDevice;
  /** The configured tamper source kinds (armed while no tamper event fired and the watch runs). */
  readonly tamperSources?: readonly string[];
  readonly watching?: boolean;
  /** How old an attestation may be before promise 7 fails (the attestation interval's slack). */
  readonly attestationMaxAgeSeconds?: number;
  readonly listen?: readonly number[];
}

/** Builds the version-1 object from the state directory. */
export async function buildAuditState(layout: StateLayout, inputs: AuditStateInputs = {}): Promise<object> {
  let record: DeviceRecord | undefined;
  try {
    record = await loadDevice(layout);
  } catch (err) {
    if (!isEdgewardError(err, "EW_ERR_AGENT_NOT_ENROLLED")) throw err;
  }
  const status = await readRuntimeStatus(layout);
  const rel = (path: string): string => path.slice(layout.root.length + 1);
  const present = async (path: string): Promise<boolean> => (await readText(path)) !== undefined;
  const tampered = (await readTamperRecord(layout)) !== undefined;
  const state: Record<string, unknown> = { version: 1 };
  if (record?.deviceId !== undefined) state["deviceId"] = record.deviceId;
  if (record?.hubUrl !== undefined) state["hub"] = { url: record.hubUrl };
  if (record !== undefined) {
    state["enrolment"] = { enrolled: record.deviceId !== undefined };
    // The unwrap key is TPM-wrapped inside device.json, bound to the enrolled PCR policy (promise 1).
    state["keys"] = { unwrap: { kind: "tpm", pcrs: formatPcrSelection(record.policyPcrs), file: rel(layout.device) } };
  }
  const att = status.lastAttestation;
  if (att !== undefined)
    state["attestation"] = {
      result: att.result,
      at: att.at,
      ...(inputs.attestationMaxAgeSeconds === undefined ? {} : { maxAgeSeconds: inputs.attestationMaxAgeSeconds }),
    };
  if (await present(layout.certificate))
    state["cert"] = {
      file: rel(layout.certificate),
      ...((await present(layout.hubCa)) ? { caFile: rel(layout.hubCa) } : {}),
    };
  const serving = status.serving;
  if (serving !== undefined) {
    const tufRoot = join(layout.tuf, "root.json");
    state["update"] = {
      ...((await readJson(tufRoot)) === undefined ? {} : { tufRoot: rel(tufRoot) }),
      runningVersion: versionSequence(serving.version),
      ...(inputs.tpm === undefined ? {} : { floor: await readFloor(inputs.tpm, serving.name) }),
    };
  }
  if (inputs.tamperSources !== undefined) {
    const armed = inputs.watching === true && !tampered;
    state["tamper"] = { sources: inputs.tamperSources.map((kind) => ({ kind, armed })) };
  }
  const guard = inputs.guard;
  if (guard !== undefined)
    state["guard"] = {
      source: "release",
      digest: guard.digest,
      releaseDigest: guard.releaseDigest,
      stages: [...guard.stages],
    };
  if (record !== undefined)
    state["log"] = {
      db: rel(layout.log),
      vkey: record.logKey.vkey,
      ...(status.logShipped === undefined ? {} : { checkpoint: { size: status.logShipped, acceptedByHub: true } }),
    };
  if (inputs.listen !== undefined) state["agent"] = { listen: [...inputs.listen] };
  return state;
}

/** Rebuilds state.json (temporary file and rename, mode 0600). */
export async function writeAuditState(layout: StateLayout, inputs: AuditStateInputs = {}): Promise<void> {
  await writeJson(join(layout.root, AUDIT_STATE_FILE), await buildAuditState(layout, inputs));
}

async function readFloor(tpm: TpmDevice, name: string): Promise<number | null> {
  try {
    return Number(await new VersionFloor(tpm, floorIndexFor(name)).read());
  } catch (err) {
    if (isEdgewardError(err, "EW_ERR_TPM_NV_UNDEFINED")) return null;
    throw err;
  }
}
