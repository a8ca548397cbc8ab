// Review shipping on the hub (docs/guard.md "Review queue"): devices send the entries their guard sealed to the
// review recipient, with their audit shipping (mTLS, POST /v1/device/review); operators and admins list and
// download them (GET /v1/review, GET /v1/review/:deviceId/:id) and open them offline with the review identity, and
// delete them (DELETE /v1/review/:deviceId/:id). Viewers and publishers are refused: an entry is a flagged input
// from the field. A device past its quota, or a fleet past its cap, is told to retry later (docs/hub.md).
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { EdgewardError, wire } from "@edgeward/core";
import "../http/fastify-types.ts";
import { AUTH } from "../http/route-auth.ts";
import { DEFAULT_REVIEW_LIMITS } from "./review-limits.ts";
import { ReviewStore } from "./review-store.ts";

/** Who may read review entries: fleet operators and admins. */
const REVIEWERS = AUTH.operate;

/** The review routes. */
export const reviewPlugin: FastifyPluginAsync = (app) => {
  const limits = app.hub.review ?? DEFAULT_REVIEW_LIMITS;
  const store = new ReviewStore(app.hub.store.db as never, app.hub.blobs, limits);
  const deviceOf = (request: FastifyRequest): string => {
    if (request.device === null) throw new EdgewardError("EW_ERR_HUB_DEVICE_CERT_REQUIRED");
    return request.device.deviceId;
  };

  app.post<{ Body: wire.ReviewShipRequest }>(
    "/device/review",
    {
      config: { auth: AUTH.device },
      bodyLimit: wire.MAX_REVIEW_BODY_BYTES,
      schema: { body: wire.reviewShipRequestSchema, response: { 200: wire.reviewShipResponseSchema } },
    },
    async (request, reply) => {
      const deviceId = deviceOf(request);
      const { id, sha256 } = request.body;
      const ciphertext = Buffer.from(request.body.ciphertext, "base64");
      if (ciphertext.byteLength > wire.MAX_REVIEW_ENTRY_BYTES)
        throw new EdgewardError("EW_ERR_HUB_BODY_TOO_LARGE", { detail: `${ciphertext.byteLength} bytes` });
      try {
        await store.put(deviceId, id, sha256, ciphertext, app.hub.clock.now());
      } catch (err) {
        if (err instanceof EdgewardError && (err.httpStatus === 429 || err.httpStatus === 507))
          void reply.header("retry-after", String(limits.retryAfterSeconds));
        throw err;
      }
      await app.hub.audit.append({
        time: app.hub.clock.now().toISOString(),
        actor: `device:${deviceId}`,
        kind: "review.receive",
        subject: `${deviceId}/${id}`,
        details: { sha256, length: ciphertext.byteLength },
      });
      return { stored: true as const, id, sha256 };
    },
  );

  app.get<{ Querystring: { device?: string; limit: number } }>(
    "/review",
    {
      config: { auth: REVIEWERS },
      schema: { querystring: wire.reviewListQuerySchema, response: { 200: wire.reviewListResponseSchema } },
    },
    async (request) => ({
      entries: await store.list({
        limit: request.query.limit,
        ...(request.query.device === undefined ? {} : { deviceId: request.query.device }),
      }),
    }),
  );

  app.get<{ Params: { deviceId: string; id: string } }>(
    "/review/:deviceId/:id",
    {
      config: { auth: REVIEWERS },
      schema: { params: wire.reviewGetParamsSchema, response: { 200: wire.reviewGetResponseSchema } },
    },
    async (request) => {
      const { info, ciphertext } = await store.get(request.params.deviceId, request.params.id);
      // A download hands a flagged input (sealed) to a person: the audit log says who took which.
      const operator = request.operator;
      await app.hub.audit.append({
        time: app.hub.clock.now().toISOString(),
        actor: operator === null ? "unknown" : `token:${operator.tokenId}`,
        kind: "review.download",
        subject: `${info.deviceId}/${info.id}`,
        details: { sha256: info.sha256, role: operator?.role ?? "none" },
      });
      return { ...info, ciphertext: ciphertext.toString("base64") };
    },
  );
  app.delete<{ Params: { deviceId: string; id: string } }>(
    "/review/:deviceId/:id",
    {
      config: { auth: REVIEWERS, auditKind: "review.delete" },
      schema: { params: wire.reviewGetParamsSchema, response: { 200: wire.reviewDeleteResponseSchema } },
    },
    async (request) => {
      const { info, blobRemoved } = await store.delete(request.params.deviceId, request.params.id);
      // The audit hook appends `review.delete` with this subject before the answer leaves.
      request.auditNote.subject = `${info.deviceId}/${info.id}`;
      request.auditNote.details = { sha256: info.sha256, length: info.length, blobRemoved };
      return { deleted: true as const, deviceId: info.deviceId, id: info.id, sha256: info.sha256 };
    },
  );
  return Promise.resolve();
};
