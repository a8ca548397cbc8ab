import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { EdgewardError, type wire } from "@edgeward/core";
import { tempDir } from "@edgeward/testkit";
import {
  CachedHubClient,
  createCsr,
  pinHub,
  RELEASE_WAIT_S,
  ReleaseWatch,
  renewalDue,
  stateLayout,
  type DeviceKeys,
  type HubClient,
} from "@edgeward/agent";
import { hubBusy } from "../src/hub/retry-after.ts";
import { makeTestPki } from "./pki.ts";

type Query = Parameters<HubClient["deviceReleases"]>[0];

/** A hub client whose listing answers with `answer(query, call)`; every query is kept. */
function fakeHub(answer: (q: Query, call: number) => Promise<wire.DeviceRelease[]>): {
  client: HubClient;
  queries: Query[];
} {
  const queries: Query[] = [];
  const client = {
    deviceReleases: async (q: Query) => {
      queries.push(q);
      // An answer comes from the network: a later turn of the event loop, never the same one.
      await new Promise((r) => setImmediate(r));
      return { releases: await answer(q, queries.length) };
    },
  } as unknown as HubClient;
  return { client, queries };
}

function release(name: string, version: string): wire.DeviceRelease {
  return { name, version, kind: "model", target: `${name}/${version}`, floor: version };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A long poll the hub holds until the test ends it. */
const held = () => new Promise<wire.DeviceRelease[]>(() => undefined);

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await sleep(10);
  assert.ok(check(), what);
}

describe("watching for new releases (long poll)", () => {
  it("asks for versions above the serving one with a wait, and reports a newer one once", async () => {
    const { client, queries } = fakeHub(async (q) =>
      q?.after === undefined || q.after === "4" ? [release("det", "5")] : held(),
    );
    const seen: string[] = [];
    const watch = new ReleaseWatch({
      names: ["det"],
      client: () => Promise.resolve(client),
      have: () => Promise.resolve("4"),
      onRelease: (name, version) => seen.push(`${name}@${version}`),
      retryMs: 60_000,
    });
    watch.start();
    await until(() => queries.length === 2, "a second poll after the report");
    assert.deepEqual(seen, ["det@5"]);
    assert.deepEqual(queries[0], { name: "det", limit: 1, wait: RELEASE_WAIT_S, after: "4" });
    // The reported version counts as had, even before it installs (or when it is refused).
    assert.equal(queries[1]?.after, "5");
    await Promise.race([watch.close(), sleep(50)]);
  });

  it("reports nothing no newer than what the device has, and does not loop on a hub that answers at once", async () => {
    const { client, queries } = fakeHub(() => Promise.resolve([release("det", "7"), release("other", "9")]));
    const seen: string[] = [];
    const watch = new ReleaseWatch({
      names: ["det"],
      client: () => Promise.resolve(client),
      have: () => Promise.resolve("7.1.0"),
      onRelease: (name, version) => seen.push(`${name}@${version}`),
      retryMs: 250,
    });
    watch.start();
    await sleep(400);
    await watch.close();
    assert.deepEqual(seen, []);
    assert.ok(queries.length >= 1 && queries.length <= 2, `${queries.length} polls in 400 ms at one per 250 ms`);
  });

  it("backs off after a failure by the retry delay, and by the hub's Retry-After when it is busy", async () => {
    const errors: string[] = [];
    const times: number[] = [];
    const { client } = fakeHub(async (_q, call) => {
      times.push(Date.now());
      if (call === 1) throw new EdgewardError("EW_ERR_AGENT_HUB_UNREACHABLE");
      if (call === 2) throw hubBusy("EW_ERR_HUB_OVERLOADED", 300, "GET /v1/device/releases");
      return held();
    });
    const watch = new ReleaseWatch({
      names: ["det"],
      client: () => Promise.resolve(client),
      have: () => Promise.resolve(undefined),
      onRelease: () => assert.fail("nothing is listed"),
      onError: (_name, err) => errors.push((err as EdgewardError).code),
      retryMs: 100,
      random: () => 0,
    });
    watch.start();
    await until(() => times.length === 3, "three polls");
    assert.deepEqual(errors, ["EW_ERR_AGENT_HUB_UNREACHABLE", "EW_ERR_AGENT_HUB_BUSY"]);
    const [t0 = 0, t1 = 0, t2 = 0] = times;
    assert.ok(t1 - t0 >= 95, `retry after ${t1 - t0} ms, asked 100`);
    assert.ok(t2 - t1 >= 295, `busy retry after ${t2 - t1} ms, asked 300`);
    await Promise.race([watch.close(), sleep(50)]);
  });

  it("polls each followed name on its own, and close() ends a watch that is backing off", async () => {
    const { client, queries } = fakeHub(() => Promise.reject(new EdgewardError("EW_ERR_AGENT_HUB_UNREACHABLE")));
    const watch = new ReleaseWatch({
      names: ["det", "cls"],
      client: () => Promise.resolve(client),
      have: () => Promise.resolve(undefined),
      onRelease: () => undefined,
      retryMs: 600_000,
    });
    watch.start();
    await until(() => queries.length === 2, "one poll per name");
    assert.deepEqual(queries.map((q) => q?.name).sort(), ["cls", "det"]);
    const t0 = Date.now();
    await watch.close();
    assert.ok(Date.now() - t0 < 1000, "close does not wait out the back-off");
  });
});

