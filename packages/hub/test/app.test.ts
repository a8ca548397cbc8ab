import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { injectFailsWith } from "@edgeward/testkit";
import { startTestHub } from "./helpers/hub.ts";

describe("hub app", () => {
  it("answers /healthz and /readyz, and starts and stops twice", async () => {
    for (let round = 0; round < 2; round++) {
      const hub = await startTestHub();
      assert.equal((await hub.app.inject({ method: "GET", url: "/healthz" })).json<{ status: string }>().status, "ok");
      assert.equal((await hub.app.inject({ method: "GET", url: "/readyz" })).statusCode, 200);
      await hub.close();
    }
  });

  it("an unknown route answers EW_ERR_HUB_ROUTE_NOT_FOUND", async () => {
    const hub = await startTestHub();
    await injectFailsWith(hub.app, { method: "GET", url: "/v1/nothing" }, "EW_ERR_HUB_ROUTE_NOT_FOUND");
    await hub.close();
  });

  it("publishes the hub facts at GET /v1/hub without a token", async () => {
    const hub = await startTestHub();
    const res = await hub.app.inject({ method: "GET", url: "/v1/hub" });
    assert.equal(res.statusCode, 200);
    const facts = res.json<{ logVerifierKey: string; tufRoot: unknown }>();
    assert.equal(facts.logVerifierKey, hub.deps.audit.verifierKey);
    await hub.close();
  });
});
