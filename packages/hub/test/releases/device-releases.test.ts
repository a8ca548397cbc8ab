// GET /v1/device/releases (docs/releases.md "Following releases") through app.inject() on both databases: the
// device's group's published releases, newest first, bounded; devices the deny list refuses get its code.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { wire } from "@edgeward/core";
import { injectFailsWith, seededRandom, tempDir } from "@edgeward/testkit";
import { createGroup } from "@edgeward/hub";
import { BACKENDS } from "../review/helpers.ts";
import { list, startListingHub } from "./listing-hub.ts";

function startHub(dir: string, postgres: string | undefined) {
  return startListingHub(dir, postgres === undefined ? {} : { postgres });
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
