// Two-phase, device-initiated attestation (ARCHITECTURE.md flow 3, after Keylime's push model; TPM 2.0 Part 3
// §18.4 TPM2_Quote). Phase 1 stores a single-use nonce any replica can check; phase 2 takes it, verifies the quote
// in process (core verifyQuote), applies the group's policy, stores the result with every reason, logs it, and on
// a pass issues the device's mTLS certificate — also to a device whose certificate already expired.
import { randomBytes, type KeyObject } from "node:crypto";
import {
  EdgewardError,
  parsePcrSelectionText,
  parseTpm2bPublic,
  publicKeyOf,
  verifyQuote,
  type PcrBank,
  type PcrValues,
  type wire,
} from "@edgeward/core";
import { evaluateQuote, storedClock } from "./attest-policy.ts";
import { b64, record, unhex, type DeviceContext } from "./context.ts";
import type { DeviceRecord, GroupPolicy } from "./types.ts";

const DEFAULT_NONCE_LIFETIME_MS = 60_000;
/** ± this fraction of the interval is added as jitter to nextAttestAt, so a fleet does not attest in lockstep. */
const JITTER = 0.1;

/** A 429 answer: the error and how many seconds to wait. */
export class RetryLater extends EdgewardError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super("EW_ERR_DEVICE_RATE_LIMITED", { detail: `retry after ${retryAfterSeconds} s` });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Attestation's two phases. */
export class AttestationService {
  readonly #ctx: DeviceContext;
  /** AK KeyObjects by AK public area (hex): creating a KeyObject costs more than checking a signature. */
  readonly #akCache = new Map<string, KeyObject>();

  constructor(ctx: DeviceContext) {
    this.#ctx = ctx;
  }

