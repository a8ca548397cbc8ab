// What the database device store reuses between reads (device/database-store.ts), checked with two stores (replicas)
// on one database, SQLite and PostgreSQL (two connections, as two `serve` processes have): a group's policy is
// reused only while the version read with the device is unchanged; an update from a stale device record never
// loses another replica's change; a batch commits together or not at all; a quote's result (on PostgreSQL one
// statement) stores the device's state and its record together.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { sql } from "kysely";
import { startPostgres, tempDir } from "@edgeward/testkit";
import { DatabaseDeviceStore } from "../src/device/database-store.ts";
import { DEFAULT_POLICY } from "../src/groups/policy.ts";
import { HubStore } from "../src/store/hub-store.ts";
import type { DeviceRecord } from "../src/device/types.ts";

const DEVICE: DeviceRecord = {
  id: "dev-reuse",
  group: "line",
  state: "trusted",
  ekDigest: "ek-reuse",
  akPublic: "00",
  akQualifiedName: "q",
  recipient: "age1tag1x",
  unwrapPolicyDigest: "00",
  enrolledVia: "token",
  createdAt: new Date(0).toISOString(),
};

const BACKENDS: Array<[string, () => Promise<{ a: HubStore; b: HubStore; close: () => Promise<void> }>]> = [
  [
    "SQLite",
    async () => {
      // One connection (the embedded hub is one process); the two stores still keep separate memories.
      const dir = tempDir();
      const hub = await HubStore.open({ sqlite: join(dir.path, "hub.db") });
      return { a: hub, b: hub, close: async () => (await hub.close(), dir[Symbol.dispose]()) };
    },
  ],
  [
    "PostgreSQL",
    async () => {
      const pg = await startPostgres();
      const [a, b] = [await HubStore.open({ postgres: pg.url }), await HubStore.open({ postgres: pg.url })];
      return { a, b, close: async () => (await Promise.all([a.close(), b.close()]), await pg.stop()) };
    },
  ],
];

