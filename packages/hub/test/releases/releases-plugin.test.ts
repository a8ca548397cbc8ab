// The release routes in the hub app (app.inject, no socket): publish by manifest and streamed ciphertext, list,
// rollout, and the device routes a real tuf-js client reads the repository and downloads targets through.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { BaseFetcher, Updater } from "tuf-js";
import { DownloadHTTPError } from "tuf-js/dist/error.js";
import { injectFailsWith, tempDir } from "@edgeward/testkit";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { auditKinds, fakeModel, manifestFor, sealApart } from "./helpers.ts";
import { startReleasesHub } from "./releases-hub.ts";

async function publish(hub: TestHub, escrowRecipient: string, payloadSize = 150_000) {
  const { header, payload } = await sealApart(fakeModel(payloadSize), escrowRecipient);
  const created = await hub.app.inject({
    method: "POST",
    url: "/v1/releases",
    headers: hub.auth("publisher"),
    payload: manifestFor(payload, header),
  });
  assert.equal(created.statusCode, 201, created.body);
  const release = created.json<{ id: string; uploadPath: string; published: boolean }>();
  assert.equal(release.published, false);
  const uploaded = await hub.app.inject({
    method: "PUT",
    url: release.uploadPath,
    headers: { ...hub.auth("publisher"), "content-type": "application/octet-stream" },
    payload,
  });
  assert.equal(uploaded.statusCode, 200, uploaded.body);
  return { id: release.id, payload, header, view: uploaded.json<Record<string, unknown>>() };
}

/** A tuf-js fetcher that goes through the app's routes. */
class InjectFetcher extends BaseFetcher {
  readonly #app: FastifyInstance;
  constructor(app: FastifyInstance) {
    super();
    this.#app = app;
  }
  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const res = await this.#app.inject({ method: "GET", url: new URL(url).pathname });
    if (res.statusCode !== 200) throw new DownloadHTTPError(`HTTP ${res.statusCode}`, res.statusCode);
    const body = new Uint8Array(res.rawPayload);
    return new ReadableStream({
      start(controller) {
        controller.enqueue(body);
        controller.close();
      },
    });
  }
}

