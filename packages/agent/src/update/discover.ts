/**
 * Following releases (docs/agent.md "Following releases"): for each followed name the hub lists what is rolled
 * out to this device's group; the newest version above the one serving and not below the TPM floor becomes this
 * cycle's target. The listing is only a hint (ARCHITECTURE.md promise 6: TUF is the authority): before the target
 * is handed to the install path, the TUF-verified target must name the same release, version and kind, or it is
 * refused with EW_ERR_AGENT_FOLLOW_MISMATCH. Each refusal is an `update.refuse` entry in the device log.
 */
import { EdgewardError, isEdgewardError, type wire } from "@edgeward/core";
import type { HubClient } from "../hub/hub-client.ts";
import { sequenceOf, type ActivateDeps } from "./activate.ts";
import type { ReleaseMeta } from "./release-store.ts";
import type { TufTargets } from "./tuf.ts";

/** How many listed releases are read per name: the newest ones are all discovery needs. */
const LISTED = 20;

/** What discovery reads: the hub's listing, TUF, the TPM floor and what serves (see {@link discoveryDeps}). */
export interface DiscoverDeps {
  /** The hub's listing for one name (GET /v1/device/releases?name=). */
  readonly list: (name: string) => Promise<readonly wire.DeviceRelease[]>;
  /** The TUF-verified facts of a target path, after a refresh; undefined when TUF lists none. */
  readonly tufTarget: (path: string) => Promise<ReleaseMeta | undefined>;
  /** The TPM version floor of a release name. */
  readonly floor: (name: string) => Promise<number>;
  /** The release serving now, if any. */
  readonly serving: () => Promise<ReleaseMeta | undefined>;
  readonly log?: ActivateDeps["log"];
}

/** The discovery dependencies of a running agent: its hub client, the cycle's one TUF refresh and its activation context. */
export function discoveryDeps(
  client: HubClient,
  tuf: () => Promise<TufTargets>,
  activation: ActivateDeps,
): DiscoverDeps {
  const { releases } = activation;
  return {
    list: async (name) => (await client.deviceReleases({ name, limit: LISTED })).releases,
    tufTarget: async (path) => (await tuf()).target(path),
    // The highest floor this agent has read or raised (the counter only goes up): a TPM command per followed name
    // and cycle would buy nothing, since installing re-checks the floor against the TPM itself.
    floor: async (name) => Number((await activation.floor(name)).lastRead),
    serving: async () => {
      const current = (await releases.current()).current;
      return current === undefined ? undefined : releases.meta(current).catch(() => undefined);
    },
    ...(activation.log === undefined ? {} : { log: activation.log }),
  };
}

/** This cycle's targets from the followed names, and what was refused on the way. */
export interface Discovery {
  readonly targets: string[];
  readonly refusals: EdgewardError[];
}

/** Picks, for each followed name, the target to install this cycle (none when the serving one is newest). */
export async function discoverTargets(deps: DiscoverDeps, follow: readonly string[]): Promise<Discovery> {
  const targets: string[] = [];
  const refusals: EdgewardError[] = [];
  for (const name of follow) {
    try {
      const target = await discoverOne(deps, name);
      if (target !== undefined) targets.push(target);
    } catch (err) {
      const e = isEdgewardError(err) ? err : new EdgewardError("EW_ERR_INTERNAL", { cause: err });
      refusals.push(e);
      await deps.log?.record({ kind: "update.refuse", subject: `follow:${name}`, details: { code: e.code } });
    }
  }
  return { targets, refusals };
}

async function discoverOne(deps: DiscoverDeps, name: string): Promise<string | undefined> {
  const releases = await deps.list(name);
  // The hub's order is not trusted: only this name's entries count, newest by version sequence first.
  const listed = releases
    .filter((r) => r.name === name)
    .map((r) => ({ release: r, sequence: sequenceOf(r.version) }))
    .filter((r): r is { release: wire.DeviceRelease; sequence: number } => r.sequence !== undefined)
    .sort((a, b) => b.sequence - a.sequence);
  const newest = listed[0];
  if (newest === undefined) return undefined;
  const floor = await deps.floor(name);
  const current = await deps.serving();
  const serving = current?.name === name ? (sequenceOf(current.version) ?? 0) : 0;
  const pick = listed.find((r) => r.sequence > serving && r.sequence >= floor);
  if (pick === undefined) {
    // Everything listed is older than the floor allows: a rollback, refused whatever the hub lists.
    if (newest.sequence < floor)
      throw new EdgewardError("EW_ERR_AGENT_FLOOR", {
        detail: `${name}@${newest.release.version} is sequence ${newest.sequence}, the floor ${floor}`,
      });
    return undefined;
  }
  await confirmInTuf(deps, pick.release);
  return pick.release.target;
}

/** TUF must describe the listed release: same target path, name, version and kind (tuf.ts reads its custom). */
async function confirmInTuf(deps: DiscoverDeps, listed: wire.DeviceRelease): Promise<void> {
  const meta = await deps.tufTarget(listed.target);
  const said = `${listed.name}@${listed.version} (${listed.kind}) at ${listed.target}`;
  if (meta === undefined)
    throw new EdgewardError("EW_ERR_AGENT_FOLLOW_MISMATCH", { detail: `${said}: TUF lists no such target` });
  if (meta.name !== listed.name || meta.version !== listed.version || meta.kind !== listed.kind)
    throw new EdgewardError("EW_ERR_AGENT_FOLLOW_MISMATCH", {
      detail: `${said}: TUF says ${meta.name}@${meta.version} (${meta.kind})`,
    });
}
