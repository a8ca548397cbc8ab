/**
 * state.json, version 1: the interface the audit reads the agent through (docs/audit.md "The state directory").
 * It is derived, never authoritative: rebuilt whole from device.json, hub.json, status.json, current.json, the
 * certificate and the TPM's version floor whenever one of them changes, and written atomically (0600).
 */
import { lookup } from "node:dns/promises";
import { stat } from "node:fs/promises";
import { isIP, type AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
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
  /**
   * The floor of release `name` as the running agent last read it from the TPM (at start, at each check and each
   * raise), or undefined when it holds none; then the TPM is read. state.json is rebuilt several times a cycle, and
   * the counter moves only when the agent raises it, so this spares a TPM command per rebuild.
   */
  readonly knownFloor?: (name: string) => bigint | undefined;
  /** The configured tamper source kinds (armed while no tamper event fired and the watch runs). */
  readonly tamperSources?: readonly string[];
  readonly watching?: boolean;
  /** How old an attestation may be before promise 7 fails (the attestation interval's slack). */
  readonly attestationMaxAgeSeconds?: number;
  /** TCP ports the agent listens on besides `address`'s. */
  readonly listen?: readonly number[];
  /** Where the local API listens (`server.address()`): a TCP port, or a Unix socket whose folder the agent writes. */
  readonly address?: string | AddressInfo | null;
  /** The egress allow-list beyond the hub (`host` or `host:port`, port 443 when absent), as the agent's config. */
  readonly allow?: readonly string[];
  /**
   * Resolves a host name to its addresses, for `hub.addresses` and `hub.allow` (the audit does not resolve names:
   * nftables matches addresses). Without it only IP literals are recorded. {@link lookupAddresses} is the system's.
   */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
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
  if (record?.hubUrl !== undefined) state["hub"] = await hubFacts(record.hubUrl, inputs);
  if (record !== undefined) {
    const at = record.deviceId === undefined ? undefined : await pinnedAt(layout);
    state["enrolment"] = { enrolled: record.deviceId !== undefined, ...(at === undefined ? {} : { at }) };
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
    const target = ((await readJson(layout.release(serving.releaseId).meta)) as { targetName?: unknown } | undefined)
      ?.targetName;
    state["update"] = {
      ...((await readJson(tufRoot)) === undefined ? {} : { tufRoot: rel(tufRoot) }),
      ...(typeof target === "string" && target.length > 0 ? { target } : {}),
      runningVersion: versionSequence(serving.version),
      ...(inputs.tpm === undefined ? {} : { floor: await floorOf(inputs, inputs.tpm, serving.name) }),
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
  const agent = agentFacts(inputs);
  if (agent !== undefined) state["agent"] = agent;
  return state;
}

/** Rebuilds state.json (temporary file and rename, mode 0600). */
export async function writeAuditState(layout: StateLayout, inputs: AuditStateInputs = {}): Promise<void> {
  await writeJson(join(layout.root, AUDIT_STATE_FILE), await buildAuditState(layout, inputs));
}

/** How long one name may take to resolve while state.json is rebuilt. */
const RESOLVE_TIMEOUT_MS = 2_000;

/** The system resolver (getaddrinfo, as the agent's own connections resolve), every address of `host`. */
export async function lookupAddresses(host: string): Promise<readonly string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}

/**
 * `hub`: its URL, the addresses the agent would reach it at, and the other allowed peers as `IP:PORT`, so the
 * audit can match them against the loaded nftables rules (promise 3). A name that does not resolve now is left
 * out, and the audit then reports the rule that allows it as unexplained.
 */
async function hubFacts(url: string, inputs: AuditStateInputs): Promise<object> {
  const host = hostOf(url);
  const addresses = host === undefined ? [] : await addressesOf(host, inputs);
  const allow: string[] = [];
  for (const entry of inputs.allow ?? []) {
    const peer = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(entry.trim().toLowerCase());
    const name = peer?.[1] ?? peer?.[2];
    if (name === undefined) continue;
    const port = peer?.[3] ?? "443";
    for (const a of await addressesOf(name, inputs)) allow.push(isIP(a) === 6 ? `[${a}]:${port}` : `${a}:${port}`);
  }
  return {
    url,
    ...(addresses.length === 0 ? {} : { addresses: [...new Set(addresses)] }),
    ...(allow.length === 0 ? {} : { allow: [...new Set(allow)] }),
  };
}

/** The host of an URL without IPv6 brackets, or undefined when it is not an URL. */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    return undefined;
  }
}

/** An IP literal as itself; a name through the resolver (bounded in time), or nothing without one. */
async function addressesOf(host: string, inputs: AuditStateInputs): Promise<readonly string[]> {
  if (isIP(host) !== 0) return [host];
  if (inputs.resolve === undefined) return [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<readonly string[]>((done) => (timer = setTimeout(() => done([]), RESOLVE_TIMEOUT_MS)));
  try {
    const found = await Promise.race([inputs.resolve(host).catch(() => []), timeout]);
    return found.filter((a) => isIP(a) !== 0);
  } finally {
    clearTimeout(timer);
  }
}

/** When the hub was pinned (hub.json is written once, at enrolment), or undefined without hub.json. */
async function pinnedAt(layout: StateLayout): Promise<string | undefined> {
  try {
    return (await stat(layout.hub)).mtime.toISOString();
  } catch {
    return undefined;
  }
}

/** `agent`: the TCP ports the local API listens on, and the folders it writes besides the state directory. */
function agentFacts(inputs: AuditStateInputs): object | undefined {
  const a = inputs.address;
  if (inputs.listen === undefined && (a === undefined || a === null)) return undefined;
  const listen = new Set(inputs.listen ?? []);
  if (typeof a === "object" && a !== null) listen.add(a.port);
  // A Unix socket's folder (systemd's RuntimeDirectory=, /run/edgeward) is the one place outside the state
  // directory the agent writes: promises 1 and 5 scan it.
  const dataDirs = typeof a === "string" ? [dirname(resolve(a))] : [];
  return { listen: [...listen].filter((p) => p > 0), dataDirs };
}

async function floorOf(inputs: AuditStateInputs, tpm: TpmDevice, name: string): Promise<number | null> {
  const known = inputs.knownFloor?.(name);
  return known === undefined ? readFloor(tpm, name) : Number(known);
}

async function readFloor(tpm: TpmDevice, name: string): Promise<number | null> {
  try {
    return Number(await new VersionFloor(tpm, floorIndexFor(name)).read());
  } catch (err) {
    if (isEdgewardError(err, "EW_ERR_TPM_NV_UNDEFINED")) return null;
    throw err;
  }
}
