// GET /v1/device/releases (docs/releases.md "Following releases") through app.inject() on both databases: the
// device's group's published releases, newest first, bounded; devices the deny list refuses get its code.
import assert from "node:assert/strict";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { generateIdentity, parseIdentities, wire } from "@edgeward/core";
import { generateNoteKey } from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { injectFailsWith, seededRandom, tempDir } from "@edgeward/testkit";
import { createGroup, insertDevice } from "@edgeward/hub";
import { HubAuditLog } from "../../src/audit/hub-log.ts";
import { DenyList } from "../../src/ca/index.ts";
import { DatabaseDeviceStore } from "../../src/device/index.ts";
import {
  DatabaseReleaseStore,
  ReleasesService,
  type ReleaseListOptions,
  type ReleasePatch,
  type ReleaseRecord,
  type ReleaseStore,
} from "../../src/releases/index.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { headerDeviceAuthMock } from "../review/helpers.ts";
import { BACKENDS } from "../review/helpers.ts";
import { makeRepository } from "../tuf/helpers.ts";
import { chunked, manifestFor, MemoryBlobsForTest, sealApart, fakeModel } from "./helpers.ts";

/** The hub's own database release store, reached once the hub opened its database (the app is built first). */
class LateReleaseStore implements ReleaseStore {
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

async function startHub(dir: string, postgres: string | undefined) {
  const tuf = await makeRepository();
  const escrow = generateIdentity("x25519");
  const store = new LateReleaseStore();
  const audit = await HubAuditLog.create(new SqliteStore(join(dir, "releases-log.db")), generateNoteKey("t").signer);
  const service = new ReleasesService({
    ...{ tuf: tuf.repo, store, blobs: new MemoryBlobsForTest(), log: audit },
    ...{ escrow: parseIdentities(escrow.identityText), clock: () => tuf.clock.now },
  });
  const holder: { deny?: DenyList } = {};
  const hub = await startTestHub({
    ...(postgres === undefined ? {} : { postgres }),
    deps: { releases: service, deviceAuth: headerDeviceAuthMock(() => holder.deny!) },
  });
  store.inner = new DatabaseReleaseStore(hub.deps.store.db);
  const devices = new DatabaseDeviceStore(hub.deps.store.db);
  holder.deny = new DenyList((id) => devices.getDevice(id));
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
  return { hub, store, publish, addDevice, close: () => hub.close() };
}

function list(hub: TestHub, device: string, query = "") {
  return hub.app.inject({
    method: "GET",
    url: `${wire.DEVICE_RELEASES_PATH}${query}`,
    headers: { "x-test-device": device },
  });
}

for (const [backend, open] of BACKENDS) {
  describe(`device release listing (${backend})`, () => {
    // Each test gets its own database (a fresh PostgreSQL schema): the hub's audit log is created once per place.
    let db: { postgres?: string; close: () => Promise<void> };
    let n = 0;
    beforeEach(async () => {
      db = await open(`devrel_${n++}`);
    });
    afterEach(() => db.close());

    it("lists only the device group's published releases, newest version first, bounded by limit", async () => {
      using dir = tempDir();
      const h = await startHub(dir.path, db.postgres);
      try {
        for (const g of ["shop", "lab"])
          await createGroup(h.hub.deps.store.db, { name: `${g}${n}`, policy: "{}", now: h.hub.clock.now() });
        const shop = `shop${n}`;
        const lab = `lab${n++}`;
        await h.addDevice("dev-shop", shop);
        await h.addDevice("dev-lab", lab);
        await h.publish("fashion", "1", [shop]);
        await h.publish("fashion", "10", [shop, lab]);
        await h.publish("fashion", "2", [shop]);
        await h.publish("fashion", "11", [lab]);
        await h.publish("fashion", "12", [shop], false); // created, never uploaded: not published
        await h.publish("other", "5", [shop]);

        h.store.listedNames.length = 0;
        const res = await list(h.hub, "dev-shop", "?name=fashion");
        assert.equal(res.statusCode, 200, res.body);
        // A named listing reads only that name's releases from the store, not the whole repository.
        assert.deepEqual(h.store.listedNames, ["fashion"]);
        const body = res.json<wire.DeviceReleasesResponse>();
        assert.deepEqual(
          body.releases.map((r) => r.version),
          ["10", "2", "1"],
        );
        assert.deepEqual(body.releases[0], {
          name: "fashion",
          version: "10",
          kind: "model",
          target: "fashion/10",
          floor: "10",
        });
        const all = (await list(h.hub, "dev-shop")).json<wire.DeviceReleasesResponse>();
        assert.deepEqual(
          all.releases.map((r) => r.target),
          ["fashion/10", "other/5", "fashion/2", "fashion/1"],
        );
        const two = (await list(h.hub, "dev-shop", "?limit=2")).json<wire.DeviceReleasesResponse>();
        assert.deepEqual(
          two.releases.map((r) => r.target),
          ["fashion/10", "other/5"],
        );
        const next = (await list(h.hub, "dev-shop", "?limit=2&below=5")).json<wire.DeviceReleasesResponse>();
        assert.deepEqual(
          next.releases.map((r) => r.target),
          ["fashion/2", "fashion/1"],
        );
        const labs = (await list(h.hub, "dev-lab", "?name=fashion")).json<wire.DeviceReleasesResponse>();
        assert.deepEqual(
          labs.releases.map((r) => r.version),
          ["11", "10"],
        );
        const none = (await list(h.hub, "dev-lab", "?name=other")).json<wire.DeviceReleasesResponse>();
        assert.deepEqual(none.releases, []);
      } finally {
        await h.close();
      }
    });

    it("refuses quarantined, revoked and unknown devices, and bad or random queries with their codes", async () => {
      using dir = tempDir();
      const h = await startHub(dir.path, db.postgres);
      try {
        await h.addDevice("dev-q", "default", "quarantined");
        await h.addDevice("dev-r", "default", "revoked");
        await h.addDevice("dev-ok", "default");
        const request = (device: string, query = "") => ({
          method: "GET" as const,
          url: `${wire.DEVICE_RELEASES_PATH}${query}`,
          headers: { "x-test-device": device },
        });
        await injectFailsWith(h.hub.app, request("dev-q"), "EW_ERR_DEVICE_QUARANTINED");
        await injectFailsWith(h.hub.app, request("dev-r"), "EW_ERR_DEVICE_REVOKED");
        await injectFailsWith(h.hub.app, request("dev-none"), "EW_ERR_DEVICE_UNKNOWN");
        await injectFailsWith(h.hub.app, request("dev-ok", "?limit=0"), "EW_ERR_HUB_REQUEST_INVALID");
        await injectFailsWith(h.hub.app, request("dev-ok", "?name=../x"), "EW_ERR_HUB_REQUEST_INVALID");
        await injectFailsWith(h.hub.app, request("dev-ok", "?other=1"), "EW_ERR_HUB_REQUEST_INVALID");
        assert.deepEqual((await list(h.hub, "dev-ok")).json(), { releases: [] });
        // Random query strings (seeded): each answer is a listing or a coded 400, never a 500.
        const random = seededRandom(8);
        const alphabet = "abz09._-/%&=?#\u00e9 ";
        for (let i = 0; i < 200; i++) {
          const text = (n: number) =>
            Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
          const key = ["name", "limit", "below", text(3)][Math.floor(random() * 4)]!;
          const value = random() < 0.2 ? String(Math.floor(random() * 300) - 50) : text(Math.floor(random() * 80));
          const res = await list(h.hub, "dev-ok", `?${key}=${encodeURIComponent(value)}`);
          assert.ok(res.statusCode === 200 || res.statusCode === 400, `${key}=${value}: ${res.statusCode} ${res.body}`);
          if (res.statusCode === 400) assert.match(res.json<{ code: string }>().code, /^EW_ERR_/);
        }
      } finally {
        await h.close();
      }
    });
  });
}
