// The route × role matrix: built from the routes the app registered (every feature's), never from a hand list, so
// a route added later is covered the day it is added.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { injectFailsWith } from "@edgeward/testkit";
import { ROLES, revokeToken, type RouteInfo } from "@edgeward/hub";
import { startTestHub, type TestHub } from "./helpers/hub.ts";

/** A concrete URL for a route pattern (`:id` and the like become plausible values). */
function concrete(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => (name === "name" ? "default" : `x-${name}`));
}

function request(route: RouteInfo, headers: Record<string, string> = {}) {
  const withBody = route.method !== "GET" && route.method !== "DELETE";
  return {
    method: route.method as "GET",
    url: concrete(route.url),
    headers: withBody ? { ...headers, "content-type": "application/json" } : headers,
    ...(withBody ? { payload: "{}" } : {}),
  };
}

describe("route × role matrix", () => {
  let hub: TestHub;
  let revoked: string;
  before(async () => {
    hub = await startTestHub();
    const { createToken } = await import("@edgeward/hub");
    const t = await createToken(hub.deps.store.db, {
      role: "admin",
      label: "old",
      createdBy: null,
      now: hub.clock.now(),
    });
    await revokeToken(hub.deps.store.db, t.id, hub.clock.now());
    revoked = t.token;
  });
  after(() => hub.close());

  it("covers the operator API's routes (the matrix is not empty by accident)", () => {
    const urls = new Set(hub.app.hubRoutes.map((r) => `${r.method} ${r.url}`));
    for (const must of ["POST /v1/tokens", "GET /v1/devices", "GET /v1/hub", "POST /v1/devices/:id/quarantine"])
      assert.ok(urls.has(must), `${must} is registered`);
  });

  it("each token route answers its roles and refuses the others with EW_ERR_HUB_FORBIDDEN", async () => {
    for (const route of hub.app.hubRoutes) {
      if (route.auth.kind !== "token") continue;
      const name = `${route.method} ${route.url}`;
      for (const role of ROLES) {
        const req = request(route, hub.auth(role));
        if (route.auth.roles.includes(role)) {
          const res = await hub.app.inject(req);
          assert.ok(res.statusCode !== 401 && res.statusCode !== 403, `${role} reaches ${name}: ${res.body}`);
        } else await injectFailsWith(hub.app, req, "EW_ERR_HUB_FORBIDDEN");
      }
    }
  });

  it("each token route refuses a missing, a wrong and a revoked token with 401 and its code", async () => {
    for (const route of hub.app.hubRoutes) {
      if (route.auth.kind !== "token") continue;
      await injectFailsWith(hub.app, request(route), "EW_ERR_HUB_TOKEN_MISSING");
      await injectFailsWith(hub.app, request(route, { authorization: "Bearer ewt_wrong" }), "EW_ERR_HUB_TOKEN_INVALID");
      await injectFailsWith(hub.app, request(route, { authorization: "Basic abc" }), "EW_ERR_HUB_TOKEN_INVALID");
      await injectFailsWith(
        hub.app,
        request(route, { authorization: `Bearer ${revoked}` }),
        "EW_ERR_HUB_TOKEN_REVOKED",
      );
    }
  });

  it("public routes answer without a token", async () => {
    for (const route of hub.app.hubRoutes) {
      if (route.auth.kind !== "public") continue;
      const res = await hub.app.inject(request(route));
      assert.ok(res.statusCode < 400, `${route.method} ${route.url} answered ${res.statusCode}`);
    }
  });

  it("device routes that require a certificate refuse a request without one, even with an admin token", async () => {
    for (const route of hub.app.hubRoutes) {
      if (route.auth.kind !== "device" || route.auth.certificate !== "required") continue;
      const res = await hub.app.inject(request(route, hub.auth("admin")));
      assert.equal(res.statusCode, 401, `${route.method} ${route.url}: ${res.body}`);
    }
  });
});
