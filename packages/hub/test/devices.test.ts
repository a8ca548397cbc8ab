import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { injectFailsWith } from "@edgeward/testkit";
import { decodeAuditEvent } from "@edgeward/tlog";
import { insertDevice, updateDevice, getDevice } from "@edgeward/hub";
import { DatabaseDeviceStore } from "../src/device/index.ts";
import { startTestHub, type TestHub } from "./helpers/hub.ts";

async function addDevice(hub: TestHub, id: string): Promise<void> {
  const now = hub.clock.now().toISOString();
  await insertDevice(hub.deps.store.db, {
    id,
    group_name: "default",
    state: "pending",
    ek_sha256: null,
    ak_name: null,
    ak_public: null,
    unwrap_public: null,
    recipient: null,
    facts: "{}",
    created_at: now,
    updated_at: now,
    last_seen_at: null,
    last_attest_at: null,
    last_result: null,
    last_pass_at: null,
    next_attest_at: null,
  });
}

describe("operator device actions", () => {
  it("walks pending → trusted → quarantined → trusted → revoked, refusing the other moves", async () => {
    const hub = await startTestHub();
    await addDevice(hub, "cam-1");
    const act = (action: string, role: "operator" | "viewer" = "operator") => ({
      method: "POST" as const,
      url: `/v1/devices/cam-1/${action}`,
      headers: hub.auth(role),
      payload: { reason: `test ${action}` },
    });
    await injectFailsWith(hub.app, act("release"), "EW_ERR_HUB_DEVICE_STATE");
    await injectFailsWith(hub.app, act("approve", "viewer"), "EW_ERR_HUB_FORBIDDEN");
    for (const [action, state] of [
      ["approve", "trusted"],
      ["quarantine", "quarantined"],
      ["release", "trusted"],
      ["revoke", "revoked"],
    ] as const) {
      const res = await hub.app.inject(act(action));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json<{ state: string }>().state, state);
    }
    for (const action of ["approve", "quarantine", "release", "revoke"])
      await injectFailsWith(hub.app, act(action), "EW_ERR_HUB_DEVICE_STATE");
    await injectFailsWith(
      hub.app,
      { method: "POST", url: "/v1/devices/none/approve", headers: hub.auth("admin"), payload: {} },
      "EW_ERR_HUB_DEVICE_NOT_FOUND",
    );
    const size = (await hub.deps.audit.reader.checkpoint()).size;
    const last = decodeAuditEvent(await hub.deps.audit.reader.entry(size - 1));
    assert.equal(last.kind, "device.revoke");
    assert.equal(last.subject, "cam-1");
    assert.equal(last.actor, `token:${hub.tokens.operator.id}`);
    assert.equal(last.details["reason"], "test revoke");
    await hub.close();
  });

  it("shows a trusted device that missed its attestation as timeout, from stored times (survives restarts)", async () => {
    const hub = await startTestHub();
    await addDevice(hub, "cam-2");
    const d = await getDevice(hub.deps.store.db, "cam-2");
    const next = new Date(hub.clock.now().getTime() + 60_000).toISOString();
    await updateDevice(
      hub.deps.store.db,
      "cam-2",
      d.version,
      { state: "trusted", last_result: "pass", next_attest_at: next },
      hub.clock.now(),
    );
    const show = async () =>
      (await hub.app.inject({ method: "GET", url: "/v1/devices/cam-2", headers: hub.auth("viewer") })).json<{
        attestation: string;
      }>();
    assert.equal((await show()).attestation, "pass");
    hub.clock.advance(120_000);
    assert.equal((await show()).attestation, "timeout");
    const list = await hub.app.inject({ method: "GET", url: "/v1/devices?state=trusted", headers: hub.auth("viewer") });
    assert.deepEqual(
      list.json<{ id: string }[]>().map((x) => x.id),
      ["cam-2"],
    );
    await hub.close();
  });
});

