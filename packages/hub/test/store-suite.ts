// The storage behaviour every backend of the hub must show; run by store-sqlite.test.ts and store-postgres.test.ts
// (the pattern of packages/tlog/test/log-suite.ts).
import assert from "node:assert/strict";
import { it } from "node:test";
import { rejectsWithCode } from "@edgeward/testkit";
import {
  DatabaseTufStore,
  HubStore,
  createGroup,
  createToken,
  findToken,
  getDevice,
  getGroup,
  insertDevice,
  insertEnrolToken,
  issueNonce,
  listDevices,
  purgeNonces,
  revokeToken,
  setGroupPolicy,
  spendEnrolToken,
  spendNonce,
  updateDevice,
  type HubStoreLocation,
} from "@edgeward/hub";

/** A fresh, empty database for one test. */
export interface StoreBackend {
  fresh(): Promise<HubStoreLocation>;
  /** Another spelling of the same database, as a second process would open it (bypasses in-process queues). */
  alias?(where: HubStoreLocation): HubStoreLocation;
}

const T0 = new Date("2026-05-01T12:00:00.000Z");
const at = (ms: number): Date => new Date(T0.getTime() + ms);

function device(id: string, group = "default"): Parameters<typeof insertDevice>[1] {
  return {
    id,
    group_name: group,
    state: "pending",
    ek_sha256: null,
    ak_name: null,
    ak_public: null,
    unwrap_public: null,
    recipient: null,
    facts: "{}",
    created_at: T0.toISOString(),
    updated_at: T0.toISOString(),
    last_seen_at: null,
    last_attest_at: null,
    last_result: null,
    last_pass_at: null,
    next_attest_at: null,
  };
}

