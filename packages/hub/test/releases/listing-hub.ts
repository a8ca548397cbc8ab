// A test hub for the device release listing (docs/releases.md "Following releases"): a releases service on the
// hub's own database, devices let in by the real deny list from an `x-test-device` header, real age-sealed
// releases, and the long polls' feed on the database's change marker. SQLite or PostgreSQL; a second replica may
// join the same database.
import { join } from "node:path";
import { generateIdentity, parseIdentities, wire } from "@edgeward/core";
import { generateNoteKey } from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { insertDevice, type HubDeps } from "@edgeward/hub";
import { HubAuditLog } from "../../src/audit/hub-log.ts";
import { DenyList } from "../../src/ca/index.ts";
import { DatabaseDeviceStore } from "../../src/device/index.ts";
import {
  DatabaseReleaseStore,
  databaseReleaseMarker,
  ReleaseFeed,
  ReleasesService,
  type FeedTimer,
  type ReleaseListOptions,
  type ReleasePatch,
  type ReleaseRecord,
  type ReleaseStore,
} from "../../src/releases/index.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { headerDeviceAuthMock } from "../review/helpers.ts";
import { makeRepository } from "../tuf/helpers.ts";
import { chunked, fakeModel, manifestFor, MemoryBlobsForTest, sealApart } from "./helpers.ts";

/** The hub's own database release store, reached once the hub opened its database (the app is built first). */
export class LateReleaseStore implements ReleaseStore {
  inner?: ReleaseStore;
  /** The names the listing asked the store for, page by page (undefined: every release). */
  readonly listedNames: (string | undefined)[] = [];
  insert(record: ReleaseRecord) {
    return this.inner!.insert(record);
  }
  get(id: string) {
    return this.inner!.get(id);
  }
  list(options: ReleaseListOptions) {
    this.listedNames.push(options.name);
    return this.inner!.list(options);
  }
  update(id: string, patch: ReleasePatch) {
    return this.inner!.update(id, patch);
  }
}

/** Options of {@link startListingHub}. */
export interface ListingHubOptions {
  readonly postgres?: string;
  readonly sqlite?: string;
  /** Joins a database another listing hub set up (helpers/hub.ts `replica`). */
  readonly replica?: boolean;
  /** The feed's marker poll interval (default: the feed's) and timer (default: real). */
  readonly feed?: { readonly pollMs?: number; readonly timer?: FeedTimer };
  readonly deps?: Partial<HubDeps>;
}

/** A listing hub; see the module comment. `marker.reads` counts the feed's reads of the database marker. */
export async function startListingHub(dir: string, options: ListingHubOptions = {}) {
  // The TUF repository is in memory, one per replica: the listing reads only the shared releases table.
  const tuf = await makeRepository();
  const escrow = generateIdentity("x25519");
  const store = new LateReleaseStore();
  const audit = await HubAuditLog.create(
    new SqliteStore(join(dir, `releases-log-${Math.random().toString(36).slice(2)}.db`)),
    generateNoteKey("t").signer,
  );
  const service = new ReleasesService({
    ...{ tuf: tuf.repo, store, blobs: new MemoryBlobsForTest(), log: audit },
    ...{ escrow: parseIdentities(escrow.identityText), clock: () => tuf.clock.now },
  });
  const late: { deny?: DenyList; marker?: () => Promise<number> } = {};
  const marker = { reads: 0 };
  const feed = new ReleaseFeed<wire.DeviceRelease>({
    ...options.feed,
    marker: () => {
      marker.reads++;
      return late.marker!();
    },
  });
  const hub = await startTestHub({
    ...(options.postgres === undefined ? {} : { postgres: options.postgres }),
    ...(options.sqlite === undefined ? {} : { sqlite: options.sqlite }),
    ...(options.replica === undefined ? {} : { replica: options.replica }),
    deps: {
      releases: service,
      releaseFeed: feed,
      deviceAuth: headerDeviceAuthMock(() => late.deny!),
      ...options.deps,
    },
  });
  store.inner = new DatabaseReleaseStore(hub.deps.store.db);
  late.marker = databaseReleaseMarker(hub.deps.store.db);
  const devices = new DatabaseDeviceStore(hub.deps.store.db);
  late.deny = new DenyList((id) => devices.getDevice(id));
  const publish = async (name: string, version: string, groups: string[], upload = true) => {
    const { header, payload } = await sealApart(fakeModel(2048), escrow.recipient);
    const r = await service.create(manifestFor(payload, header, { name, version, groups }), null);
    if (upload) await service.upload(r.id, chunked(payload));
    return r;
  };
  const addDevice = async (id: string, group: string, state = "trusted") => {
    const now = hub.clock.now().toISOString();
    await insertDevice(hub.deps.store.db, {
      ...{ id, group_name: group, state, ek_sha256: null, ak_name: null, ak_public: null },
      ...{ unwrap_public: null, recipient: null, facts: "{}", created_at: now, updated_at: now, last_seen_at: null },
      ...{ last_attest_at: null, last_result: null, last_pass_at: null, next_attest_at: null },
    });
  };
  return { hub, store, service, feed, marker, publish, addDevice, close: () => hub.close() };
}

/** The listing request of `device`. */
export function listingRequest(device: string, query = "", signal?: AbortSignal) {
  return {
    method: "GET" as const,
    url: `${wire.DEVICE_RELEASES_PATH}${query}`,
    headers: { "x-test-device": device },
    ...(signal === undefined ? {} : { signal }),
  };
}

/** Lists for `device` through app.inject(). */
export function list(hub: TestHub, device: string, query = "", signal?: AbortSignal) {
  return hub.app.inject(listingRequest(device, query, signal));
}

/** Versions of a listing answer. */
export function versions(body: string): string[] {
  return (JSON.parse(body) as wire.DeviceReleasesResponse).releases.map((r) => r.version);
}

/** Resolves once `feed` holds `count` waiters (the requests reached their wait), failing after `ms`. */
export async function untilWaiting(feed: ReleaseFeed<wire.DeviceRelease>, count: number, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (feed.waiting() !== count) {
    if (Date.now() > end) throw new Error(`${feed.waiting()} waiting, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
