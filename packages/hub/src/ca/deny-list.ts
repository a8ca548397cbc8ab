// The deny list (ARCHITECTURE.md flow 3, "Revocation is a deny list checked on every connection"): a device that is
// quarantined or revoked is refused on the device API even with an unexpired certificate, on every replica at once,
// because the state is read from the shared store per request (an optional cache of at most a second or so).
import { EdgewardError } from "@edgeward/core";
import type { DeviceState } from "../device/types.ts";

/** Reads a device's current state from the store. */
export type DeviceStateLookup = (deviceId: string) => Promise<DeviceState | undefined>;

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
    const state = await this.#state(deviceId);
    if (state === undefined) throw new EdgewardError("EW_ERR_DEVICE_UNKNOWN");
    if (state === "revoked") throw new EdgewardError("EW_ERR_DEVICE_REVOKED");
    if (state === "quarantined") throw new EdgewardError("EW_ERR_DEVICE_QUARANTINED");
    return state;
  }

  async #state(deviceId: string): Promise<DeviceState | undefined> {
    if (this.#ttlMs <= 0) return this.#lookup(deviceId);
    const now = this.#now();
    const hit = this.#cache.get(deviceId);
    if (hit !== undefined && hit.until > now) return hit.state;
    const state = await this.#lookup(deviceId);
    if (this.#cache.size > 100_000) this.#cache.clear();
    this.#cache.set(deviceId, { state, until: now + this.#ttlMs });
    return state;
  }
}
