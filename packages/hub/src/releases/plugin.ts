/**
 * Release routes (ARCHITECTURE.md, flows 1 and 4). Operators: a publisher posts the manifest, then streams the
 * ciphertext (and, for a release with a guard, the guard payload first) with PUT (no whole-body buffering, so a 256 MiB model costs the hub a 64 KiB chunk at a time); every
 * role lists releases; publishers change a rollout. Devices (mTLS): TUF metadata and target files, the latter with
 * HTTP Range for resumable downloads. Key release itself is the device side's route, which calls the service.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from "fastify";
import { Gauge } from "prom-client";
import { EdgewardError, type wire } from "@edgeward/core";
import { AUTH } from "../http/route-auth.ts";
import { registerDeviceReleases } from "./device-releases.ts";
import { GUARD_TARGET_SUFFIX, MANIFEST_SCHEMA } from "./manifest.ts";
import { resolveRange } from "./range.ts";
import { ReleaseFeed } from "./release-feed.ts";
import { databaseReleaseMarker } from "./release-marker.ts";
import type { ReleasesService } from "./service.ts";
import type { ReleaseRecord } from "./store.ts";

/** Largest manifest body: the age header and the OMS bundle, base64, with room for the rest. */
export const MANIFEST_BODY_LIMIT = 320 * 1024;

const RELEASE_SCHEMA = {
  type: "object",
  required: ["id", "kind", "name", "version", "target", "sha256", "length", "floor", "groups", "sealed", "published"],
  properties: {
    id: { type: "string" },
    kind: { type: "string", enum: ["model", "package"] },
    name: { type: "string" },
    version: { type: "string" },
    target: { type: "string", description: "The TUF target path" },
    sha256: { type: "string" },
    length: { type: "integer" },
    floor: { type: "string" },
    groups: { type: "array", items: { type: "string" } },
    sealed: { type: "boolean" },
    omsBundleSha256: { type: "string" },
    published: { type: "boolean" },
    logIndex: { type: ["integer", "null"] },
    createdAt: { type: "string" },
    uploadPath: { type: "string", description: "Where to PUT the ciphertext (application/octet-stream)" },
    guard: {
      type: "object",
      description: "The release's guard (docs/releases.md, A guard in a release); absent without one",
      required: ["configSha256", "length", "sha256", "uploaded", "target", "uploadPath"],
      properties: {
        configSha256: { type: "string" },
        length: { type: "integer" },
        sha256: { type: "string" },
        uploaded: { type: "boolean" },
        target: { type: "string", description: "The guard payload's TUF target path" },
        uploadPath: { type: "string", description: "Where to PUT the guard payload, before the ciphertext" },
      },
    },
  },
} as const;

const ID_PARAMS = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 128 } },
} as const;

/** The release routes; `app.hub.releases` must be set (EW_ERR_TUF_NOT_INITIALISED otherwise). */
export const releasesPlugin: FastifyPluginAsync = (app) => {
  const service = (): ReleasesService => {
    const releases = app.hub.releases;
    if (releases === undefined) throw new EdgewardError("EW_ERR_TUF_NOT_INITIALISED", { detail: "no releases" });
    return releases;
  };
  // The ciphertext arrives as a stream; this parser hands it over unread (encapsulated to this plugin).
  app.addContentTypeParser("application/octet-stream", (_request, payload, done) => done(null, payload));

  app.post<{ Body: Record<string, unknown> }>(
    "/releases",
    {
      bodyLimit: MANIFEST_BODY_LIMIT,
      config: { auth: AUTH.publish, auditKind: "release.create" },
      schema: { body: MANIFEST_SCHEMA, response: { 201: RELEASE_SCHEMA } },
    },
    async (request, reply) => {
      const record = await service().create(request.body, request.operator?.tokenId ?? null);
      noteRelease(request.auditNote, record);
      return reply.code(201).send(view(record));
    },
  );
  app.put<{ Params: { id: string }; Body: AsyncIterable<Uint8Array> }>(
    "/releases/:id/ciphertext",
    {
      config: { auth: AUTH.publish, auditKind: "release.upload" },
      schema: { params: ID_PARAMS, response: { 200: RELEASE_SCHEMA } },
    },
    async (request) => {
      requireOctetStream(request.headers["content-type"], "the ciphertext");
      const record = await service().upload(request.params.id, request.body);
      noteRelease(request.auditNote, record);
      return view(record);
    },
  );
  app.put<{ Params: { id: string }; Body: AsyncIterable<Uint8Array> }>(
    "/releases/:id/guard",
    {
      config: { auth: AUTH.publish, auditKind: "release.upload-guard" },
      schema: { params: ID_PARAMS, response: { 200: RELEASE_SCHEMA } },
    },
    async (request) => {
      requireOctetStream(request.headers["content-type"], "the guard payload");
      const record = await service().uploadGuard(request.params.id, request.body);
      noteRelease(request.auditNote, record);
      return view(record);
    },
  );
  app.get<{ Querystring: { after?: string; limit?: number } }>(
    "/releases",
    {
      config: { auth: AUTH.read },
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            after: { type: "string", maxLength: 128 },
            limit: { type: "integer", minimum: 1, maximum: 1000 },
          },
        },
        response: { 200: { type: "array", items: RELEASE_SCHEMA } },
      },
    },
    async (request) => {
      const { after, limit } = request.query;
      return (await service().list({ limit: limit ?? 100, ...(after === undefined ? {} : { after }) })).map(view);
    },
  );
  app.get<{ Params: { id: string } }>(
    "/releases/:id",
    { config: { auth: AUTH.read }, schema: { params: ID_PARAMS, response: { 200: RELEASE_SCHEMA } } },
    async (request) => {
      const record = await service().find(request.params.id);
      if (record === undefined) throw new EdgewardError("EW_ERR_RELEASE_NOT_FOUND", { detail: request.params.id });
      return view(record);
    },
  );
  app.post<{ Params: { id: string }; Body: { groups: string[] } }>(
    "/releases/:id/rollout",
    {
      config: { auth: AUTH.publish, auditKind: "release.rollout" },
      schema: {
        params: ID_PARAMS,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["groups"],
          properties: { groups: { type: "array", maxItems: 256, items: { type: "string", maxLength: 64 } } },
        },
        response: { 200: RELEASE_SCHEMA },
      },
    },
    async (request) => {
      const record = await service().rollout(request.params.id, request.body.groups);
      noteRelease(request.auditNote, record);
      return view(record);
    },
  );

  // Device API (mTLS): the TUF repository as a tuf-js client fetches it (TUF 1.0 §5).
  app.get<{ Params: { name: string } }>(
    "/device/tuf/:name",
    {
      config: { auth: AUTH.device },
      schema: {
        params: { type: "object", required: ["name"], properties: { name: { type: "string", maxLength: 64 } } },
      },
    },
    async (request, reply) => {
      const bytes = await service().metadata(request.params.name);
      return reply
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .send(Buffer.from(bytes));
    },
  );
  app.get<{ Params: { "*": string } }>("/device/targets/*", { config: { auth: AUTH.device } }, async (request, reply) =>
    sendTarget(reply, service(), request.params["*"], request.headers.range),
  );
  registerDeviceReleases(app, service, releaseFeedOf(app));
  return Promise.resolve();
};