for (const [backend, open] of BACKENDS)
  test(`${backend}: reused policies and device rows stay correct across two replicas`, async (t) => {
    const { a: hubA, b: hubB, close } = await open();
    t.after(close);
    const a = new DatabaseDeviceStore(hubA.db);
    const b = new DatabaseDeviceStore(hubB.db);
    await a.putGroup({ ...DEFAULT_POLICY, name: "line", attestIntervalMs: 60_000 });
    assert.ok(await a.insertDevice(DEVICE));

    await t.test("a policy changed on the other replica is seen at the next device read", async () => {
      const first = await a.getGroup("line", await a.getDevice(DEVICE.id));
      assert.equal(first?.attestIntervalMs, 60_000);
      await b.putGroup({ ...DEFAULT_POLICY, name: "line", attestIntervalMs: 30_000 });
      assert.equal((await a.getGroup("line", await a.getDevice(DEVICE.id)))?.attestIntervalMs, 30_000);
    });

    await t.test(
      "while the version holds, the parsed policy is reused (an edit that skips the version is not seen)",
      async () => {
        const device = (await a.getDevice(DEVICE.id))!;
        const reused = await a.getGroup("line", device);
        // Not something the hub does: changing the policy without its version shows that the cache answered.
        const edited = JSON.stringify({ ...DEFAULT_POLICY, attestIntervalMs: 5_000 });
        await sql`UPDATE groups SET policy = ${edited} WHERE name = 'line'`.execute(hubB.db);
        assert.equal(await a.getGroup("line", await a.getDevice(DEVICE.id)), reused);
        assert.equal((await a.getGroup("line"))?.attestIntervalMs, 5_000, "without a device, the store reads");
      },
    );

    await t.test("an update from a stale record keeps the other replica's change", async () => {
      const stale = (await a.getDevice(DEVICE.id))!;
      assert.ok(await b.updateDevice(DEVICE.id, { bootTime: "boot-b" }));
      assert.ok(await a.updateDevice(DEVICE.id, { lastResult: "pass" }, undefined, stale));
      const now = (await b.getDevice(DEVICE.id))!;
      assert.equal(now.bootTime, "boot-b");
      assert.equal(now.lastResult, "pass");
      // A state guard is decided on the stored state, not the stale one.
      const trusted = (await a.getDevice(DEVICE.id))!;
      assert.ok(await b.updateDevice(DEVICE.id, { state: "quarantined" }, ["trusted"]));
      assert.equal(await a.updateDevice(DEVICE.id, { state: "pending" }, ["trusted"], trusted), false);
      assert.ok(await a.updateDevice(DEVICE.id, { state: "trusted" }, ["quarantined"], trusted));
      assert.equal((await b.getDevice(DEVICE.id))?.state, "trusted");
    });

    await t.test("a batch that fails writes nothing; one that succeeds writes everything", async () => {
      const at = new Date().toISOString();
      await assert.rejects(
        a.batch(async (s) => {
          await s.updateDevice(DEVICE.id, { lastResult: "fail" });
          await s.addAttestation({ deviceId: DEVICE.id, at, result: "fail", reasons: [] });
          throw new Error("stop");
        }),
        /stop/,
      );
      assert.equal((await b.getDevice(DEVICE.id))?.lastResult, "pass");
      assert.deepEqual(await b.listAttestations(DEVICE.id, 10), []);
      const basis = (await a.getDevice(DEVICE.id))!;
      await a.batch(async (s) => {
        await s.updateDevice(DEVICE.id, { lastResult: "fail" }, undefined, basis);
        await s.addAttestation({ deviceId: DEVICE.id, at, result: "fail", reasons: [] });
      });
      assert.equal((await b.getDevice(DEVICE.id))?.lastResult, "fail");
      assert.equal((await b.listAttestations(DEVICE.id, 10)).length, 1);
    });

    await t.test(
      "a quote's result stores the device's state and the record together, also from a stale basis",
      async () => {
        const trips = hubA.roundTrips;
        const basis = (await a.getDevice(DEVICE.id))!;
        const before = hubA.roundTrips;
        const at = new Date().toISOString();
        await a.recordResult(
          basis,
          { lastResult: "pass", nextAttestAt: at },
          { deviceId: DEVICE.id, at, result: "pass", reasons: [] },
        );
        // PostgreSQL: one round trip (the update and the insert in one statement), not BEGIN, two statements, COMMIT.
        if (trips !== undefined) assert.equal(hubA.roundTrips! - before!, 1);
        assert.equal((await b.getDevice(DEVICE.id))?.lastResult, "pass");
        assert.equal((await b.listAttestations(DEVICE.id, 10)).length, 2);
        // Another replica changed the device after `basis` was read: nothing from the stale row is written, the
        // store re-reads and applies the patch on the stored row, and the record is stored once.
        assert.ok(await b.updateDevice(DEVICE.id, { bootTime: "boot-c" }));
        await a.recordResult(basis, { lastResult: "fail" }, { deviceId: DEVICE.id, at, result: "fail", reasons: [] });
        const now = (await b.getDevice(DEVICE.id))!;
        assert.equal(now.bootTime, "boot-c");
        assert.equal(now.lastResult, "fail");
        assert.equal((await b.listAttestations(DEVICE.id, 10)).length, 3);
      },
    );

    await t.test("a nonce is stored only under the device's quota of outstanding nonces", async () => {
      const now = "2026-05-01T12:00:00.000Z";
      const nonce = (n: string, expiresAt = "2026-05-01T12:01:00.000Z") => ({
        nonce: n.repeat(64),
        deviceId: DEVICE.id,
        pcrs: "sha256:0",
        expiresAt,
      });
      assert.ok(await a.putNonceWithin(nonce("a", "2026-05-01T11:59:00.000Z"), 2, now), "an expired one");
      assert.ok(await a.putNonceWithin(nonce("b"), 2, now));
      assert.ok(await b.putNonceWithin(nonce("c"), 2, now));
      // SQLite: the nonce inserts are not waited for (store/single-use.ts) and counts read committed rows; the group
      // commits at the end of the event-loop turn.
      await new Promise((r) => setImmediate(r));
      const trips = hubB.roundTrips;
      assert.equal(await a.putNonceWithin(nonce("d"), 2, now), false, "two outstanding: the quota is used");
      assert.equal(await b.putNonceWithin(nonce("d"), 2, now), false);
      // PostgreSQL: the count and the insert are one statement.
      if (trips !== undefined) assert.equal(hubB.roundTrips! - trips, 1);
      assert.equal(await a.takeNonce(nonce("d").nonce, now), undefined, "a refused nonce was not stored");
      assert.ok(await a.takeNonce(nonce("b").nonce, now));
      assert.ok(await a.putNonceWithin(nonce("d"), 2, now), "a spent one frees its place");
    });
  });
