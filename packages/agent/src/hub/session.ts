/**
 * The agent's link to its hub: the pinned facts (hub.json: URL, log verifier key, TUF root), the egress client
 * with the device's mTLS identity once it has a certificate, and attestation (ARCHITECTURE.md "The flows" 3):
 * challenge, quote over the hub's nonce and PCR selection, and a CSR so a pass renews the certificate — also
 * after it expired, since challenge and quote are reachable without a client certificate.
 */
import { X509Certificate } from "node:crypto";
import { EdgewardError, type wire } from "@edgeward/core";
import type { TpmDevice } from "@edgeward/tpm";
import type { DeviceRecord } from "../identity/device-record.ts";
import { answerChallenge } from "../identity/evidence.ts";
import { readEventLog } from "../identity/event-log.ts";
import { createCsr } from "../identity/csr.ts";
import type { DeviceKeys } from "../identity/provision.ts";
import { EgressClient } from "../net/egress.ts";
import { readJson, readText, writeJson, writePrivateFile } from "../state/files.ts";
import type { StateLayout } from "../state/layout.ts";
import { HubClient } from "./hub-client.ts";

/** hub.json. */
export interface PinnedHub {
  readonly hubUrl: string;
  readonly logVerifierKey: string;
}

/** Writes hub.json and the TUF root the device starts trusting from (TUF 1.0 §5.2: the trusted root). */
export async function pinHub(layout: StateLayout, hubUrl: string, info: wire.HubInfoResponse): Promise<void> {
  await writeJson(layout.hub, { hubUrl, logVerifierKey: info.logVerifierKey } satisfies PinnedHub);
  await writePrivateFile(`${layout.tuf}/root.json`, JSON.stringify(info.tufRoot));
}

/** Reads hub.json; EW_ERR_AGENT_NOT_ENROLLED without one. */
export async function pinnedHub(layout: StateLayout): Promise<PinnedHub> {
  const v = (await readJson(layout.hub)) as Partial<PinnedHub> | undefined;
  if (v === undefined) throw new EdgewardError("EW_ERR_AGENT_NOT_ENROLLED", { detail: "no hub.json" });
  if (typeof v.hubUrl !== "string" || typeof v.logVerifierKey !== "string")
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: "hub.json is malformed" });
  return { hubUrl: v.hubUrl, logVerifierKey: v.logVerifierKey };
}

/** The host:port the allow-list holds for `url`. */
export function hostOf(url: string): string {
  const u = new URL(url);
  return u.port === "" ? `${u.hostname}:443` : `${u.hostname}:${u.port}`;
}

/** Options for {@link hubClient}. */
export interface HubClientOptions {
  readonly hubUrl: string;
  readonly caPem: string;
  /** The device's mTLS identity; absent before it has a certificate. */
  readonly identity?: { readonly certificate: string; readonly key: DeviceKeys["mtlsKey"] };
  readonly allow?: readonly string[];
  readonly onRefusal?: (url: string, reason: string) => void;
}

/** A device-API client for the hub, its egress limited to the hub (and `allow`). */
export function hubClient(o: HubClientOptions): HubClient {
  const egress = new EgressClient({
    allow: [hostOf(o.hubUrl), ...(o.allow ?? [])],
    ca: o.caPem,
    ...(o.identity === undefined ? {} : { identity: o.identity }),
    ...(o.onRefusal === undefined ? {} : { onRefusal: o.onRefusal }),
  });
  return new HubClient(egress, o.hubUrl);
}

/**
 * The client with the stored certificate while it is valid, else without one: challenge and quote need no client
 * certificate, so an agent whose certificate expired renews it by attesting (ARCHITECTURE.md "The flows" 3).
 */
export async function storedHubClient(
  layout: StateLayout,
  keys: DeviceKeys | undefined,
  extra: Pick<HubClientOptions, "allow" | "onRefusal"> = {},
  now: Date = new Date(),
): Promise<HubClient> {
  return clientFor(layout, keys, await validCertificate(layout, now), extra);
}

/**
 * A {@link storedHubClient} kept while the identity it presents stays the same (the same keys, and the stored
 * certificate until it expires or {@link CachedHubClient.renewed} says a new one was stored), so its connections are
 * reused across requests and cycles and no request reads the state directory; a new identity gives a new client,
 * and the old one closes its connections once their requests end.
 */
export class CachedHubClient {
  #held:
    | { certificate: string | undefined; validUntil: number; keys: DeviceKeys | undefined; client: HubClient }
    | undefined;
  #renewed = false;

