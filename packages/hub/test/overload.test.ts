import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { injectFailsWith, startPostgres, type PostgresServer } from "@edgeward/testkit";
import { HubStore, type DeviceAuthenticator, type PressureSource } from "@edgeward/hub";
import { startTestHub, type TestHub } from "./helpers/hub.ts";
import { freshSchema } from "./helpers/postgres.ts";

/** A pressure source the test sets by hand (no real load, no sleeping). */
class SetPressure implements PressureSource {
  delayMs = 0;
  pending = 0;
  eventLoopDelayMs(): number {
    return this.delayMs;
  }
  pendingWrites(): number {
    return this.pending;
  }
  close(): void {}
}

const CHALLENGE = "/v1/device/attest/challenge";

/** A hub whose device authenticator counts its calls (and refuses), with a device route the test holds open. */
async function hubUnder(pressure: SetPressure, random = 0.5) {
  let authCalls = 0;
  const deviceAuth: DeviceAuthenticator = () => {
    authCalls++;
    return Promise.reject(new Error("refused"));
  };
  const hub: TestHub = await startTestHub({
    deps: {
      pressure,
      random: () => random,
      deviceAuth,
      limits: { overload: { maxEventLoopDelayMs: 200, maxInFlight: 3, maxPendingWrites: 50, retryAfterS: 10 } },
    },
  });
  const held: Array<() => void> = [];
  hub.app.post(
    "/test/held",
    { config: { auth: { kind: "device", certificate: "none" } } },
    () => new Promise<{ ok: true }>((resolve) => held.push(() => resolve({ ok: true }))),
  );
  return { hub, held, authCalls: () => authCalls };
}

describe("overload shedding", () => {
  it("sheds device requests with 503, the code and a jittered Retry-After, before authentication or the body", async () => {
    const pressure = new SetPressure();
    const { hub, authCalls } = await hubUnder(pressure, 0.5);
    pressure.delayMs = 201;
    const res = await hub.app.inject({
      method: "POST",
      url: CHALLENGE,
      headers: { "content-type": "application/json" },
      payload: "{ not json",
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json<{ code: string }>().code, "EW_ERR_HUB_OVERLOADED");
    // retryAfterS 10 + floor(0.5 * (20 + 1)) of the default 20 s jitter.
    assert.equal(res.headers["retry-after"], "20");
    assert.equal(authCalls(), 0, "a shed request never reaches the device authenticator");
    pressure.delayMs = 0;
    pressure.pending = 51;
    await injectFailsWith(hub.app, { method: "POST", url: CHALLENGE, payload: {} }, "EW_ERR_HUB_OVERLOADED");
    const metrics = await hub.app.inject({ method: "GET", url: "/metrics" });
    assert.match(metrics.body, /edgeward_hub_shed_total 2/);
    await hub.close();
  });

  it("keeps /healthz and operator routes answering while device requests are shed", async () => {
    const pressure = new SetPressure();
    const { hub } = await hubUnder(pressure);
    pressure.delayMs = 5000;
    pressure.pending = 5000;
    assert.equal((await hub.app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
    const devices = await hub.app.inject({ method: "GET", url: "/v1/devices", headers: hub.auth("viewer") });
    assert.equal(devices.statusCode, 200);
    await hub.close();
  });

  it("leaves a hub below its limits alone: the request goes on to authentication as before", async () => {
    const pressure = new SetPressure();
    const { hub, authCalls } = await hubUnder(pressure, 0.99);
    pressure.delayMs = 200;
    pressure.pending = 50;
    const res = await hub.app.inject({ method: "POST", url: CHALLENGE, payload: {} });
    assert.notEqual(res.json<{ code: string }>().code, "EW_ERR_HUB_OVERLOADED");
    assert.equal(res.headers["retry-after"], undefined);
    assert.equal(authCalls(), 1);
    await hub.close();
  });

  it("sheds past the in-flight limit and accepts again once answers went out", async () => {
    const pressure = new SetPressure();
    const { hub, held } = await hubUnder(pressure, 0);
    const open = [0, 1, 2].map(() => hub.app.inject({ method: "POST", url: "/test/held", payload: {} }));
    while (held.length < 3) await new Promise((r) => setImmediate(r));
    const shed = await hub.app.inject({ method: "POST", url: "/test/held", payload: {} });
    assert.equal(shed.statusCode, 503);
    assert.equal(shed.headers["retry-after"], "10");
    for (const release of held.splice(0)) release();
    for (const res of await Promise.all(open)) assert.equal(res.statusCode, 200);
    const again = hub.app.inject({ method: "POST", url: "/test/held", payload: {} });
    while (held.length < 1) await new Promise((r) => setImmediate(r));
    held[0]!();
    assert.equal((await again).statusCode, 200);
    await hub.close();
  });

  it("turns a check off with a limit of 0", async () => {
    const pressure = new SetPressure();
    const hub = await startTestHub({
      deps: { pressure, limits: { overload: { maxEventLoopDelayMs: 0, maxPendingWrites: 0, maxInFlight: 0 } } },
    });
    pressure.delayMs = 1e6;
    pressure.pending = 1e6;
    const res = await hub.app.inject({ method: "POST", url: CHALLENGE, payload: {} });
    assert.notEqual(res.statusCode, 503);
    await hub.close();
  });
});

describe("the store's queue as the overload check reads it", () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server.stop();
  });

  it("counts PostgreSQL queries waiting for a pooled connection", async () => {
    const store = await HubStore.open({ postgres: await freshSchema(server.url, "overload_q") });
    assert.equal(store.pendingWrites, 0);
    // The pool holds 10 connections: 25 slow queries leave 15 waiting.
    const running = Array.from({ length: 25 }, () => sql`SELECT pg_sleep(0.2)`.execute(store.db));
    await new Promise((r) => setImmediate(r));
    assert.equal(store.pendingWrites, 15);
    await Promise.all(running);
    assert.equal(store.pendingWrites, 0);
    await store.close();
  });
});
