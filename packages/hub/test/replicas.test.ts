// Two real `edgeward hub serve` processes on one PostgreSQL behave as one hub (ARCHITECTURE.md, hub): one audit log
// both append to, a revocation effective on the other at once, no lost update, and every nonce single-use across them.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, startPostgres, startServe, tempDir } from "@edgeward/testkit";
import { LogReader, PostgresStore, auditLog, decodeAuditEvent } from "@edgeward/tlog";
import { HubStore, initHub, insertDevice } from "@edgeward/hub";
import { httpsJson } from "./helpers/https.ts";

describe("two serve processes on one PostgreSQL", () => {
  it("share one consistent audit log, revocations, optimistic updates and single-use nonces", async () => {
    await using pg = await startPostgres();
    using dir = tempDir("edgeward-replicas-");
    const hubDir = join(dir.path, "hub");
    const init = await initHub({ dir: hubDir, postgres: pg.url, now: new Date() });
    // A second hub directory on the same database is refused before it writes a key, so the first stays whole.
    const other = join(dir.path, "other");
    await rejectsWithCode(initHub({ dir: other, postgres: pg.url, now: new Date() }), "EW_ERR_HUB_DIR_EXISTS");
    assert.ok(!existsSync(join(other, "ca", "ca.key")), "no secret was written");
    const ca = readFileSync(init.caCertificate, "utf8");
    const [a, b] = await Promise.all([0, 1].map(() => startServe(["--dir", hubDir, "--listen", "127.0.0.1:0"])));
    try {
      const call = (url: string, method: string, path: string, body?: unknown, token = init.adminToken) =>
        httpsJson(`${url}${path}`, { ca, method, headers: { authorization: `Bearer ${token}` }, body });

      // Audit entries from both replicas, written at the same time, land in one log.
      const before = JSON.parse((await call(a!.url, "GET", "/v1/log/checkpoint")).body) as { size: number };
      const writes = Array.from({ length: 24 }, (_, i) =>
        call(i % 2 === 0 ? a!.url : b!.url, "POST", "/v1/enrol-tokens", {}),
      );
      for (const r of await Promise.all(writes)) assert.equal(r.status, 201, r.body);
      const after = JSON.parse((await call(b!.url, "GET", "/v1/log/checkpoint")).body) as { size: number };
      assert.equal(after.size, before.size + 24, "every write is one entry, none lost, none doubled");
      const store = new PostgresStore(pg.url);
      try {
        const report = await auditLog(store, { vkey: init.logVerifierKey });
        assert.ok(report.ok, JSON.stringify(report));
        assert.equal(report.treeSize, after.size, "every checkpoint both replicas signed extends the one before");
        const reader = await LogReader.open(store);
        const actors = new Set<string>();
        for (let i = before.size; i < after.size; i++) actors.add(decodeAuditEvent(await reader.entry(i)).actor);
        assert.deepEqual([...actors], [`token:${init.adminTokenId}`]);
      } finally {
        await store.close();
      }

      // A token made and revoked on A is refused by B at once.
      const made = JSON.parse((await call(a!.url, "POST", "/v1/tokens", { role: "viewer" })).body) as {
        id: string;
        token: string;
      };
      assert.equal((await call(b!.url, "GET", "/v1/devices", undefined, made.token)).status, 200);
      assert.equal((await call(a!.url, "POST", `/v1/tokens/${made.id}/revoke`, {})).status, 200);
      const refused = await call(b!.url, "GET", "/v1/devices", undefined, made.token);
      assert.equal((JSON.parse(refused.body) as { code: string }).code, "EW_ERR_HUB_TOKEN_REVOKED");

      // Two policy edits from the same read, one per replica: one wins, the other is told, none is lost.
      const g = JSON.parse((await call(a!.url, "GET", "/v1/groups/default")).body) as { version: number };
      const edits = await Promise.all(
        [a!, b!].map((s, i) =>
          call(s.url, "PUT", "/v1/groups/default/policy", { policy: { learn: i === 0 }, version: g.version }),
        ),
      );
      assert.deepEqual(edits.map((e) => e.status).sort(), [200, 409]);

      // A nonce issued by A is spent once across both: the same quote sent to A and B at once gets past the nonce on
      // exactly one of them; the other, and any replay, is told the nonce is unknown.
      const db = await HubStore.open({ postgres: pg.url });
      try {
        const now = new Date().toISOString();
        await insertDevice(db.db, {
          id: "cam-9",
          group_name: "default",
          state: "trusted",
          ek_sha256: "00".repeat(32),
          ak_name: "000b" + "11".repeat(32),
          ak_public: "22".repeat(40),
          unwrap_public: null,
          recipient: "age1tag1test",
          facts: '{"enrolledVia":"token","unwrapPolicyDigest":""}',
          created_at: now,
          updated_at: now,
          last_seen_at: null,
          last_attest_at: null,
          last_result: null,
          last_pass_at: null,
          next_attest_at: null,
        });
      } finally {
        await db.close();
      }
      const device = (url: string, path: string, body: unknown) =>
        httpsJson(`${url}${path}`, { ca, method: "POST", body });
      const challenge = await device(a!.url, "/v1/device/attest/challenge", { deviceId: "cam-9", banks: ["sha256"] });
      assert.equal(challenge.status, 200, challenge.body);
      const { nonce } = JSON.parse(challenge.body) as { nonce: string };
      const quote = {
        deviceId: "cam-9",
        nonce,
        quote: { attest: Buffer.from("not a quote").toString("base64"), signature: "AAAA" },
        pcrs: { sha256: { "0": "00".repeat(32) } },
      };
      const codes = (await Promise.all([a!, b!].map((s) => device(s.url, "/v1/device/attest/quote", quote)))).map(
        (r) => (JSON.parse(r.body) as { code: string }).code,
      );
      assert.equal(codes.filter((c) => c === "EW_ERR_DEVICE_NONCE_UNKNOWN").length, 1, codes.join(" "));
      assert.match(codes.find((c) => c !== "EW_ERR_DEVICE_NONCE_UNKNOWN") ?? "", /^EW_ERR_/);
      const replay = await device(b!.url, "/v1/device/attest/quote", quote);
      assert.equal((JSON.parse(replay.body) as { code: string }).code, "EW_ERR_DEVICE_NONCE_UNKNOWN");
    } finally {
      assert.equal(await a!.stop(), 0);
      assert.equal(await b!.stop(), 0);
    }
  });
});
