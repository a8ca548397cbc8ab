// The guard in a release through the hub's routes (app.inject): the manifest's guard checked field by field, the
// guard upload route (PUT /v1/releases/:id/guard) before the ciphertext, the release view, and the `.guard` target
// served to devices with the same Range support as the model's.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core";
import { injectFailsWith, seededRandom, tempDir, throwsWithCode } from "@edgeward/testkit";
import { parseManifest } from "../../src/releases/index.ts";
import { auditKinds, fakeModel, manifestFor, sealApart } from "./helpers.ts";
import { startReleasesHub } from "./releases-hub.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const PAYLOAD = randomBytes(3000);
const GUARD_PAYLOAD = randomBytes(2000);
const HEADER = new TextEncoder().encode("age-encryption.org/v1\n");
const GUARD = { configSha256: "c0".repeat(32), length: GUARD_PAYLOAD.length, sha256: sha256(GUARD_PAYLOAD) };

describe("release manifest: guard", () => {
  it("accepts a model manifest with a guard and keeps its fields", () => {
    assert.deepEqual(parseManifest(manifestFor(PAYLOAD, HEADER, { guard: GUARD })).guard, GUARD);
    assert.equal(parseManifest(manifestFor(PAYLOAD, HEADER)).guard, undefined);
  });

  it("when the guard is on a package, or one of its values is wrong, rejects with EW_ERR_RELEASE_INVALID", () => {
    const cases: Record<string, unknown>[] = [
      { kind: "package", guard: GUARD },
      { kind: "package", header: undefined, guard: GUARD },
      { guard: "yes" },
      { guard: [GUARD] },
      { guard: null },
      { guard: { ...GUARD, configSha256: "C0".repeat(32) } },
      { guard: { ...GUARD, configSha256: "c0".repeat(31) } },
      { guard: { ...GUARD, sha256: 7 } },
      { guard: { ...GUARD, length: -1 } },
      { guard: { ...GUARD, length: 2 ** 60 } },
      { guard: { ...GUARD, length: "2000" } },
      { guard: { configSha256: GUARD.configSha256, length: GUARD.length } },
      { guard: { ...GUARD, stages: "off" } },
      { version: "1.0.0.guard" },
    ];
    for (const fields of cases) {
      throwsWithCode(() => parseManifest(manifestFor(PAYLOAD, HEADER, fields)), "EW_ERR_RELEASE_INVALID");
    }
  });
});

describe("release manifest: guard, fuzzed", () => {
  it("guards with values swapped at random (seeded) either parse or fail with EW_ERR_RELEASE_INVALID", () => {
    const random = seededRandom(0x9a2d);
    const values = [null, 0, -1, 2.5, 2 ** 53, "", "c0".repeat(32), "C0".repeat(32), [], {}, true, GUARD.sha256];
    const keys = ["configSha256", "length", "sha256", "extra"];
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const guard: Record<string, unknown> = { ...GUARD };
      for (let k = 0; k < 1 + Math.floor(random() * 2); k++) {
        const key = keys[Math.floor(random() * keys.length)] ?? "length";
        guard[key] = random() < 0.2 ? undefined : values[Math.floor(random() * values.length)];
      }
      const kind = random() < 0.1 ? "package" : "model";
      try {
        const m = parseManifest(
          manifestFor(PAYLOAD, HEADER, { kind, guard: random() < 0.05 ? values[i % 12] : guard }),
        );
        assert.equal(m.kind, "model");
        parsed++;
      } catch (err) {
        assert.ok(isEdgewardError(err, "EW_ERR_RELEASE_INVALID"), `run ${i}: ${String(err)}`);
      }
    }
    assert.ok(parsed > 0 && parsed < 2000, `${parsed} parsed`);
  });
});

