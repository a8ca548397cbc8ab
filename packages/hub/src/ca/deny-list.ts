// The deny list (ARCHITECTURE.md flow 3, "Revocation is a deny list checked on every connection"): a device that is
// quarantined or revoked is refused on the device API even with an unexpired certificate, on every replica at once,
// because the state is read from the shared store per request (an optional cache of at most a second or so).
import { EdgewardError } from "@edgeward/core";
import type { DeviceRecord, DeviceState } from "../device/types.ts";

/**
 * Reads a device's current state from the store: the state alone, or the whole record, which {@link DenyList.admit}
 * then hands on so the request's route need not read the device again.
 */
export type DeviceStateLookup = (deviceId: string) => Promise<DeviceState | DeviceRecord | undefined>;

interface Looked {
  readonly state: DeviceState | undefined;
  /** The record, only when it was read from the store for this call (never a cached one). */
  readonly record?: DeviceRecord;
}

/** Checks devices against their stored state. */
export class DenyList {
  readonly #lookup: DeviceStateLookup;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { state: DeviceState | undefined; until: number }>();

  /** `ttlMs` 0 (the default) reads the store on every check. */
  constructor(lookup: DeviceStateLookup, options: { ttlMs?: number; now?: () => number } = {}) {
    this.#lookup = lookup;
    this.#ttlMs = options.ttlMs ?? 0;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Returns the device's state, or throws: EW_ERR_DEVICE_UNKNOWN, EW_ERR_DEVICE_REVOKED, EW_ERR_DEVICE_QUARANTINED.
   * Pending devices pass here; routes that need `trusted` check that themselves.
   */
  async check(deviceId: string): Promise<DeviceState> {
    return (await this.admit(deviceId)).state;
  }

  /**
   * As {@link check}, also returning the device record when the lookup just read it from the store (not when the
   * answer came from the cache: a cached record could hold a stale TPM clock or boot time).
   */
  async admit(deviceId: string): Promise<{ state: DeviceState; record?: DeviceRecord }> {
    const { state, record } = await this.#state(deviceId);
    if (state === undefined) throw new EdgewardError("EW_ERR_DEVICE_UNKNOWN");
    if (state === "revoked") throw new EdgewardError("EW_ERR_DEVICE_REVOKED");
    if (state === "quarantined") throw new EdgewardError("EW_ERR_DEVICE_QUARANTINED");
    return record === undefined ? { state } : { state, record };
  }

  async #state(deviceId: string): Promise<Looked> {
    if (this.#ttlMs <= 0) return this.#read(deviceId);
    const now = this.#now();
    const hit = this.#cache.get(deviceId);
    if (hit !== undefined && hit.until > now) return { state: hit.state };
    const looked = await this.#read(deviceId);
    if (this.#cache.size > 100_000) this.#cache.clear();
    this.#cache.set(deviceId, { state: looked.state, until: now + this.#ttlMs });
    return looked;
  }

  async #read(deviceId: string): Promise<Looked> {
    const found = await this.#lookup(deviceId);
    if (found === undefined || typeof found === "string") return { state: found };
    return { state: found.state, record: found };
  }
}
