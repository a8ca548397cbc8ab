import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EdgewardError } from "@edgeward/core";
import { injectFailsWith } from "@edgeward/testkit";
import { AUTH, DEFAULT_BODY_LIMIT } from "@edgeward/hub";
import { startTestHub } from "./helpers/hub.ts";

describe("hub error answers", () => {
  it("maps schema, body and media-type failures to their codes, before any handler runs", async () => {
    const hub = await startTestHub();
    const post = (payload: string, type = "application/json") => ({
      method: "POST" as const,
      url: "/v1/tokens",
      headers: { ...hub.auth("admin"), "content-type": type },
      payload,
    });
    await injectFailsWith(hub.app, post('{"role":"root"}'), "EW_ERR_HUB_REQUEST_INVALID");
    await injectFailsWith(hub.app, post('{"role":"viewer","extra":1}'), "EW_ERR_HUB_REQUEST_INVALID");
    await injectFailsWith(hub.app, post('{"role":'), "EW_ERR_HUB_JSON_MALFORMED");
    await injectFailsWith(hub.app, post(""), "EW_ERR_HUB_JSON_MALFORMED");
    await injectFailsWith(hub.app, post("role=viewer", "text/plain"), "EW_ERR_HUB_MEDIA_TYPE");
    const big = JSON.stringify({ role: "viewer", label: "x".repeat(DEFAULT_BODY_LIMIT) });
    await injectFailsWith(hub.app, post(big), "EW_ERR_HUB_BODY_TOO_LARGE");
    await injectFailsWith(
      hub.app,
      { method: "GET", url: "/v1/devices?limit=0", headers: hub.auth("admin") },
      "EW_ERR_HUB_REQUEST_INVALID",
    );
    assert.equal((await hub.deps.audit.reader.checkpoint()).size, 0, "no refused call was logged");
    await hub.close();
  });

  it("an unexpected error is EW_ERR_INTERNAL without its message; 503 carries Retry-After", async () => {
    const hub = await startTestHub();
    hub.app.get("/boom", { config: { auth: AUTH.public } }, () => {
      throw new Error("secret detail");
    });
    hub.app.get("/busy", { config: { auth: AUTH.public } }, () => {
      throw new EdgewardError("EW_ERR_HUB_UNAVAILABLE");
    });
    const body = await injectFailsWith(hub.app, { method: "GET", url: "/boom" }, "EW_ERR_INTERNAL");
    assert.ok(!body.message.includes("secret detail"));
    assert.ok(hub.logs.join("").includes("secret detail"), "the operator's log keeps the cause");
    const busy = await hub.app.inject({ method: "GET", url: "/busy" });
    assert.equal(busy.statusCode, 503);
    assert.equal(busy.headers["retry-after"], "5");
    await hub.close();
  });

  it("a mutating call whose audit entry cannot be written answers 503 with the log's code, never success", async () => {
    const hub = await startTestHub();
    await hub.deps.audit.close();
    const res = await injectFailsWith(
      hub.app,
      { method: "POST", url: "/v1/groups", headers: hub.auth("admin"), payload: { name: "g2" } },
      "EW_ERR_LOG_CLOSED",
    );
    assert.equal(res.code, "EW_ERR_LOG_CLOSED");
    await hub.close();
  });

  it("refuses to start with a route that declares no auth", async () => {
    const hub = await startTestHub();
    assert.throws(() => hub.app.get("/open", () => "hello"), /declares no config.auth/);
    await hub.close();
  });

  it("serves the OpenAPI document built from the route schemas, and Prometheus metrics", async () => {
    const hub = await startTestHub();
    const doc = (await hub.app.inject({ method: "GET", url: "/openapi.json" })).json<{
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    }>();
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths["/v1/devices"]?.["get"]?.security, "operator routes declare bearer auth");
    assert.ok(doc.paths["/v1/tokens"]?.["post"]?.responses["4XX"], "error answers are documented");
    for (const route of hub.app.hubRoutes)
      if (!["/metrics", "/openapi.json"].includes(route.url) && !route.url.includes("*"))
        assert.ok(doc.paths[route.url.replace(/:(\w+)/g, "{$1}")], `${route.url} is in the document`);
    await hub.app.inject({ method: "GET", url: "/v1/devices", headers: hub.auth("viewer") });
    const metrics = (await hub.app.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(metrics, /edgeward_hub_http_requests_total\{method="GET",route="\/v1\/devices",status="200"\} 1/);
    // SQLite's group commit counts its COMMITs; hub start-up (migrations, the first admin token) wrote already.
    const commits = Number(/^edgeward_hub_db_commits_total (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(commits > 0 && commits === hub.deps.store.commits, `${commits} COMMITs`);
    await hub.close();
  });
});