/** Registers the shared tests for one backend. */
export function hubStoreSuite(backend: StoreBackend): void {
  async function withStore(body: (s: HubStore, where: HubStoreLocation) => Promise<void>): Promise<void> {
    const where = await backend.fresh();
    const store = await HubStore.open(where);
    try {
      await body(store, where);
    } finally {
      await store.close();
    }
  }

  it("opening twice migrates once and keeps the data", async () => {
    await withStore(async (store, where) => {
      await createGroup(store.db, { name: "g", policy: "{}", now: T0 });
      const again = await HubStore.open(where);
      assert.equal((await getGroup(again.db, "g")).name, "g");
      await again.close();
      assert.equal(await store.ping(), true);
    });
  });

  it("a token is found by its secret only, and revoking keeps the first revocation time", async () => {
    await withStore(async (store) => {
      const t = await createToken(store.db, { role: "operator", label: "ops", createdBy: null, now: T0 });
      const row = await findToken(store.db, t.token);
      assert.equal(row?.id, t.id);
      assert.notEqual(row?.hash, t.token, "the secret itself is never stored");
      assert.equal(await findToken(store.db, `${t.token}x`), undefined);
      assert.equal((await revokeToken(store.db, t.id, at(1000)))?.revoked_at, at(1000).toISOString());
      assert.equal((await revokeToken(store.db, t.id, at(2000)))?.revoked_at, at(1000).toISOString());
      assert.equal(await revokeToken(store.db, "tok_0000000000000000", T0), undefined);
    });
  });

  it("a nonce is spent once: ok, then used; an unknown one is unknown; an expired one is expired", async () => {
    await withStore(async (store) => {
      await issueNonce(store.db, {
        nonce: "n1",
        deviceId: "d",
        purpose: "attest",
        data: "{}",
        now: T0,
        expiresAt: at(60_000),
      });
      await issueNonce(store.db, {
        nonce: "n2",
        deviceId: "d",
        purpose: "attest",
        data: "{}",
        now: T0,
        expiresAt: at(60_000),
      });
      assert.equal((await spendNonce(store.db, "n1", at(1000))).status, "ok");
      assert.equal((await spendNonce(store.db, "n1", at(2000))).status, "used");
      assert.equal((await spendNonce(store.db, "nope", at(2000))).status, "unknown");
      assert.equal((await spendNonce(store.db, "n2", at(60_000))).status, "expired");
      assert.equal((await spendNonce(store.db, "n2", at(1000))).status, "used", "an expired nonce stays spent");
      assert.equal(await purgeNonces(store.db, at(120_000)), 2);
    });
  });

  it("of many concurrent spends of one nonce, on two connections, exactly one succeeds", async () => {
    await withStore(async (store, where) => {
      const other = await HubStore.open(where);
      try {
        await issueNonce(store.db, {
          nonce: "race",
          deviceId: "d",
          purpose: "attest",
          data: "{}",
          now: T0,
          expiresAt: at(60_000),
        });
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) => spendNonce((i % 2 === 0 ? store : other).db, "race", at(1))),
        );
        assert.equal(results.filter((r) => r.status === "ok").length, 1);
        assert.equal(results.filter((r) => r.status === "used").length, 15);
      } finally {
        await other.close();
      }
    });
  });

  it("a nonce stored without waiting for durability is still spent exactly once, from either connection", async () => {
    await withStore(async (store, where) => {
      const other = await HubStore.open(where);
      try {
        const init = { deviceId: "d", purpose: "attest", data: "{}", now: T0, expiresAt: at(60_000) };
        await issueNonce(store.db, { ...init, nonce: "relaxed" }, { durable: false });
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => spendNonce((i % 2 === 0 ? other : store).db, "relaxed", at(1))),
        );
        assert.equal(results.filter((r) => r.status === "ok").length, 1);
        assert.equal(results.filter((r) => r.status !== "ok").length, 7);
      } finally {
        await other.close();
      }
    });
  });

  it("an enrolment token is spent once and keeps its group", async () => {
    await withStore(async (store) => {
      await insertEnrolToken(store.db, {
        id: "e1",
        hash: "h1",
        group: "line-a",
        createdBy: null,
        now: T0,
        expiresAt: at(1000),
      });
      const first = await spendEnrolToken(store.db, "h1", T0);
      assert.equal(first.status, "ok");
      assert.equal(first.status === "ok" ? first.row.group_name : "", "line-a");
      assert.equal((await spendEnrolToken(store.db, "h1", T0)).status, "used");
    });
  });

  it("a device update with a stale version is refused with EW_ERR_HUB_CONFLICT, so no update is lost", async () => {
    await withStore(async (store) => {
      await insertDevice(store.db, device("d1"));
      const d = await getDevice(store.db, "d1");
      const a = await updateDevice(store.db, "d1", d.version, { state: "trusted" }, at(1));
      assert.equal(a.version, d.version + 1);
      await rejectsWithCode(
        updateDevice(store.db, "d1", d.version, { state: "quarantined" }, at(2)),
        "EW_ERR_HUB_CONFLICT",
      );
      assert.equal((await getDevice(store.db, "d1")).state, "trusted");
      await rejectsWithCode(
        updateDevice(store.db, "d2", 0, { state: "trusted" }, at(2)),
        "EW_ERR_HUB_DEVICE_NOT_FOUND",
      );
    });
  });

  it("lists devices by group and state, in pages", async () => {
    await withStore(async (store) => {
      for (const id of ["a", "b", "c", "d"]) await insertDevice(store.db, device(id, id < "c" ? "g1" : "g2"));
      assert.deepEqual(
        (await listDevices(store.db, { group: "g1", limit: 10 })).map((d) => d.id),
        ["a", "b"],
      );
      assert.deepEqual(
        (await listDevices(store.db, { after: "b", limit: 1 })).map((d) => d.id),
        ["c"],
      );
      assert.equal((await listDevices(store.db, { state: "trusted", limit: 10 })).length, 0);
    });
  });

  it("groups: a second create is EW_ERR_HUB_GROUP_EXISTS; a policy set with a stale version EW_ERR_HUB_CONFLICT", async () => {
    await withStore(async (store) => {
      const g = await createGroup(store.db, { name: "g", policy: "{}", now: T0 });
      await rejectsWithCode(createGroup(store.db, { name: "g", policy: "{}", now: T0 }), "EW_ERR_HUB_GROUP_EXISTS");
      const g2 = await setGroupPolicy(store.db, "g", '{"learn":true}', at(1), g.version);
      assert.equal(g2.version, g.version + 1);
      await rejectsWithCode(setGroupPolicy(store.db, "g", "{}", at(2), g.version), "EW_ERR_HUB_CONFLICT");
      await rejectsWithCode(setGroupPolicy(store.db, "h", "{}", at(2)), "EW_ERR_HUB_GROUP_NOT_FOUND");
      await rejectsWithCode(getGroup(store.db, "h"), "EW_ERR_HUB_GROUP_NOT_FOUND");
    });
  });

  it("bigint columns come back as numbers", async () => {
    await withStore(async (store) => {
      await store.db
        .insertInto("device_checkpoints")
        .values({ device_id: "d", size: 2 ** 40, note: "n", updated_at: T0.toISOString() })
        .execute();
      const row = await store.db.selectFrom("device_checkpoints").selectAll().executeTakeFirstOrThrow();
      assert.equal(row.size, 2 ** 40);
      assert.equal(row.version, 0);
    });
  });

  it("TUF files: written together, read back byte for byte, and one writer at a time across connections", async () => {
    await withStore(async (store, where) => {
      const tuf = new DatabaseTufStore(store);
      const bytes = new Uint8Array(Buffer.from('{"signed":{"_type":"root","é":"ü"}}', "utf8"));
      await tuf.putAll([
        { name: "1.root.json", bytes },
        { name: "root.json", bytes },
      ]);
      assert.deepEqual(await tuf.get("1.root.json"), bytes);
      assert.equal(await tuf.get("2.root.json"), undefined);
      const other = await HubStore.open(backend.alias?.(where) ?? where);
      try {
        const tuf2 = new DatabaseTufStore(other);
        const trace: string[] = [];
        const writer = (name: string, t: DatabaseTufStore) =>
          t.exclusive(async () => {
            trace.push(`${name}+`);
            await new Promise((r) => setTimeout(r, 30));
            trace.push(`${name}-`);
          });
        await Promise.all([writer("a", tuf), writer("b", tuf2), writer("c", tuf)]);
        for (let i = 0; i < trace.length; i += 2)
          assert.equal(trace[i]!.slice(0, 1), trace[i + 1]!.slice(0, 1), trace.join(" "));
      } finally {
        await other.close();
      }
    });
  });
}
