// The device release listing as a long poll (docs/releases.md "Following releases"): `after` filters, `wait` holds
// an empty listing open until a release the device would list is published or rolled out to its group, and the
// hub's overload shedding and close are not held up by waiting requests. app.inject() on SQLite; the marker poll is
// set out of the way (an hour) so every wake here is this process's own, except in the one real-time test.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createGroup } from "@edgeward/hub";
import { MAX_WAITS_PER_DEVICE } from "../../src/releases/device-releases.ts";
import { injectFailsWith, tempDir } from "@edgeward/testkit";
import { list, listingRequest, startListingHub, untilWaiting, versions } from "./listing-hub.ts";

const HOUR = 3_600_000;
/** A lost wake shows as a failure, not a hang. */
const BOUNDED = { timeout: 20_000 };

async function shopHub(dir: string, options: Parameters<typeof startListingHub>[1] = {}) {
  const h = await startListingHub(dir, { feed: { pollMs: HOUR }, ...options });
  for (const g of ["shop", "lab"]) await createGroup(h.hub.deps.store.db, { name: g, policy: "{}", now: new Date() });
  await h.addDevice("dev-shop", "shop");
  await h.addDevice("dev-lab", "lab");
  return h;
}

describe("device release listing: after and wait", () => {
  it(
    "answers a listing that is not empty at once, wait or not, with after and below both applied",
    BOUNDED,
    async () => {
      using dir = tempDir();
      const h = await shopHub(dir.path);
      try {
        for (const v of ["1", "2", "3", "10"]) await h.publish("fashion", v, ["shop"]);
        assert.deepEqual(versions((await list(h.hub, "dev-shop", "?name=fashion&after=2")).body), ["10", "3"]);
        assert.deepEqual(versions((await list(h.hub, "dev-shop", "?name=fashion&after=2&below=10")).body), ["3"]);
        assert.deepEqual(versions((await list(h.hub, "dev-shop", "?name=fashion&after=1&limit=2")).body), ["10", "3"]);
        assert.deepEqual(versions((await list(h.hub, "dev-shop", "?name=fashion&after=10")).body), []);
        const started = Date.now();
        const res = await list(h.hub, "dev-shop", "?name=fashion&after=3&wait=60");
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(versions(res.body), ["10"]);
        assert.ok(Date.now() - started < 2000, "not held");
        assert.equal(h.feed.waiting(), 0);
      } finally {
        await h.close();
      }
    },
  );

  it("holds an empty listing until a release for the device's group and name is published", BOUNDED, async () => {
    using dir = tempDir();
    const h = await shopHub(dir.path);
    try {
      await h.publish("fashion", "10", ["shop"]);
      const pending = list(h.hub, "dev-shop", "?name=fashion&after=10&wait=60");
      await untilWaiting(h.feed, 1);
      // Another name, another group, and a release not uploaded yet wake the waiter, which lists again and waits on.
      await h.publish("other", "11", ["shop"]);
      await h.publish("fashion", "11", ["lab"]);
      await h.publish("fashion", "12", ["shop"], false);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(h.feed.waiting(), 1, "still waiting");
      const published = Date.now();
      await h.publish("fashion", "13", ["shop"]);
      const res = await pending;
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(versions(res.body), ["13"]);
      assert.ok(Date.now() - published < 1000, `answered ${Date.now() - published} ms after the publication`);
      assert.equal(h.feed.waiting(), 0);
    } finally {
      await h.close();
    }
  });

  it("answers a waiter when a release is rolled out to its group, not when it goes to another", BOUNDED, async () => {
    using dir = tempDir();
    const h = await shopHub(dir.path);
    try {
      const r = await h.publish("fashion", "20", ["lab"]);
      const pending = list(h.hub, "dev-shop", "?name=fashion&wait=60");
      await untilWaiting(h.feed, 1);
      await createGroup(h.hub.deps.store.db, { name: "line-a", policy: "{}", now: new Date() });
      await h.service.rollout(r.id, ["lab", "line-a"]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(h.feed.waiting(), 1, "a rollout to other groups does not answer early");
      await h.service.rollout(r.id, ["lab", "shop"]);
      const res = await pending;
      assert.deepEqual(versions(res.body), ["20"]);
    } finally {
      await h.close();
    }
  });

  it("answers 200 with an empty listing when the wait runs out (real time, 1 s)", BOUNDED, async () => {
    using dir = tempDir();
    const h = await shopHub(dir.path);
    try {
      const started = Date.now();
      const pending = list(h.hub, "dev-shop", "?name=fashion&wait=1");
      await untilWaiting(h.feed, 1);
      await h.publish("fashion", "1", ["lab"]);
      const res = await pending;
      const took = Date.now() - started;
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { releases: [] });
      assert.ok(took >= 990 && took < 3000, `answered after ${took} ms`);
      assert.equal(h.feed.waiting(), 0);
    } finally {
      await h.close();
    }
  });

  it("runs one listing per wake for every device waiting on the same thing", BOUNDED, async () => {
    using dir = tempDir();
    const h = await shopHub(dir.path);
    try {
      for (let i = 0; i < 10; i++) await h.addDevice(`dev-shop-${i}`, "shop");
      const shop = Array.from({ length: 30 }, (_, i) => list(h.hub, `dev-shop-${i % 10}`, "?name=fashion&wait=60"));
      const lab = Array.from({ length: 5 }, () => list(h.hub, "dev-lab", "?name=fashion&wait=60"));
      await untilWaiting(h.feed, 35);
      assert.equal(h.feed.keys(), 2);
      h.store.listedNames.length = 0;
      await h.publish("fashion", "1", ["shop"]);
      for (const res of await Promise.all(shop)) assert.deepEqual(versions(res.body), ["1"]);
      assert.deepEqual(h.store.listedNames, ["fashion", "fashion"], "one listing per key, not per device");
      assert.equal(h.feed.waiting(), 5);
      await h.publish("fashion", "2", ["lab"]);
      for (const res of await Promise.all(lab)) assert.deepEqual(versions(res.body), ["2"]);
    } finally {
      await h.close();
    }
  });

  it("refuses a wait out of range or not an integer with EW_ERR_HUB_REQUEST_INVALID", BOUNDED, async () => {
    using dir = tempDir();
    const h = await shopHub(dir.path);
    try {
      for (const query of ["?wait=0", "?wait=61", "?wait=1.5", "?wait=-1", "?wait=soon", "?after=../1", "?after="]) {
        await injectFailsWith(h.hub.app, listingRequest("dev-shop", query), "EW_ERR_HUB_REQUEST_INVALID");
      }
      assert.equal(h.feed.waiting(), 0);
    } finally {
      await h.close();
    }
  });

  it("refuses quarantined, revoked and unknown devices with a wait as without one", BOUNDED, async () => {
    using dir = tempDir();
    const h = await shopHub(dir.path);
    try {
      await h.addDevice("dev-q", "shop", "quarantined");
      await h.addDevice("dev-r", "shop", "revoked");
      const wait = "?name=fashion&wait=60";
      await injectFailsWith(h.hub.app, listingRequest("dev-q", wait), "EW_ERR_DEVICE_QUARANTINED");
      await injectFailsWith(h.hub.app, listingRequest("dev-r", wait), "EW_ERR_DEVICE_REVOKED");
      await injectFailsWith(h.hub.app, listingRequest("dev-none", wait), "EW_ERR_DEVICE_UNKNOWN");
      assert.equal(h.feed.waiting(), 0);
    } finally {
      await h.close();
    }
  });

  it("removes a waiter whose client went away", BOUNDED, async () => {
    using dir = tempDir();
    const h = await shopHub(dir.path);
    try {
      const ac = new AbortController();
      const pending = list(h.hub, "dev-shop", "?name=fashion&wait=60", ac.signal);
      const staying = list(h.hub, "dev-lab", "?name=fashion&wait=60");
      await untilWaiting(h.feed, 2);
      ac.abort();
      await assert.rejects(pending);
      await untilWaiting(h.feed, 1);
      assert.equal(h.feed.keys(), 1, "the aborted key is gone");
      await h.publish("fashion", "1", ["lab"]);
      assert.deepEqual(versions((await staying).body), ["1"]);
      assert.equal(h.feed.waiting(), 0);
    } finally {
      await h.close();
    }
  });

  it("answers every waiter with an empty listing at once when the hub closes", BOUNDED, async () => {
    using dir = tempDir();
    const h = await shopHub(dir.path);
    const waits = ["dev-shop", "dev-lab", "dev-shop"].map((d) => list(h.hub, d, "?name=fashion&wait=60"));
    await untilWaiting(h.feed, 3);
    const started = Date.now();
    await h.close();
    for (const res of await Promise.all(waits)) {
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { releases: [] });
    }
    assert.ok(Date.now() - started < 2000, `closed in ${Date.now() - started} ms`);
    assert.equal(h.feed.waiting(), 0);
  });

  it(
    "does not count waiting requests in flight: a hub limited to 2 keeps answering while 20 wait",
    BOUNDED,
    async () => {
      using dir = tempDir();
      const limits = { overload: { maxInFlight: 2, maxEventLoopDelayMs: 0, maxPendingWrites: 0 } };
      const h = await shopHub(dir.path, { deps: { limits } });
      try {
        // One after the other, as a fleet arrives: 20 at once would be shed at arrival (that is allowed). Two
        // devices, each within its own long-poll limit.
        const waits = [];
        for (let i = 1; i <= 20; i++) {
          waits.push(list(h.hub, i % 2 === 0 ? "dev-shop" : "dev-lab", "?name=fashion&wait=60"));
          await untilWaiting(h.feed, i);
        }
        const res = await list(h.hub, "dev-lab", "?name=fashion");
        assert.equal(res.statusCode, 200, res.body);
        const metrics = await h.hub.app.inject({ method: "GET", url: "/metrics" });
        assert.match(metrics.body, /^edgeward_hub_release_waits 20$/m);
        assert.match(metrics.body, /^edgeward_hub_shed_total 0$/m);
        await h.publish("fashion", "1", ["shop", "lab"]);
        for (const r of await Promise.all(waits)) assert.equal(r.statusCode, 200, r.body);
      } finally {
        await h.close();
      }
    },
  );

  it(
    "gives a device past its long-poll limit EW_ERR_HUB_TOO_MANY_WAITS with Retry-After, and no other device",
    BOUNDED,
    async () => {
      using dir = tempDir();
      const h = await shopHub(dir.path);
      try {
        const query = "?name=fashion&wait=30";
        const held = Array.from({ length: MAX_WAITS_PER_DEVICE }, () => list(h.hub, "dev-shop", query));
        await untilWaiting(h.feed, MAX_WAITS_PER_DEVICE);
        const refused = await h.hub.app.inject(listingRequest("dev-shop", query));
        assert.equal(refused.statusCode, 429);
        assert.equal(refused.headers["retry-after"], "30");
        await injectFailsWith(h.hub.app, listingRequest("dev-shop", query), "EW_ERR_HUB_TOO_MANY_WAITS");
        // Another device still waits, and a listing without wait is answered as ever.
        const other = list(h.hub, "dev-lab", query);
        await untilWaiting(h.feed, MAX_WAITS_PER_DEVICE + 1);
        assert.equal((await list(h.hub, "dev-shop", "?name=fashion")).statusCode, 200);
        // Once the device's polls are answered it may wait again.
        await h.publish("fashion", "1", ["shop"]);
        for (const res of await Promise.all(held)) assert.deepEqual(versions(res.body), ["1"]);
        const again = list(h.hub, "dev-shop", "?name=fashion&after=1&wait=30");
        await untilWaiting(h.feed, 2);
        await h.publish("fashion", "2", ["shop", "lab"]);
        assert.deepEqual(versions((await again).body), ["2"]);
        assert.deepEqual(versions((await other).body), ["2"]);
      } finally {
        await h.close();
      }
    },
  );
});

// The one test on a socket: what keeps a closing server open is a kept-alive connection, which inject() has not.
describe("device release listing: closing a listening hub", () => {
  it("closes at once with a long poll open on a kept-alive connection", BOUNDED, async () => {
    using dir = tempDir();
    const h = await shopHub(dir.path);
    const url = await h.hub.app.listen({ port: 0, host: "127.0.0.1" });
    const res = fetch(`${url}${listingRequest("dev-shop").url}?name=fashion&wait=60`, {
      headers: { "x-test-device": "dev-shop" },
    });
    await untilWaiting(h.feed, 1);
    const started = Date.now();
    await h.close();
    const took = Date.now() - started;
    const answer = await res;
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { releases: [] });
    assert.ok(took < 2000, `closed in ${took} ms`);
  });
});