  /**
   * Phase 1. `certDeviceId` is the device the client certificate names, or undefined when the device has none
   * (renewal after expiry): then only the AK's quote in phase 2 can prove who it is. `known` is the device as this
   * request already read it (the deny list's read), used instead of reading it again.
   */
  async challenge(
    req: wire.ChallengeRequest,
    certDeviceId: string | undefined,
    known?: DeviceRecord,
  ): Promise<wire.ChallengeResponse> {
    const ctx = this.#ctx;
    const now = ctx.now();
    const device = await this.#device(req.deviceId, certDeviceId, known);
    const group = await this.#group(device);
    const selection = parsePcrSelectionText(group.attestPcrs);
    for (const { bank } of selection)
      if (!req.banks.includes(bank))
        throw new EdgewardError("EW_ERR_ATTEST_PCR_MISSING", { detail: `the group needs the ${bank} bank` });
    // A client without a certificate (the renewal path) may be anyone: it gets half the quota, so a stranger asking
    // for a device's nonces cannot use up what the device itself, with its certificate, may still ask for.
    const quota = ctx.maxOutstandingNonces ?? 4;
    const limit = certDeviceId === undefined ? quota : quota * 2;
    const nonce = randomBytes(32).toString("hex");
    const expiresAt = new Date(now.getTime() + this.#lifetime()).toISOString();
    const issued = { nonce, deviceId: device.id, pcrs: group.attestPcrs, expiresAt };
    if (!(await ctx.store.putNonceWithin(issued, limit, now.toISOString())))
      throw new RetryLater(this.#lifetime() / 1000);
    // lastSeenAt is written by the quote that follows; only an announced reboot is written here (one write fewer
    // per cycle).
    if (req.bootTime !== undefined && req.bootTime !== device.bootTime) {
      // A reboot the device announces: recorded, so the quote's reset counter may move on.
      await ctx.store.updateDevice(device.id, { bootTime: req.bootTime, lastSeenAt: now.toISOString() });
      await record(ctx, "device.reboot", device.id, { bootTime: req.bootTime });
    }
    return { nonce, pcrSelection: group.attestPcrs, expiresAt };
  }

  /**
   * Phase 2. Refusals (unknown, used or expired nonce; bad signature; wrong nonce; PCR digest) throw. `known` as in
   * {@link challenge}.
   */
  async quote(
    req: wire.QuoteRequest,
    certDeviceId: string | undefined,
    known?: DeviceRecord,
  ): Promise<wire.QuoteResponse> {
    const ctx = this.#ctx;
    const now = ctx.now();
    const device = await this.#device(req.deviceId, certDeviceId, known);
    const held = await ctx.store.takeNonce(req.nonce, now.toISOString());
    if (held === undefined || held.deviceId !== device.id) {
      await this.#refuse(device, "EW_ERR_DEVICE_NONCE_UNKNOWN");
      throw new EdgewardError("EW_ERR_DEVICE_NONCE_UNKNOWN");
    }
    if (held.expiresAt <= now.toISOString()) {
      await this.#refuse(device, "EW_ERR_DEVICE_NONCE_EXPIRED");
      throw new EdgewardError("EW_ERR_DEVICE_NONCE_EXPIRED");
    }
    const group = await this.#group(device);
    let verified;
    try {
      verified = verifyQuote({
        message: b64(req.quote.attest),
        signature: b64(req.quote.signature),
        akPublicKey: this.#akKey(device.akPublic),
        nonce: unhex(req.nonce),
        pcrValues: pcrValuesFromWire(req.pcrs),
        expectedSigner: unhex(device.akQualifiedName),
      });
    } catch (err) {
      // Unauthenticated or inconsistent evidence is refused, not recorded as a fail: anyone may send a quote on
      // the renewal path, and a stranger must not be able to quarantine a device.
      if (err instanceof EdgewardError) await this.#refuse(device, err.code);
      throw err;
    }
    const eventLog = req.eventLog === undefined ? undefined : b64(req.eventLog);
    const { reasons, learned } = evaluateQuote(group, verified, device.clock, eventLog);
    const result = reasons.length === 0 ? "pass" : "fail";
    const nextAttestAt = this.#next(now, group);
    const clockOk = !reasons.some((r) => r.code === "EW_ERR_QUOTE_CLOCK");
    // The device's new state and the stored result commit together (one transaction, one fsync on SQLite).
    const patch = {
      lastSeenAt: now.toISOString(),
      lastResult: result,
      nextAttestAt,
      ...(result === "pass" ? { lastPassAt: now.toISOString() } : {}),
      ...(clockOk ? { clock: storedClock(verified) } : {}),
    } as const;
    await ctx.store.recordResult(device, patch, { deviceId: device.id, at: now.toISOString(), result, reasons });
    await record(ctx, result === "pass" ? "attest.pass" : "attest.fail", device.id, {
      reasons: reasons.map((r) => r.code),
      resetCount: verified.clockInfo.resetCount,
      firmware: verified.firmwareVersion.toString(),
    });
    if (result === "pass" && Object.keys(learned).length > 0) await this.#learn(group, learned, device.id);
    if (result === "fail" && group.quarantineOnFail) await this.#quarantine(device, reasons[0]?.code ?? "fail");

    const response: wire.QuoteResponse = { result, reasons, nextAttestAt, caCertificate: ctx.ca.certificatePem };
    if (result === "pass" && req.csr !== undefined && device.state === "trusted") {
      // Promise 4: a certificate only after a fresh pass; the device's current state is re-read above.
      const issued = await ctx.ca.issue(req.csr, device.id, now, ctx.certLifetimeMs);
      await ctx.store.updateDevice(device.id, {
        certSerial: issued.serial,
        certNotAfter: issued.notAfter.toISOString(),
      });
      await ctx.store.recordCertificate({
        serial: issued.serial,
        deviceId: device.id,
        notBefore: now.toISOString(),
        notAfter: issued.notAfter.toISOString(),
        pem: issued.pem,
      });
      await record(ctx, "cert.issue", device.id, { serial: issued.serial, notAfter: issued.notAfter.toISOString() });
      response.certificate = issued.pem;
    }
    return response;
  }

  async #device(deviceId: string, certDeviceId: string | undefined, known?: DeviceRecord): Promise<DeviceRecord> {
    if (certDeviceId !== undefined && certDeviceId !== deviceId) throw new EdgewardError("EW_ERR_DEVICE_CERT_MISMATCH");
    const device = known?.id === deviceId ? known : await this.#ctx.store.getDevice(deviceId);
    if (device === undefined) throw new EdgewardError("EW_ERR_DEVICE_UNKNOWN");
    if (device.state === "revoked") throw new EdgewardError("EW_ERR_DEVICE_REVOKED");
    if (device.state === "quarantined") throw new EdgewardError("EW_ERR_DEVICE_QUARANTINED");
    return device;
  }

  async #group(device: DeviceRecord): Promise<GroupPolicy> {
    const group = await this.#ctx.store.getGroup(device.group, device);
    if (group === undefined) throw new EdgewardError("EW_ERR_DEVICE_GROUP_UNKNOWN", { detail: device.group });
    return group;
  }