describe("the hub client an agent keeps", () => {
  const dir = tempDir("edgeward-cached-client-");
  after(() => dir[Symbol.dispose]());
  const layout = stateLayout(dir.path);
  mkdirSync(dir.path, { recursive: true });
  const pki = makeTestPki(dir.path);
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const keys = { mtlsKey: key } as DeviceKeys;

  it("keeps one client while the identity stays, and a new one once the certificate is renewed", async () => {
    writeFileSync(layout.hubCa, pki.caPem);
    await pinHub(layout, "https://127.0.0.1:1", { logVerifierKey: "k", tufRoot: {} } as wire.HubInfoResponse);
    writeFileSync(layout.certificate, pki.issue(createCsr(key, "device-1")));
    const cache = new CachedHubClient();
    const now = new Date();
    const first = await cache.get(layout, keys, {}, now);
    assert.equal(await cache.get(layout, keys, {}, now), first);
    assert.equal(cache.last, first);
    writeFileSync(layout.certificate, pki.issue(createCsr(key, "device-1")));
    // Requests do not read the state directory: the new certificate counts once the renewal is announced.
    assert.equal(await cache.get(layout, keys, {}, now), first);
    cache.renewed();
    const second = await cache.get(layout, keys, {}, now);
    assert.notEqual(second, first);
    // Past the certificate's end the client without it is made, announced or not.
    const expired = new Date(new X509Certificate(readFileSync(layout.certificate)).validToDate.getTime() + 1000);
    assert.notEqual(await cache.get(layout, keys, {}, expired), second);
    // Other keys (a boot change dropped them, or new ones): another client.
    assert.notEqual(await cache.get(layout, undefined, {}, now), second);
    cache.close();
  });

  it("asks for a renewal without a valid certificate, or once half its lifetime is gone", async () => {
    writeFileSync(layout.certificate, pki.issue(createCsr(key, "device-1"), 2));
    const cert = new X509Certificate(pki.issue(createCsr(key, "device-1"), 2));
    writeFileSync(layout.certificate, cert.toString());
    const from = new Date(cert.validFrom).getTime();
    const to = new Date(cert.validTo).getTime();
    assert.equal(await renewalDue(layout, new Date(from + 60_000)), false);
    assert.equal(await renewalDue(layout, new Date(from + (to - from) / 2 - 60_000)), false);
    assert.equal(await renewalDue(layout, new Date(from + (to - from) / 2 + 60_000)), true);
    assert.equal(await renewalDue(layout, new Date(to + 1000)), true);
    writeFileSync(layout.certificate, "");
    assert.equal(await renewalDue(layout, new Date(from + 60_000)), true);
  });
});
