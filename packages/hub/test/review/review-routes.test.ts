// Review shipping on the hub (docs/guard.md "Review queue"), through app.inject() on SQLite and PostgreSQL: a device
// sends a sealed entry, operators list and download it, the `age` CLI opens it with the review identity. inject()
// has no TLS socket, so the device's identity comes from a header read by `headerDeviceAuthMock` (a test double
// for the mTLS peer check) followed by the hub's real deny list over the real device table; the real mTLS path runs
// in packages/cli/test/agent-review-shipping.test.ts.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateIdentity, wire } from "@edgeward/core";
import { filesHolding, injectFailsWith, tempDir } from "@edgeward/testkit";
import type { TestHub } from "../helpers/hub.ts";
import { BACKENDS, addDevice, seal, shipBody, shipRequest, startReviewHub } from "./helpers.ts";

const PLAINTEXT = Buffer.from("a flagged input that must never be stored in the clear: 7f3a9c");

for (const [backend, open] of BACKENDS) {
  describe(`review shipping on ${backend}`, () => {
    let hub: TestHub;
    let closeBackend: () => Promise<void>;
    const review = generateIdentity("x25519");
    const dir = tempDir("edgeward-review-");
    let ciphertext: Buffer;
    const id = "001777636800000-a1b2c3d4e5f6";
    const ship = shipRequest;

    before(async () => {
      const b = await open("review");
      closeBackend = b.close;
      hub = await startReviewHub(b.postgres === undefined ? {} : { postgres: b.postgres });
      await addDevice(hub, "cam-1");
      await addDevice(hub, "cam-2");
      await addDevice(hub, "cam-gone", "revoked");
      ciphertext = await seal(PLAINTEXT, review.recipient);
    });
    after(async () => {
      await hub.close();
      await closeBackend();
      dir[Symbol.dispose]();
    });

    it("stores a sealed entry and acknowledges its id and SHA-256; a retry of the same entry is acknowledged again", async () => {
      const body = shipBody(id, ciphertext);
      for (let i = 0; i < 2; i++) {
        const res = await hub.app.inject(ship("cam-1", body));
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json(), { stored: true, id, sha256: body.sha256 });
      }
    });

    it("lists entries to operators and admins, per device, and downloads one that the age CLI opens", async () => {
      for (const role of ["operator", "admin"] as const) {
        const res = await hub.app.inject({ method: "GET", url: "/v1/review?device=cam-1", headers: hub.auth(role) });
        assert.equal(res.statusCode, 200, res.body);
        const { entries } = res.json<wire.ReviewListResponse>();
        assert.equal(entries.length, 1);
        assert.equal(entries[0]?.id, id);
        assert.equal(entries[0]?.length, ciphertext.length);
      }
      const none = await hub.app.inject({ method: "GET", url: "/v1/review?device=cam-2", headers: hub.auth("admin") });
      assert.deepEqual(none.json(), { entries: [] });
      const got = await hub.app.inject({ method: "GET", url: `/v1/review/cam-1/${id}`, headers: hub.auth("operator") });
      assert.equal(got.statusCode, 200, got.body);
      const file = join(dir.path, "entry.age");
      writeFileSync(file, Buffer.from(got.json<wire.ReviewGetResponse>().ciphertext, "base64"));
      const keyFile = join(dir.path, "review.key");
      writeFileSync(keyFile, review.identityText);
      assert.deepEqual(execFileSync("age", ["-d", "-i", keyFile, file]), PLAINTEXT);
    });

    it("refuses viewers and publishers the list and the download with EW_ERR_HUB_FORBIDDEN", async () => {
      for (const role of ["viewer", "publisher"] as const) {
        await injectFailsWith(
          hub.app,
          { method: "GET", url: "/v1/review", headers: hub.auth(role) },
          "EW_ERR_HUB_FORBIDDEN",
        );
        const url = `/v1/review/cam-1/${id}`;
        await injectFailsWith(hub.app, { method: "GET", url, headers: hub.auth(role) }, "EW_ERR_HUB_FORBIDDEN");
      }
    });

    it("keeps only ciphertext: no stored file holds the plaintext", () => {
      const blobs = hub.deps.blobs.dir;
      assert.deepEqual(filesHolding([blobs], PLAINTEXT.subarray(0, 32)), []);
      assert.ok(filesHolding([blobs], ciphertext.subarray(0, 32)).length === 1, "the ciphertext is stored once");
    });

    it("refuses bytes that are not an age file with EW_ERR_REVIEW_ENTRY_INVALID (the hub takes no plaintext)", async () => {
      await injectFailsWith(
        hub.app,
        ship("cam-1", shipBody("001777636800001-a1b2c3d4e5f6", PLAINTEXT)),
        "EW_ERR_REVIEW_ENTRY_INVALID",
      );
    });

    it("refuses a SHA-256 that is not the ciphertext's with EW_ERR_REVIEW_ENTRY_INVALID, storing nothing", async () => {
      const other = "001777636800002-a1b2c3d4e5f6";
      await injectFailsWith(
        hub.app,
        ship("cam-1", shipBody(other, ciphertext, "0".repeat(64))),
        "EW_ERR_REVIEW_ENTRY_INVALID",
      );
      const url = `/v1/review/cam-1/${other}`;
      await injectFailsWith(
        hub.app,
        { method: "GET", url, headers: hub.auth("admin") },
        "EW_ERR_REVIEW_ENTRY_NOT_FOUND",
      );
    });

    it("refuses another entry under an id already stored with EW_ERR_REVIEW_ENTRY_CONFLICT", async () => {
      const other = await seal(Buffer.from("another input"), review.recipient);
      await injectFailsWith(hub.app, ship("cam-1", shipBody(id, other)), "EW_ERR_REVIEW_ENTRY_CONFLICT");
    });

    it("keeps devices apart: the same id from another device is another entry", async () => {
      const res = await hub.app.inject(ship("cam-2", shipBody(id, ciphertext)));
      assert.equal(res.statusCode, 200, res.body);
      const list = await hub.app.inject({ method: "GET", url: "/v1/review", headers: hub.auth("admin") });
      assert.equal(list.json<wire.ReviewListResponse>().entries.length, 2);
    });

    it("refuses bad bodies with EW_ERR_HUB_REQUEST_INVALID: a bad id, no ciphertext, an extra field, not base64", async () => {
      const good = shipBody(id, ciphertext);
      for (const bad of [
        { ...good, id: "../../etc/passwd" },
        { id: good.id, sha256: good.sha256 },
        { ...good, plaintext: "x" },
        { ...good, ciphertext: "not base64!" },
      ])
        await injectFailsWith(hub.app, ship("cam-1", bad), "EW_ERR_HUB_REQUEST_INVALID");
    });

    it("refuses an entry over the wire limit with EW_ERR_HUB_BODY_TOO_LARGE before parsing it", async () => {
      const request = {
        ...ship("cam-1", {}),
        payload: `{"id":"${id}","sha256":"${"0".repeat(64)}","ciphertext":"${"A".repeat(wire.MAX_REVIEW_BODY_BYTES)}"}`,
      };
      await injectFailsWith(hub.app, request, "EW_ERR_HUB_BODY_TOO_LARGE");
    });

    it("refuses an unknown device with EW_ERR_DEVICE_UNKNOWN and a revoked one with EW_ERR_DEVICE_REVOKED", async () => {
      const body = shipBody("001777636800003-a1b2c3d4e5f6", ciphertext);
      await injectFailsWith(hub.app, ship("cam-nobody", body), "EW_ERR_DEVICE_UNKNOWN");
      await injectFailsWith(hub.app, ship("cam-gone", body), "EW_ERR_DEVICE_REVOKED");
    });

    it("answers EW_ERR_REVIEW_ENTRY_NOT_FOUND for an entry never sent", async () => {
      const url = "/v1/review/cam-1/001777636899999-a1b2c3d4e5f6";
      await injectFailsWith(
        hub.app,
        { method: "GET", url, headers: hub.auth("admin") },
        "EW_ERR_REVIEW_ENTRY_NOT_FOUND",
      );
    });
  });
}
