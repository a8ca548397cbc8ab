import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { injectFailsWith } from "@edgeward/testkit";
import { decodeAuditEvent } from "@edgeward/tlog";
import { startTestHub } from "./helpers/hub.ts";

describe("operator tokens", () => {
  it("an admin creates a token that works at once, and revoking it refuses it at once", async () => {
    const hub = await startTestHub();
    const res = await hub.app.inject({
      method: "POST",
      url: "/v1/tokens",
      headers: hub.auth("admin"),
      payload: { role: "viewer" },
    });
    assert.equal(res.statusCode, 201);
    const created = res.json<{ id: string; token: string; role: string }>();
    const bearer = { authorization: `Bearer ${created.token}` };
    assert.equal((await hub.app.inject({ method: "GET", url: "/v1/devices", headers: bearer })).statusCode, 200);
    await injectFailsWith(
      hub.app,
      { method: "POST", url: "/v1/tokens", headers: bearer, payload: { role: "admin" } },
      "EW_ERR_HUB_FORBIDDEN",
    );
    const list = (await hub.app.inject({ method: "GET", url: "/v1/tokens", headers: hub.auth("admin") })).body;
    assert.ok(!list.includes(created.token), "a listing never shows a secret");
    const rev = await hub.app.inject({
      method: "POST",
      url: `/v1/tokens/${created.id}/revoke`,
      headers: hub.auth("admin"),
    });
    assert.equal(rev.statusCode, 200);
    await injectFailsWith(hub.app, { method: "GET", url: "/v1/devices", headers: bearer }, "EW_ERR_HUB_TOKEN_REVOKED");
    await injectFailsWith(
      hub.app,
      { method: "POST", url: "/v1/tokens/tok_0123456789abcdef/revoke", headers: hub.auth("admin") },
      "EW_ERR_HUB_TOKEN_NOT_FOUND",
    );
    await hub.close();
  });

  it("every mutating call is an audit-log entry naming the calling token's id; reads are not", async () => {
    const hub = await startTestHub();
    const before = hub.deps.audit.reader;
    const size0 = (await before.checkpoint()).size;
    await hub.app.inject({ method: "GET", url: "/v1/tokens", headers: hub.auth("admin") });
    await hub.app.inject({
      method: "POST",
      url: "/v1/tokens",
      headers: hub.auth("admin"),
      payload: { role: "operator" },
    });
    await injectFailsWith(
      hub.app,
      { method: "POST", url: "/v1/tokens", headers: hub.auth("admin"), payload: { role: "root" } },
      "EW_ERR_HUB_REQUEST_INVALID",
    );
    const cp = await hub.deps.audit.reader.checkpoint();
    assert.equal(cp.size, size0 + 1, "one entry: the successful create");
    const event = decodeAuditEvent(await hub.deps.audit.reader.entry(size0));
    assert.equal(event.actor, `token:${hub.tokens.admin.id}`);
    assert.equal(event.kind, "token.create");
    assert.match(event.subject, /^token:tok_[0-9a-f]{16}$/);
    await hub.close();
  });

  it("the logs never contain a token, even one sent in a header or a body", async () => {
    const hub = await startTestHub();
    await hub.app.inject({
      method: "POST",
      url: "/v1/tokens",
      headers: hub.auth("admin"),
      payload: { role: "viewer" },
    });
    hub.deps.logger.info({ token: hub.tokens.viewer.token, nested: { nonce: "00ff" } }, "probe");
    const text = hub.logs.join("");
    assert.ok(text.includes("probe"));
    for (const role of ["admin", "viewer"] as const) assert.ok(!text.includes(hub.tokens[role].token));
    assert.ok(!text.includes("00ff"));
    await hub.close();
  });
});