describe("release routes: guard", () => {
  it("the guard payload goes to PUT /v1/releases/:id/guard before the ciphertext; devices fetch the `.guard` target", async () => {
    using dir = tempDir();
    const { hub, escrowRecipient } = await startReleasesHub(dir.path);
    try {
      const { header, payload } = await sealApart(fakeModel(5000), escrowRecipient);
      const created = await hub.app.inject({
        method: "POST",
        url: "/v1/releases",
        headers: hub.auth("publisher"),
        payload: manifestFor(payload, header, { guard: GUARD }),
      });
      assert.equal(created.statusCode, 201, created.body);
      const view = created.json<{ id: string; uploadPath: string; guard: Record<string, unknown> }>();
      assert.deepEqual(view.guard, {
        ...GUARD,
        uploaded: false,
        target: "classifier/1.0.0.guard",
        uploadPath: `/v1/releases/${view.id}/guard`,
      });
      const put = (url: string, body: Uint8Array, contentType = "application/octet-stream") => ({
        method: "PUT" as const,
        url,
        headers: { ...hub.auth("publisher"), "content-type": contentType },
        payload: Buffer.from(body),
      });
      const guardPath = String(view.guard["uploadPath"]);
      await injectFailsWith(hub.app, put(view.uploadPath, payload), "EW_ERR_GUARD_PAYLOAD_MISSING");
      await injectFailsWith(hub.app, put(guardPath, Buffer.from("{}"), "application/json"), "EW_ERR_RELEASE_INVALID");
      await injectFailsWith(hub.app, put(guardPath, GUARD_PAYLOAD, "text/plain"), "EW_ERR_HUB_MEDIA_TYPE");
      await injectFailsWith(hub.app, put(guardPath, payload), "EW_ERR_RELEASE_DIGEST_MISMATCH");
      await injectFailsWith(
        hub.app,
        { ...put(guardPath, GUARD_PAYLOAD), headers: hub.auth("viewer") },
        "EW_ERR_HUB_FORBIDDEN",
      );
      const guarded = await hub.app.inject(put(guardPath, GUARD_PAYLOAD));
      assert.equal(guarded.statusCode, 200, guarded.body);
      const afterGuard = guarded.json<{ published: boolean; guard: { uploaded: boolean } }>();
      assert.deepEqual([afterGuard.published, afterGuard.guard.uploaded], [false, true]);
      const published = await hub.app.inject(put(view.uploadPath, payload));
      assert.equal(published.json<{ published: boolean }>().published, true);
      await injectFailsWith(hub.app, put(guardPath, GUARD_PAYLOAD), "EW_ERR_RELEASE_STATE");

      const url = `/v1/device/targets/classifier/${GUARD.sha256}.1.0.0.guard`;
      const whole = await hub.app.inject({ method: "GET", url });
      assert.equal(whole.statusCode, 200);
      assert.ok(whole.rawPayload.equals(GUARD_PAYLOAD));
      const part = await hub.app.inject({ method: "GET", url, headers: { range: "bytes=1000-" } });
      assert.equal(part.statusCode, 206);
      assert.ok(part.rawPayload.equals(GUARD_PAYLOAD.subarray(1000)));
      const wrongHash = `/v1/device/targets/classifier/${sha256(payload)}.1.0.0.guard`;
      await injectFailsWith(hub.app, { method: "GET", url: wrongHash }, "EW_ERR_TUF_TARGET_NOT_FOUND");

      assert.deepEqual(await auditKinds(hub.deps.audit.reader), [
        "release.create",
        "release.upload-guard",
        "model.publish",
        "release.upload",
      ]);
    } finally {
      await hub.close();
    }
  });

  it("a guard upload to a release without a guard answers 409 EW_ERR_GUARD_NOT_DECLARED", async () => {
    using dir = tempDir();
    const { hub, escrowRecipient } = await startReleasesHub(dir.path);
    try {
      const { header, payload } = await sealApart(fakeModel(1000), escrowRecipient);
      const created = await hub.app.inject({
        method: "POST",
        url: "/v1/releases",
        headers: hub.auth("publisher"),
        payload: manifestFor(payload, header),
      });
      const view = created.json<{ id: string; guard?: unknown }>();
      assert.equal(view.guard, undefined);
      const req = {
        method: "PUT" as const,
        url: `/v1/releases/${view.id}/guard`,
        headers: { ...hub.auth("publisher"), "content-type": "application/octet-stream" },
        payload: GUARD_PAYLOAD,
      };
      await injectFailsWith(hub.app, req, "EW_ERR_GUARD_NOT_DECLARED");
      assert.equal((await hub.app.inject(req)).statusCode, 409);
      await injectFailsWith(
        hub.app,
        {
          method: "POST",
          url: "/v1/releases",
          headers: hub.auth("publisher"),
          payload: manifestFor(payload, header, { version: "2", kind: "package", guard: GUARD }),
        },
        "EW_ERR_RELEASE_INVALID",
      );
    } finally {
      await hub.close();
    }
  });
});
