// Long polls across replicas (docs/releases.md "Following releases"): two hub apps on one real PostgreSQL, and two
// on one SQLite file; a device waits on replica B, a release is published or rolled out through replica A, and B
// answers within about its marker poll (100 ms here), reading the marker only while someone waits.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startPostgres, tempDir } from "@edgeward/testkit";
import { createGroup } from "@edgeward/hub";
import { freshSchema } from "../helpers/postgres.ts";
import { list, startListingHub, untilWaiting, versions } from "./listing-hub.ts";

const POLL_MS = 100;

type Place = { postgres: string } | { sqlite: string };

async function replicasOn(dir: string, place: Place) {
  const a = await startListingHub(dir, { ...place, feed: { pollMs: POLL_MS } });
  const b = await startListingHub(dir, { ...place, replica: true, feed: { pollMs: POLL_MS } });
  await createGroup(a.hub.deps.store.db, { name: "shop", policy: "{}", now: new Date() });
  await a.addDevice("dev-1", "shop");
  return { a, b, close: async () => Promise.all([a.close(), b.close()]) };
}

async function wakesAcrossReplicas(place: Place, dir: string): Promise<void> {
  const { a, b, close } = await replicasOn(dir, place);
  try {
    const idle = b.marker.reads;
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    assert.equal(b.marker.reads, idle, "no marker reads while nobody waits");

    // A publication on A answers the device waiting on B.
    const first = list(b.hub, "dev-1", "?name=fashion&wait=30");
    await untilWaiting(b.feed, 1);
    const published = Date.now();
    const r = await a.publish("fashion", "1", ["shop"]);
    const res = await first;
    const took = Date.now() - published;
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(versions(res.body), ["1"]);
    assert.ok(took < 1500, `B answered ${took} ms after A published`);

    // A rollout on A of a release B's device could not list yet answers it too.
    const second = await a.publish("fashion", "2", []);
    const waiting = list(b.hub, "dev-1", "?name=fashion&after=1&wait=30");
    await untilWaiting(b.feed, 1);
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    assert.equal(b.feed.waiting(), 1, "polls that find nothing new keep it waiting");
    await a.service.rollout(second.id, ["shop"]);
    assert.deepEqual(versions((await waiting).body), ["2"]);
    assert.notEqual(r.id, second.id);

    // Nobody waits any more: B stops reading the marker.
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const after = b.marker.reads;
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    assert.equal(b.marker.reads, after, "polling stopped with the last waiter");
  } finally {
    await close();
  }
}

describe("device release long polls across replicas", () => {
  it("wake on replica B for a release published and rolled out on A, on one PostgreSQL", async () => {
    await using pg = await startPostgres();
    using dir = tempDir();
    await wakesAcrossReplicas({ postgres: await freshSchema(pg.url, "waits") }, dir.path);
  });

  it("wake on replica B for a release published and rolled out on A, on one SQLite file", async () => {
    using dir = tempDir();
    await wakesAcrossReplicas({ sqlite: join(dir.path, "hub.db") }, dir.path);
  });
});