describe("release routes", () => {
  it("a publisher posts the manifest and streams the ciphertext; every role lists it; a rollout is audited", async () => {
    using dir = tempDir();
    const { hub, escrowRecipient } = await startReleasesHub(dir.path);
    try {
      const { id, view } = await publish(hub, escrowRecipient);
      assert.equal(view["published"], true);
      const listed = await hub.app.inject({ method: "GET", url: "/v1/releases", headers: hub.auth("viewer") });
      assert.deepEqual(
        listed.json<{ id: string }[]>().map((r) => r.id),
        [id],
      );
      await injectFailsWith(
        hub.app,
        { method: "POST", url: "/v1/releases", headers: hub.auth("viewer"), payload: {} },
        "EW_ERR_HUB_FORBIDDEN",
      );
      const rolled = await hub.app.inject({
        method: "POST",
        url: `/v1/releases/${id}/rollout`,
        headers: hub.auth("operator"),
        payload: { groups: ["shop"] },
      });
      assert.equal(rolled.statusCode, 403);
      const byAdmin = await hub.app.inject({
        method: "POST",
        url: `/v1/releases/${id}/rollout`,
        headers: hub.auth("admin"),
        payload: { groups: ["shop", "factory"] },
      });
      assert.deepEqual(byAdmin.json<{ groups: string[] }>().groups, ["shop", "factory"]);
      assert.deepEqual(await auditKinds(hub.deps.audit.reader), [
        "release.create",
        "model.publish",
        "release.upload",
        "release.rollout",
      ]);
      await injectFailsWith(
        hub.app,
        { method: "GET", url: "/v1/releases/nope", headers: hub.auth("viewer") },
        "EW_ERR_RELEASE_NOT_FOUND",
      );
    } finally {
      await hub.close();
    }
  });

  it("a tuf-js client with only the initial root reads the repository through the device routes and downloads the target", async () => {
    using dir = tempDir();
    const { hub, escrowRecipient } = await startReleasesHub(dir.path);
    try {
      const { id, payload } = await publish(hub, escrowRecipient);
      const metadataDir = join(dir.path, "metadata");
      const targetDir = join(dir.path, "targets");
      await mkdir(metadataDir);
      await mkdir(targetDir);
      const root = await hub.app.inject({ method: "GET", url: "/v1/device/tuf/1.root.json" });
      await writeFile(join(metadataDir, "root.json"), root.rawPayload);
      const updater = new Updater({
        metadataDir,
        metadataBaseUrl: "https://hub.test/v1/device/tuf/",
        targetDir,
        targetBaseUrl: "https://hub.test/v1/device/targets/",
        fetcher: new InjectFetcher(hub.app),
      });
      const info = await updater.getTargetInfo("classifier/1.0.0");
      assert.equal(info?.custom["releaseId"], id);
      const path = await updater.downloadTarget(info, join(targetDir, "model.age.payload"));
      assert.ok((await readFile(path)).equals(payload));
    } finally {
      await hub.close();
    }
  });

  it("serves byte ranges of a target for resumed downloads, and refuses ranges outside it with 416", async () => {
    using dir = tempDir();
    const { hub, escrowRecipient } = await startReleasesHub(dir.path);
    try {
      const { payload, view } = await publish(hub, escrowRecipient);
      const url = `/v1/device/targets/classifier/${String(view["sha256"])}.1.0.0`;
      const part = await hub.app.inject({ method: "GET", url, headers: { range: "bytes=100000-" } });
      assert.equal(part.statusCode, 206);
      assert.equal(part.headers["content-range"], `bytes 100000-${payload.length - 1}/${payload.length}`);
      assert.ok(part.rawPayload.equals(payload.subarray(100000)));
      const suffix = await hub.app.inject({ method: "GET", url, headers: { range: "bytes=-10" } });
      assert.ok(suffix.rawPayload.equals(payload.subarray(-10)));
      const whole = await hub.app.inject({ method: "GET", url });
      assert.equal(whole.statusCode, 200);
      assert.equal(whole.headers["accept-ranges"], "bytes");
      assert.ok(whole.rawPayload.equals(payload));
      const beyond = { method: "GET" as const, url, headers: { range: `bytes=${payload.length}-` } };
      await injectFailsWith(hub.app, beyond, "EW_ERR_RANGE_NOT_SATISFIABLE");
      assert.equal((await hub.app.inject(beyond)).headers["content-range"], `bytes */${payload.length}`);
      const otherHash = `/v1/device/targets/classifier/${"0".repeat(64)}.1.0.0`;
      await injectFailsWith(hub.app, { method: "GET", url: otherHash }, "EW_ERR_TUF_TARGET_NOT_FOUND");
      await injectFailsWith(
        hub.app,
        { method: "GET", url: "/v1/device/tuf/1.evil.json" },
        "EW_ERR_TUF_METADATA_NOT_FOUND",
      );
    } finally {
      await hub.close();
    }
  });

  it("refuses an upload that is not an octet stream or runs past the declared length, and a device without a certificate", async () => {
    using dir = tempDir();
    const { hub, escrowRecipient } = await startReleasesHub(dir.path, false);
    try {
      const { header, payload } = await sealApart(fakeModel(1000), escrowRecipient);
      const created = await hub.app.inject({
        method: "POST",
        url: "/v1/releases",
        headers: hub.auth("publisher"),
        payload: manifestFor(payload, header),
      });
      const { uploadPath } = created.json<{ uploadPath: string }>();
      const put = (contentType: string, body: Buffer) => ({
        method: "PUT" as const,
        url: uploadPath,
        headers: { ...hub.auth("publisher"), "content-type": contentType },
        payload: body,
      });
      await injectFailsWith(hub.app, put("application/json", Buffer.from("{}")), "EW_ERR_RELEASE_INVALID");
      await injectFailsWith(hub.app, put("text/plain", Buffer.from("x")), "EW_ERR_HUB_MEDIA_TYPE");
      await injectFailsWith(
        hub.app,
        put("application/octet-stream", Buffer.concat([payload, Buffer.alloc(10)])),
        "EW_ERR_RELEASE_DIGEST_MISMATCH",
      );
      const withParameter = await hub.app.inject(put("application/octet-stream; charset=binary", payload));
      assert.equal(withParameter.statusCode, 200, withParameter.body);
      await injectFailsWith(
        hub.app,
        { method: "GET", url: "/v1/device/tuf/timestamp.json" },
        "EW_ERR_HUB_DEVICE_CERT_REQUIRED",
      );
    } finally {
      await hub.close();
    }
  });

  it("without a releases service the routes answer EW_ERR_TUF_NOT_INITIALISED", async () => {
    const hub = await startTestHub();
    try {
      await injectFailsWith(
        hub.app,
        { method: "GET", url: "/v1/releases", headers: hub.auth("viewer") },
        "EW_ERR_TUF_NOT_INITIALISED",
      );
    } finally {
      await hub.close();
    }
  });
});