  #akKey(akPublicHex: string): KeyObject {
    let key = this.#akCache.get(akPublicHex);
    if (key === undefined) {
      key = publicKeyOf(parseTpm2bPublic(unhex(akPublicHex)));
      if (this.#akCache.size > 50_000) this.#akCache.clear();
      this.#akCache.set(akPublicHex, key);
    }
    return key;
  }

  #lifetime(): number {
    return this.#ctx.nonceLifetimeMs ?? DEFAULT_NONCE_LIFETIME_MS;
  }

  #next(now: Date, group: GroupPolicy): string {
    const r = (this.#ctx.random ?? Math.random)();
    const jitter = (r * 2 - 1) * JITTER * group.attestIntervalMs;
    return new Date(now.getTime() + group.attestIntervalMs + jitter).toISOString();
  }

  async #refuse(device: DeviceRecord, code: string): Promise<void> {
    await record(this.#ctx, "attest.refuse", device.id, { reason: code });
  }

  async #learn(group: GroupPolicy, learned: Record<string, Record<string, string>>, deviceId: string): Promise<void> {
    const reference: Record<string, Record<string, readonly string[]>> = {};
    for (const [bank, values] of Object.entries(group.reference)) reference[bank] = { ...values };
    for (const [bank, values] of Object.entries(learned))
      for (const [index, value] of Object.entries(values)) (reference[bank] ??= {})[index] = [value];
    await this.#ctx.store.putGroup({ ...group, reference });
    await record(this.#ctx, "group.learn", `group:${group.name}`, { from: deviceId, weaker: true });
  }

  async #quarantine(device: DeviceRecord, why: string): Promise<void> {
    const moved = await this.#ctx.store.updateDevice(device.id, { state: "quarantined", stateReason: why }, [
      "trusted",
      "pending",
    ]);
    if (moved) await record(this.#ctx, "device.quarantine", device.id, { reason: why });
  }
}

/** Wire PCR values (bank → index → hex) as the core's PcrValues. */
export function pcrValuesFromWire(pcrs: wire.WirePcrValues): PcrValues {
  const out: Partial<Record<PcrBank, Record<number, Uint8Array>>> = {};
  for (const [bank, values] of Object.entries(pcrs)) {
    const m: Record<number, Uint8Array> = {};
    for (const [index, value] of Object.entries(values ?? {})) m[Number(index)] = unhex(value);
    out[bank as PcrBank] = m;
  }
  return out;
}

/** A device's attestation status as operators see it: `timeout` when it missed its interval (plus grace). */
export function attestationStatus(
  device: DeviceRecord,
  now: Date,
  graceMs = 60_000,
): "pass" | "fail" | "timeout" | "never" {
  if (device.nextAttestAt !== undefined && new Date(device.nextAttestAt).getTime() + graceMs < now.getTime())
    return "timeout";
  return device.lastResult ?? "never";
}
