// The hub's bounds on review entries and their deletion (docs/hub.md "Review entries"), through app.inject() on
// SQLite and PostgreSQL: a device past its quota of entries or bytes, or a fleet past its cap, is refused with a
// code and Retry-After (the device keeps the entry); operators and admins delete entries (viewers and publishers
// are refused), each deletion is a `review.delete` audit entry, a deleted entry is not found, a blob two entries
// share survives the first deletion, and retention removes old entries in the maintenance round (`review.expire`).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateIdentity, type wire } from "@edgeward/core";
import { injectFailsWith } from "@edgeward/testkit";
import { decodeAuditEvent } from "@edgeward/tlog";
import { runMaintenance } from "../../src/maintenance.ts";
import { DEFAULT_REVIEW_LIMITS, type ReviewLimits } from "../../src/review/index.ts";
import type { TestHub } from "../helpers/hub.ts";
import { BACKENDS, addDevice, seal, shipBody, shipRequest, startReviewHub } from "./helpers.ts";

const entryId = (n: number) => `0017776368${String(n).padStart(5, "0")}-a1b2c3d4e5f6`;

for (const [backend, open] of BACKENDS) {
  describe(`review quota and deletion on ${backend}`, () => {
    let hub: TestHub;
    let closeBackend: () => Promise<void>;
    let limits: ReviewLimits;
    const review = generateIdentity("x25519");
    const small: Buffer[] = [];
    let big: Buffer;
    let medium: Buffer;
    const ok = async (device: string, id: string, ciphertext: Buffer) => {
      const res = await hub.app.inject(shipRequest(device, shipBody(id, ciphertext)));
      assert.equal(res.statusCode, 200, res.body);
    };
    const entryUrl = (device: string, id: string) => `/v1/review/${device}/${id}`;

    before(async () => {
      for (let i = 0; i < 4; i++) small.push(await seal(Buffer.from(`flagged input ${i}`), review.recipient));
      big = await seal(Buffer.alloc(20_000, 1), review.recipient);
      medium = await seal(Buffer.alloc(9_000, 2), review.recipient);
      // Two small entries per device; `big` alone is over a device's bytes; `medium` fits a device but not the
      // fleet once the others are stored.
      limits = {
        ...DEFAULT_REVIEW_LIMITS,
        maxEntriesPerDevice: 2,
        maxBytesPerDevice: 16_000,
        maxTotalBytes: 9_000 + 3 * small[0]!.length,
        retryAfterSeconds: 120,
        retentionDays: 1,
      };
      const b = await open("reviewcap");
      closeBackend = b.close;
      hub = await startReviewHub({
        ...(b.postgres === undefined ? {} : { postgres: b.postgres }),
        deps: { review: limits },
      });
      for (const id of ["cam-1", "cam-2", "cam-3", "cam-4"]) await addDevice(hub, id);
    });
    after(async () => {
      await hub.close();
      await closeBackend();
    });

    it("refuses a device's entry past its entry quota with EW_ERR_REVIEW_QUOTA_EXCEEDED, 429 and Retry-After", async () => {
      await ok("cam-1", entryId(1), small[0]!);
      await ok("cam-1", entryId(2), small[1]!);
      const request = shipRequest("cam-1", shipBody(entryId(3), small[2]!));
      await injectFailsWith(hub.app, request, "EW_ERR_REVIEW_QUOTA_EXCEEDED");
      const refused = await hub.app.inject(request);
      assert.deepEqual([refused.statusCode, refused.headers["retry-after"]], [429, "120"]);
      // A retry of an entry already stored is acknowledged (an acknowledgement lost), quota or not.
      await ok("cam-1", entryId(2), small[1]!);
      await injectFailsWith(
        hub.app,
        { method: "GET", url: entryUrl("cam-1", entryId(3)), headers: hub.auth("admin") },
        "EW_ERR_REVIEW_ENTRY_NOT_FOUND",
      );
    });

    it("refuses an entry past the device's bytes with EW_ERR_REVIEW_QUOTA_EXCEEDED; other devices are not held back", async () => {
      assert.ok(big.length > limits.maxBytesPerDevice);
      await injectFailsWith(hub.app, shipRequest("cam-3", shipBody(entryId(1), big)), "EW_ERR_REVIEW_QUOTA_EXCEEDED");
      await ok("cam-2", entryId(1), small[3]!);
    });

    it("refuses an entry past the fleet's cap with EW_ERR_REVIEW_STORAGE_FULL, 507 and Retry-After", async () => {
      assert.ok(medium.length < limits.maxBytesPerDevice);
      const request = shipRequest("cam-4", shipBody(entryId(1), medium));
      await injectFailsWith(hub.app, request, "EW_ERR_REVIEW_STORAGE_FULL");
      const refused = await hub.app.inject(request);
      assert.deepEqual([refused.statusCode, refused.headers["retry-after"]], [507, "120"]);
    });

    it("refuses viewers and publishers the deletion with EW_ERR_HUB_FORBIDDEN, and keeps the entry", async () => {
      for (const role of ["viewer", "publisher"] as const)
        await injectFailsWith(
          hub.app,
          { method: "DELETE", url: entryUrl("cam-1", entryId(1)), headers: hub.auth(role) },
          "EW_ERR_HUB_FORBIDDEN",
        );
      const got = await hub.app.inject({
        method: "GET",
        url: entryUrl("cam-1", entryId(1)),
        headers: hub.auth("admin"),
      });
      assert.equal(got.statusCode, 200, got.body);
    });

    it("deletes an entry for an operator, audit-logged as review.delete; then it is not found and frees the quota", async () => {
      const size0 = (await hub.deps.audit.reader.checkpoint()).size;
      const res = await hub.app.inject({
        method: "DELETE",
        url: entryUrl("cam-1", entryId(1)),
        headers: hub.auth("operator"),
      });
      assert.equal(res.statusCode, 200, res.body);
      const sha256 = shipBody(entryId(1), small[0]!).sha256;
      assert.deepEqual(res.json(), { deleted: true, deviceId: "cam-1", id: entryId(1), sha256 });
      const event = decodeAuditEvent(await hub.deps.audit.reader.entry(size0));
      assert.deepEqual(
        [event.kind, event.subject, event.actor],
        ["review.delete", `cam-1/${entryId(1)}`, `token:${hub.tokens.operator.id}`],
      );
      assert.equal(event.details["blobRemoved"], true);
      assert.equal(await hub.deps.blobs.stat(sha256), undefined, "its blob is gone");
      for (const method of ["GET", "DELETE"] as const)
        await injectFailsWith(
          hub.app,
          { method, url: entryUrl("cam-1", entryId(1)), headers: hub.auth("admin") },
          "EW_ERR_REVIEW_ENTRY_NOT_FOUND",
        );
      const list = await hub.app.inject({ method: "GET", url: "/v1/review?device=cam-1", headers: hub.auth("admin") });
      assert.deepEqual(
        list.json<wire.ReviewListResponse>().entries.map((e) => e.id),
        [entryId(2)],
      );
      await ok("cam-1", entryId(3), small[2]!);
    });

    it("keeps a blob two entries share until the last of them is deleted", async () => {
      // cam-2 sends cam-1's entry 2 byte for byte (content addressing: one blob, two rows).
      await ok("cam-2", entryId(2), small[1]!);
      const sha256 = shipBody(entryId(2), small[1]!).sha256;
      const del = (device: string) =>
        hub.app.inject({ method: "DELETE", url: entryUrl(device, entryId(2)), headers: hub.auth("admin") });
      assert.equal((await del("cam-1")).statusCode, 200);
      assert.ok((await hub.deps.blobs.stat(sha256)) !== undefined, "cam-2's entry still needs the blob");
      const got = await hub.app.inject({
        method: "GET",
        url: entryUrl("cam-2", entryId(2)),
        headers: hub.auth("admin"),
      });
      assert.equal(got.statusCode, 200, got.body);
      assert.deepEqual(Buffer.from(got.json<wire.ReviewGetResponse>().ciphertext, "base64"), small[1]);
      assert.equal((await del("cam-2")).statusCode, 200);
      assert.equal(await hub.deps.blobs.stat(sha256), undefined, "the last deletion removes it");
    });

    it("removes entries older than the retention in the maintenance round, and keeps the newer ones", async () => {
      const before = await hub.app.inject({ method: "GET", url: "/v1/review", headers: hub.auth("admin") });
      const old = before.json<wire.ReviewListResponse>().entries;
      assert.ok(old.length > 0);
      hub.clock.advance(2 * 86_400_000);
      await ok("cam-4", entryId(9), small[3]!.subarray(0)); // shares cam-2's first blob: that one must stay
      const size0 = (await hub.deps.audit.reader.checkpoint()).size;
      const round = await runMaintenance(hub.deps);
      assert.equal(round.reviewEntries, old.length);
      const event = decodeAuditEvent(await hub.deps.audit.reader.entry(size0));
      assert.deepEqual(
        [event.kind, event.actor, event.details["entries"]],
        ["review.expire", "hub:maintenance", old.length],
      );
      const now = await hub.app.inject({ method: "GET", url: "/v1/review", headers: hub.auth("admin") });
      assert.deepEqual(
        now.json<wire.ReviewListResponse>().entries.map((e) => `${e.deviceId}/${e.id}`),
        [`cam-4/${entryId(9)}`],
      );
      const kept = await hub.app.inject({
        method: "GET",
        url: entryUrl("cam-4", entryId(9)),
        headers: hub.auth("admin"),
      });
      assert.equal(kept.statusCode, 200, kept.body);
      for (const e of old.filter((o) => o.sha256 !== shipBody("x", small[3]!).sha256))
        assert.equal(await hub.deps.blobs.stat(e.sha256), undefined, `${e.deviceId}/${e.id}'s blob is gone`);
      assert.deepEqual(await runMaintenance(hub.deps), { nonces: 0, reviewEntries: 0 });
    });
  });
}
