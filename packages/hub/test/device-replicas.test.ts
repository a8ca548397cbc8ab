// Two hub replicas on one PostgreSQL (two connection pools, as two `serve` processes have): a nonce, an enrolment
// token and a pending enrolment are each spent by exactly one of them, however the requests race.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startPostgres } from "@edgeward/testkit";
import { DatabaseDeviceStore } from "../src/device/database-store.ts";
import { HubStore } from "../src/store/hub-store.ts";
import type { DeviceRecord } from "../src/device/types.ts";

test("nonces, tokens and enrolments are single use across two replicas on one PostgreSQL", async () => {
  await using pg = await startPostgres();
  const [hubA, hubB] = [await HubStore.open({ postgres: pg.url }), await HubStore.open({ postgres: pg.url })];
  try {
    const a = new DatabaseDeviceStore(hubA.db);
    const b = new DatabaseDeviceStore(hubB.db);
    const later = new Date(Date.now() + 60_000).toISOString();
    const now = new Date().toISOString();
    for (let i = 0; i < 20; i++) {
      await a.putNonce({ nonce: `n${i}`, deviceId: "dev-x", pcrs: "sha256:0", expiresAt: later });
      const got = await Promise.all([a.takeNonce(`n${i}`, now), b.takeNonce(`n${i}`, now)]);
      assert.equal(got.filter((x) => x !== undefined).length, 1, `nonce ${i}`);
    }
    // A nonce used on one replica is refused on the other.
    await b.putNonce({ nonce: "seq", deviceId: "dev-x", pcrs: "sha256:0", expiresAt: later });
    assert.ok((await b.takeNonce("seq", now)) !== undefined);
    assert.equal(await a.takeNonce("seq", now), undefined);

    await a.putEnrolToken("tokdigest", "default", later);
    const tokens = await Promise.all([a.takeEnrolToken("tokdigest"), b.takeEnrolToken("tokdigest")]);
    assert.equal(tokens.filter((x) => x !== undefined).length, 1);

    const device: DeviceRecord = {
      id: "dev-r",
      group: "default",
      state: "pending",
      ekDigest: "ek",
      akPublic: "00",
      akQualifiedName: "q",
      recipient: "age1tag1x",
      unwrapPolicyDigest: "00",
      enrolledVia: "token",
      createdAt: now,
    };
    await a.putEnrolment({ id: "e1", secretDigest: "00", expiresAt: later, device });
    const taken = await Promise.all([a.takeEnrolment("e1"), b.takeEnrolment("e1")]);
    assert.equal(taken.filter((x) => x !== undefined).length, 1);

    // Concurrent device updates from both replicas are all kept (optimistic, retried), none lost.
    assert.ok(await a.insertDevice(device));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).updateDevice("dev-r", { floors: { [`model-${i}`]: `1.${i}` } }),
      ),
    );
    assert.equal(Object.keys((await b.getDevice("dev-r"))?.floors ?? {}).length, 10);
  } finally {
    await hubA.close();
    await hubB.close();
  }
});
