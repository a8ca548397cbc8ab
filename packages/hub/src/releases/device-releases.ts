/**
 * `GET /v1/device/releases[?name=NAME][&after=V][&wait=S]` (docs/releases.md "Following releases"): the published
 * releases rolled out to the calling device's group, newest version first, so an agent that follows a name finds
 * new versions without a configuration change; with `wait`, an empty listing is held open until a release it would
 * list appears (release-feed.ts). A hint only: the device still installs through TUF and key release, which decide.
 * The device is the mTLS identity the device authenticator admitted (quarantined and revoked devices are refused
 * there, on every device route).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { EdgewardError, wire } from "@edgeward/core";
import { compareVersions, DatabaseDeviceStore } from "../device/index.ts";
import "../http/fastify-types.ts";
import { leaveInFlight } from "../http/overload.ts";
import { AUTH } from "../http/route-auth.ts";
import type { ReleaseFeed } from "./release-feed.ts";
import type { ReleasesService } from "./service.ts";
import type { ReleaseRecord } from "./store.ts";

/** Releases read per page while the listing scans the release store. */
const PAGE = 500;
/**
 * Long polls one device may hold open at once: an agent holds one per followed name. A device past it (a bug, or a
 * stolen certificate used to tie up the hub) is answered EW_ERR_HUB_TOO_MANY_WAITS with Retry-After.
 */
export const MAX_WAITS_PER_DEVICE = 16;

/** Registers the route on the releases plugin's instance (paths under its `/v1` prefix). */
export function registerDeviceReleases(
  app: FastifyInstance,
  service: () => ReleasesService,
  feed: ReleaseFeed<wire.DeviceRelease>,
): void {
  const devices = new DatabaseDeviceStore(app.hub.store.db);
  // Long polls held open per device id (this process's; each replica counts its own).
  const waits = new Map<string, number>();
  const groupOf = async (request: FastifyRequest): Promise<string> => {
    if (request.device === null) throw new EdgewardError("EW_ERR_HUB_DEVICE_CERT_REQUIRED");
    const record = request.device.record ?? (await devices.getDevice(request.device.deviceId));
    if (record === undefined) throw new EdgewardError("EW_ERR_DEVICE_UNKNOWN", { detail: request.device.deviceId });
    return record.group;
  };

  app.get<{ Querystring: wire.DeviceReleasesQuery }>(
    "/device/releases",
    {
      config: { auth: AUTH.device },
      schema: { querystring: wire.deviceReleasesQuerySchema, response: { 200: wire.deviceReleasesResponseSchema } },
    },
    async (request, reply): Promise<wire.DeviceReleasesResponse> => {
      const group = await groupOf(request);
      const { name, limit, below, after, wait } = request.query;
      const since = feed.generation;
      const found = await listFor(service(), group, name, after, below);
      if (found.length > 0 || wait === undefined) return { releases: found.slice(0, limit).map(view) };
      // The long poll: nothing to list yet, so the request waits in the feed, idle (not in flight for shedding),
      // sharing one listing per wake with every request that lists the same thing.
      const deviceId = request.device?.deviceId ?? "";
      const held = waits.get(deviceId) ?? 0;
      if (held >= MAX_WAITS_PER_DEVICE) {
        void reply.header(wire.RETRY_AFTER_HEADER, String(wait));
        throw new EdgewardError("EW_ERR_HUB_TOO_MANY_WAITS", { detail: `${held} open for ${deviceId}` });
      }
      waits.set(deviceId, held + 1);
      leaveInFlight(request);
      const key = JSON.stringify([group, name ?? null, after ?? null, below ?? null]);
      // Every waiter on the key shares this listing: as long as the longest page any of them may ask for.
      const evaluate = async () =>
        (await listFor(service(), group, name, after, below)).slice(0, wire.MAX_DEVICE_RELEASES).map(view);
      let woken: readonly wire.DeviceRelease[];
      try {
        woken = await feed.wait({ key, since, evaluate, timeoutMs: wait * 1000, signal: request.signal });
      } finally {
        const left = (waits.get(deviceId) ?? 1) - 1;
        if (left > 0) waits.set(deviceId, left);
        else waits.delete(deviceId);
      }
      // Answered because the hub closes: the server has already closed its idle connections and would wait out
      // this one's keep-alive, so it closes after the answer (RFC 9112 §9.6).
      if (feed.closed) void reply.header("connection", "close");
      return { releases: woken.slice(0, limit) };
    },
  );
}

/**
 * The listing of one device group: published releases rolled out to it (named `name`, when given), above `after`
 * and below `below` (versions compared as the device floors are), newest version first.
 */
async function listFor(
  service: ReleasesService,
  group: string,
  name: string | undefined,
  after: string | undefined,
  below: string | undefined,
): Promise<ReleaseRecord[]> {
  let found = await rolledOut(service, group, name);
  // Pages run newest first: the next page is what sorts below the last version already seen; `after` is its
  // mirror, what a following device does not have yet.
  if (below !== undefined) found = found.filter((r) => compareVersions(r.version, below) < 0);
  if (after !== undefined) found = found.filter((r) => compareVersions(r.version, after) > 0);
  found.sort((a, b) => compareVersions(b.version, a.version) || a.name.localeCompare(b.name));
  return found;
}

/**
 * Every published release rolled out to `group` (and named `name`, when given), read page by page; with a name
 * (what a following agent sends) only that name's releases are read.
 */
async function rolledOut(service: ReleasesService, group: string, name: string | undefined): Promise<ReleaseRecord[]> {
  const out: ReleaseRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await service.list({
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
      ...(name === undefined ? {} : { name }),
    });
    for (const r of page) {
      // Published means its target is in TUF (the log entry is written with it); unpublished ones have no target.
      if (r.logIndex !== null && r.groups.includes(group) && (name === undefined || r.name === name)) out.push(r);
    }
    if (page.length < PAGE) return out;
    after = page[page.length - 1]?.id;
  }
}

function view(r: ReleaseRecord): wire.DeviceRelease {
  return { name: r.name, version: r.version, kind: r.kind, target: r.targetName, floor: r.floor };
}