/**
 * The long polls' feed (release-feed.ts): the injected one, or one polling this hub's database marker. The releases
 * service tells it of this process's changes; closing the hub answers its waiters first (preClose, before the
 * server waits for open requests), so a close never hangs on a long poll.
 */
function releaseFeedOf(app: FastifyInstance): ReleaseFeed<wire.DeviceRelease> {
  const injected = app.hub.releaseFeed;
  const feed =
    injected ??
    new ReleaseFeed<wire.DeviceRelease>({
      marker: databaseReleaseMarker(app.hub.store.db),
      onError: (err) => app.log.warn({ err }, "release feed: a marker read or listing failed"),
    });
  const unsubscribe = app.hub.releases?.onChange(() => feed.changed());
  new Gauge({
    name: "edgeward_hub_release_waits",
    help: "Device release listings held open (long polls) waiting for a release",
    registers: [app.metrics],
    collect() {
      this.set(feed.waiting());
    },
  });
  app.addHook("preClose", (done) => {
    unsubscribe?.();
    feed.close();
    done();
  });
  return feed;
}

// RFC 9110 §14.4: 206 with Content-Range for a part, 200 for the whole file; both say Accept-Ranges. A range
// outside the file is 416 with "Content-Range: bytes */LENGTH" (§15.5.17).
async function sendTarget(reply: FastifyReply, service: ReleasesService, path: string, header: string | undefined) {
  const target = await service.findTarget(path);
  let range;
  try {
    range = resolveRange(header, target.length);
  } catch (err) {
    void reply.header("content-range", `bytes */${target.length}`);
    throw err;
  }
  const stream = await service.readTarget(target.sha256, range);
  void reply
    .header("content-type", "application/octet-stream")
    .header("accept-ranges", "bytes")
    .header("content-length", String(Math.max(0, range.end - range.start + 1)));
  if (range.partial) void reply.code(206).header("content-range", `bytes ${range.start}-${range.end}/${target.length}`);
  return reply.send(stream);
}

function requireOctetStream(contentType: string | undefined, what: string): void {
  const mediaType = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/octet-stream") {
    throw new EdgewardError("EW_ERR_RELEASE_INVALID", { detail: `send ${what} as application/octet-stream` });
  }
}

function view(r: ReleaseRecord) {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    version: r.version,
    target: r.targetName,
    sha256: r.sha256,
    length: r.length,
    floor: r.floor,
    groups: [...r.groups],
    sealed: r.header !== null,
    omsBundleSha256: r.bundleSha256,
    published: r.logIndex !== null,
    logIndex: r.logIndex,
    createdAt: r.createdAt,
    uploadPath: `/v1/releases/${r.id}/ciphertext`,
    ...(r.guard === undefined
      ? {}
      : {
          guard: {
            configSha256: r.guard.configSha256,
            length: r.guard.length,
            sha256: r.guard.sha256,
            uploaded: r.guard.uploaded,
            target: `${r.targetName}${GUARD_TARGET_SUFFIX}`,
            uploadPath: `/v1/releases/${r.id}/guard`,
          },
        }),
  };
}

function noteRelease(note: { subject?: string; details: Record<string, unknown> }, r: ReleaseRecord): void {
  note.subject = `${r.kind}:${r.name}@${r.version}`;
  Object.assign(note.details, {
    release: r.id,
    sha256: r.sha256,
    groups: [...r.groups],
    ...(r.guard === undefined ? {} : { guardSha256: r.guard.sha256 }),
  });
}