  /** The client for the current identity. */
  async get(
    layout: StateLayout,
    keys: DeviceKeys | undefined,
    extra: Pick<HubClientOptions, "allow" | "onRefusal">,
    now: Date,
  ): Promise<HubClient> {
    const held = this.#held;
    if (held !== undefined && held.keys === keys && !this.#renewed && now.getTime() < held.validUntil)
      return held.client;
    this.#renewed = false;
    const certificate = await validCertificate(layout, now);
    if (held !== undefined && held.certificate === certificate && held.keys === keys) return held.client;
    const client = await clientFor(layout, keys, certificate, extra);
    held?.client.release();
    const validUntil = certificate === undefined ? Infinity : new X509Certificate(certificate).validToDate.getTime();
    this.#held = { certificate, validUntil, keys, client };
    return client;
  }

  /** A new certificate was stored: the next {@link get} reads it. */
  renewed(): void {
    this.#renewed = true;
  }

  /** The last client handed out, whatever identity it has (a tamper report goes out on it). */
  get last(): HubClient | undefined {
    return this.#held?.client;
  }

  /** Closes the held client's connections. */
  close(): void {
    this.#held?.client.close();
    this.#held = undefined;
  }
}

/**
 * Whether an attestation should carry a CSR (ARCHITECTURE.md "The flows" 3: short-lived certificates renewed
 * before expiry): when the device holds no valid certificate, or less than half of its lifetime is left.
 */
export async function renewalDue(layout: StateLayout, now: Date): Promise<boolean> {
  const pem = await validCertificate(layout, now);
  if (pem === undefined) return true;
  const cert = new X509Certificate(pem);
  const from = new Date(cert.validFrom).getTime();
  const to = new Date(cert.validTo).getTime();
  return now.getTime() >= from + (to - from) / 2;
}

async function validCertificate(layout: StateLayout, now: Date): Promise<string | undefined> {
  const stored = await readText(layout.certificate);
  return stored !== undefined && stillValid(stored, now) ? stored : undefined;
}

async function clientFor(
  layout: StateLayout,
  keys: DeviceKeys | undefined,
  certificate: string | undefined,
  extra: Pick<HubClientOptions, "allow" | "onRefusal">,
): Promise<HubClient> {
  const hub = await pinnedHub(layout);
  const caPem = await readText(layout.hubCa);
  if (caPem === undefined) throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: "no hub-ca.pem" });
  return hubClient({
    hubUrl: hub.hubUrl,
    caPem,
    ...(certificate === undefined || keys === undefined ? {} : { identity: { certificate, key: keys.mtlsKey } }),
    ...extra,
  });
}

/** Where {@link attestOnce} finds the firmware event log, and where it says why it sends none. */
export interface EventLogSource {
  /** The TCG binary event log; without it the quote goes without one. */
  readonly eventLogPath?: string;
  readonly warn?: (line: string) => void;
}

/**
 * One attestation; with `renew`, a CSR for the sealed mTLS key, and a new certificate stored on a pass. The event
 * log at `source.eventLogPath`, when readable, goes along as `eventLog` (docs/devices.md "Secure boot").
 */
export async function attestOnce(
  client: HubClient,
  tpm: TpmDevice,
  keys: DeviceKeys,
  record: DeviceRecord,
  layout: StateLayout,
  renew: boolean,
  source: EventLogSource = {},
): Promise<wire.QuoteResponse> {
  const deviceId = record.deviceId;
  if (deviceId === undefined) throw new EdgewardError("EW_ERR_AGENT_NOT_ENROLLED");
  const challenge = await client.challenge({ deviceId, banks: ["sha256"] });
  const evidence = await answerChallenge(tpm, keys.ak, challenge);
  const eventLog = source.eventLogPath === undefined ? undefined : await readEventLog(source.eventLogPath, source.warn);
  const answer = await client.quote({
    deviceId,
    nonce: challenge.nonce,
    ...evidence,
    ...(eventLog === undefined ? {} : { eventLog }),
    ...(renew ? { csr: createCsr(keys.mtlsKey, deviceId) } : {}),
  });
  if (answer.result === "pass" && answer.certificate !== undefined)
    await writePrivateFile(layout.certificate, answer.certificate);
  return answer;
}

function stillValid(pem: string, now: Date): boolean {
  try {
    return new Date(new X509Certificate(pem).validTo).getTime() > now.getTime();
  } catch {
    return false;
  }
}
