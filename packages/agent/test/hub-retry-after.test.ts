import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { EdgewardError } from "@edgeward/core";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { EgressClient, HubClient } from "@edgeward/agent";
import { BusyNotice, busyRetryMs, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs } from "../src/hub/retry-after.ts";
import { makeTestPki } from "./pki.ts";

/** The error `p` rejects with, after checking its code. */
async function failure(p: Promise<unknown>, code: string): Promise<EdgewardError> {
  const err = await p.then(
    () => assert.fail("expected a rejection"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EdgewardError && err.code === code, String(err));
  return err;
}

const NOW = new Date("2026-05-01T12:00:00.000Z");

describe("Retry-After from the hub", () => {
  it("reads delay-seconds and HTTP-dates, caps a huge wait, and ignores what is neither", () => {
    assert.equal(parseRetryAfter("20", NOW), 20_000);
    assert.equal(parseRetryAfter([" 7 "], NOW), 7000);
    assert.equal(parseRetryAfter("Fri, 01 May 2026 12:00:30 GMT", NOW), 30_000);
    assert.equal(parseRetryAfter("Fri, 01 May 2026 11:00:00 GMT", NOW), 0);
    assert.equal(parseRetryAfter("99999999", NOW), MAX_RETRY_AFTER_MS);
    for (const bad of [undefined, "", "-5", "1.5", "soon", "12:00"]) assert.equal(parseRetryAfter(bad, NOW), undefined);
  });

  it("a busy hub's wait gets up to 20 % jitter, never less; any other error waits the interval", () => {
    const busy = new EdgewardError("EW_ERR_AGENT_HUB_BUSY", {
      detail: "EW_ERR_HUB_OVERLOADED retry-after 20000 ms (POST /x)",
    });
    assert.equal(busyRetryMs(busy), 20_000);
    assert.equal(
      retryDelayMs(busy, 60_000, () => 0),
      20_000,
    );
    assert.equal(
      retryDelayMs(busy, 60_000, () => 0.999),
      23_996,
    );
    const refused = new EdgewardError("EW_ERR_AGENT_HUB_REFUSED", { detail: "EW_ERR_HUB_STORAGE (POST /x)" });
    assert.equal(busyRetryMs(refused), undefined);
    assert.equal(
      retryDelayMs(refused, 60_000, () => 0.5),
      60_000,
    );
  });

  it("says a streak of busy answers once", () => {
    const said: string[] = [];
    const notice = new BusyNotice((l) => said.push(l));
    const busy = new EdgewardError("EW_ERR_AGENT_HUB_BUSY", { detail: "EW_ERR_HUB_OVERLOADED retry-after 1000 ms" });
    notice.busy(busy, 1000);
    notice.busy(busy, 1000);
    assert.equal(said.length, 1);
    assert.match(said[0]!, /not counted as a failure/);
    notice.clear();
    notice.busy(busy, 1000);
    assert.equal(said.length, 2);
  });
});

describe("the hub client against a hub that sheds", () => {
  let server: Server;
  let hub: HubClient;
  let answer: { status: number; headers: Record<string, string>; body: object };
  const dir = tempDir("edgeward-busy-");
  before(async () => {
    const pki = makeTestPki(dir.path);
    server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (_req, res) => {
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    hub = new HubClient(new EgressClient({ allow: [`127.0.0.1:${port}`], ca: pki.caPem }), `https://127.0.0.1:${port}`);
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    dir[Symbol.dispose]();
  });

  it("turns 503 and 429 with Retry-After into EW_ERR_AGENT_HUB_BUSY carrying the wait", async () => {
    const overloaded = { code: "EW_ERR_HUB_OVERLOADED", message: "busy" };
    answer = { status: 503, headers: { "retry-after": "17" }, body: overloaded };
    const err = await failure(hub.challenge({ deviceId: "d", banks: ["sha256"] }), "EW_ERR_AGENT_HUB_BUSY");
    assert.equal(busyRetryMs(err), 17_000);
    assert.match(err.detail ?? "", /^EW_ERR_HUB_OVERLOADED/);
    answer = { status: 429, headers: { "retry-after": "3" }, body: { code: "EW_ERR_HUB_NONCE_QUOTA", message: "x" } };
    assert.equal(busyRetryMs(await failure(hub.hubInfo(), "EW_ERR_AGENT_HUB_BUSY")), 3000);
  });

  it("keeps a 503 without Retry-After, and other statuses, a refusal", async () => {
    answer = { status: 503, headers: {}, body: { code: "EW_ERR_HUB_STORAGE", message: "x" } };
    await rejectsWithCode(hub.hubInfo(), "EW_ERR_AGENT_HUB_REFUSED");
    answer = { status: 403, headers: { "retry-after": "5" }, body: { code: "EW_ERR_HUB_FORBIDDEN", message: "x" } };
    await rejectsWithCode(hub.hubInfo(), "EW_ERR_AGENT_HUB_REFUSED");
  });
});
