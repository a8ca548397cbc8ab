// Key release, the policy side (ARCHITECTURE.md flow 4; promise 7): a release's key goes to a device only when it
// is trusted, its last pass is fresh, the release is rolled out to its group, and the version is not below the
// device's floor. Each refusal has its own code and every decision is logged; then the releases side re-wraps
// the release's age header to the device's age1tag1 recipient.
import { EdgewardError, isEdgewardError, type ErrorCode, type wire } from "@edgeward/core";
import { record, type DeviceContext } from "./context.ts";
import type { DeviceRecord } from "./types.ts";

/** What the device side needs to know of a release. */
export interface ReleaseFacts {
  readonly id: string;
  readonly kind: "model" | "package";
  readonly name: string;
  readonly version: string;
  /** The version floor the release raises devices to (defaults to its own version). */
  readonly floor?: string;
  /** Rollout: the groups the release is for. */
  readonly groups: readonly string[];
  /** False for an unsealed package (nothing to release). */
  readonly sealed: boolean;
}

/** The releases side, as the key-release route uses it (hub releases implement it). */
export interface ReleasePort {
  get(releaseId: string): Promise<ReleaseFacts | undefined>;
  /**
   * Re-wraps the release's file key to `recipient` (the escrow stanza unwrapped in memory, the file key zeroed
   * after) and returns the header with the release's inclusion proof and the log checkpoint it leads to.
   */
  rewrap(releaseId: string, recipient: string): Promise<wire.ReleaseKeyResponse>;
}

const DEFAULT_FRESHNESS_MS = 10 * 60_000;

/** Decides key release for one device and one release. */
export class KeyReleaseService {
  readonly #ctx: DeviceContext;
  readonly #releases: ReleasePort;

  constructor(ctx: DeviceContext, releases: ReleasePort) {
    this.#ctx = ctx;
    this.#releases = releases;
  }

  /** Returns the re-wrapped header, or throws the refusal's own EW_ERR_KEY_RELEASE_* code (logged as key.deny). */
  async release(deviceId: string, releaseId: string): Promise<wire.ReleaseKeyResponse> {
    const ctx = this.#ctx;
    const device = await ctx.store.getDevice(deviceId);
    if (device === undefined) throw new EdgewardError("EW_ERR_DEVICE_UNKNOWN");
    let facts: ReleaseFacts;
    try {
      facts = await this.#decide(device, releaseId);
    } catch (err) {
      if (isEdgewardError(err)) await record(ctx, "key.deny", device.id, { release: releaseId, reason: err.code });
      throw err;
    }
    const answer = await this.#releases.rewrap(facts.id, device.recipient);
    const floor = facts.floor ?? facts.version;
    const held = device.floors?.[facts.name];
    if (held === undefined || compareVersions(floor, held) > 0)
      await ctx.store.updateDevice(device.id, { floors: { ...(device.floors ?? {}), [facts.name]: floor } });
    await record(ctx, "key.release", device.id, {
      release: facts.id,
      name: facts.name,
      version: facts.version,
      logIndex: answer.logEntry.index,
    });
    return answer;
  }

  async #decide(device: DeviceRecord, releaseId: string): Promise<ReleaseFacts> {
    const now = this.#ctx.now();
    const refuse = (code: ErrorCode, detail?: string): never => {
      throw new EdgewardError(code, detail === undefined ? {} : { detail });
    };
    if (device.state !== "trusted") refuse("EW_ERR_KEY_RELEASE_NOT_TRUSTED", device.state);
    const group = await this.#ctx.store.getGroup(device.group);
    const freshness = group?.freshnessMs ?? DEFAULT_FRESHNESS_MS;
    const lastPass = device.lastPassAt === undefined ? undefined : new Date(device.lastPassAt).getTime();
    if (device.lastResult !== "pass" || lastPass === undefined || now.getTime() - lastPass > freshness)
      refuse("EW_ERR_KEY_RELEASE_NOT_FRESH");
    const facts = await this.#releases.get(releaseId);
    if (facts === undefined) return refuse("EW_ERR_KEY_RELEASE_UNKNOWN", releaseId);
    if (!facts.sealed) refuse("EW_ERR_KEY_RELEASE_NO_KEY");
    if (!facts.groups.includes(device.group)) refuse("EW_ERR_KEY_RELEASE_NOT_ROLLED_OUT", device.group);
    const floor = device.floors?.[facts.name];
    if (floor !== undefined && compareVersions(facts.version, floor) < 0)
      refuse("EW_ERR_KEY_RELEASE_BELOW_FLOOR", `${facts.version} < ${floor}`);
    return facts;
  }
}

/**
 * Compares dotted versions numerically part by part (`1.10` > `1.9`); a non-numeric part compares as text. A
 * pre-release suffix (`-rc1`) sorts before the release itself (SemVer 2.0.0 §11).
 */
export function compareVersions(a: string, b: string): number {
  const [ca, pa] = splitPre(a);
  const [cb, pb] = splitPre(b);
  const xa = ca.split(".");
  const xb = cb.split(".");
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const sa = xa[i] ?? "0";
    const sb = xb[i] ?? "0";
    const na = /^\d+$/.test(sa) ? Number(sa) : NaN;
    const nb = /^\d+$/.test(sb) ? Number(sb) : NaN;
    const c = Number.isNaN(na) || Number.isNaN(nb) ? sa.localeCompare(sb) : na - nb;
    if (c !== 0) return Math.sign(c);
  }
  if (pa === pb) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  return Math.sign(pa.localeCompare(pb));
}

function splitPre(v: string): [string, string | undefined] {
  const i = v.indexOf("-");
  return i < 0 ? [v, undefined] : [v.slice(0, i), v.slice(i + 1)];
}