describe("operator groups", () => {
  it("creates a group with the default policy filled in, edits it with a version, and refuses bad policies", async () => {
    const hub = await startTestHub();
    const create = await hub.app.inject({
      method: "POST",
      url: "/v1/groups",
      headers: hub.auth("operator"),
      payload: { name: "line-a", policy: { autoApprove: true, reference: { sha256: { "7": ["ab".repeat(32)] } } } },
    });
    assert.equal(create.statusCode, 201, create.body);
    const g = create.json<{ version: number; policy: { autoApprove: boolean; freshnessMs: number } }>();
    assert.equal(g.policy.autoApprove, true);
    assert.equal(g.policy.freshnessMs, 600_000, "a pass is fresh for 10 minutes by default");
    const put = (policy: unknown, version?: number) => ({
      method: "PUT" as const,
      url: "/v1/groups/line-a/policy",
      headers: hub.auth("operator"),
      payload: version === undefined ? { policy } : { policy, version },
    });
    assert.equal((await hub.app.inject(put({ learn: true }, g.version))).statusCode, 200);
    await injectFailsWith(hub.app, put({ learn: false }, g.version), "EW_ERR_HUB_CONFLICT");
    await injectFailsWith(hub.app, put({ attestPcrs: "sha256:99" }), "EW_ERR_HUB_REQUEST_INVALID");
    await injectFailsWith(hub.app, put({ reference: { sha256: { "7": ["nothex"] } } }), "EW_ERR_HUB_REQUEST_INVALID");
    await injectFailsWith(hub.app, put({ freshnessMs: 5_000, attestIntervalMs: 60_000 }), "EW_ERR_HUB_POLICY_INVALID");
    await injectFailsWith(
      hub.app,
      { method: "POST", url: "/v1/groups", headers: hub.auth("operator"), payload: { name: "line-a" } },
      "EW_ERR_HUB_GROUP_EXISTS",
    );
    await injectFailsWith(
      hub.app,
      { method: "POST", url: "/v1/enrol-tokens", headers: hub.auth("operator"), payload: { group: "nope" } },
      "EW_ERR_HUB_GROUP_NOT_FOUND",
    );
    await hub.close();
  });
});

describe("maintenance", () => {
  it("purges nonces only once they are past the retention, so a recent replay still reads as used", async () => {
    const hub = await startTestHub();
    const { issueNonce, spendNonce } = await import("@edgeward/hub");
    const { runMaintenance, NONCE_RETENTION_MS } = await import("../src/maintenance.ts");
    const now = hub.clock.now();
    await issueNonce(hub.deps.store.db, {
      nonce: "n",
      deviceId: "d",
      purpose: "attest",
      data: "{}",
      now,
      expiresAt: new Date(now.getTime() + 60_000),
    });
    assert.equal((await spendNonce(hub.deps.store.db, "n", now)).status, "ok");
    hub.clock.advance(60_000 + NONCE_RETENTION_MS - 1000);
    assert.deepEqual(await runMaintenance(hub.deps), { nonces: 0 });
    assert.equal((await spendNonce(hub.deps.store.db, "n", hub.clock.now())).status, "used");
    hub.clock.advance(2000);
    assert.deepEqual(await runMaintenance(hub.deps), { nonces: 1 });
    await hub.close();
  });
});

// The latest audit report a device sent (ARCHITECTURE.md flows 7 "Audit"), stored the way POST /v1/device/audit
// stores it, through the device store.
describe("GET /v1/devices/:id/audit", () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub();
    await addDevice(hub, "cam-1");
    await addDevice(hub, "cam-2");
  });
  after(() => hub.close());

  it("answers the latest report a device sent, to a viewer", async () => {
    const store = new DatabaseDeviceStore(hub.deps.store.db);
    await store.putAuditReport("cam-1", "2026-05-01T11:00:00.000Z", { version: 1, ok: false, checks: [] });
    await store.putAuditReport("cam-1", "2026-05-01T12:00:00.000Z", { version: 1, ok: true, checks: [{ id: "x" }] });
    const res = await hub.app.inject({ method: "GET", url: "/v1/devices/cam-1/audit", headers: hub.auth("viewer") });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      deviceId: "cam-1",
      at: "2026-05-01T12:00:00.000Z",
      report: { version: 1, ok: true, checks: [{ id: "x" }] },
    });
  });

  it("answers 404 with EW_ERR_HUB_AUDIT_NOT_FOUND when the device sent none", async () => {
    const request = { method: "GET" as const, url: "/v1/devices/cam-2/audit", headers: hub.auth("viewer") };
    await injectFailsWith(hub.app, request, "EW_ERR_HUB_AUDIT_NOT_FOUND");
    assert.equal((await hub.app.inject(request)).statusCode, 404);
  });

  it("answers EW_ERR_HUB_DEVICE_NOT_FOUND for an unknown device, and 401 without a token", async () => {
    await injectFailsWith(
      hub.app,
      { method: "GET", url: "/v1/devices/none/audit", headers: hub.auth("admin") },
      "EW_ERR_HUB_DEVICE_NOT_FOUND",
    );
    await injectFailsWith(hub.app, { method: "GET", url: "/v1/devices/cam-1/audit" }, "EW_ERR_HUB_TOKEN_MISSING");
  });
});
