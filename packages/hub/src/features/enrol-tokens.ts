import { randomBytes } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import { AUTH } from "../http/route-auth.ts";
import { getGroup } from "../store/groups.ts";
import { insertEnrolToken } from "../store/single-use.ts";
import { hashToken, newSecret } from "../store/tokens.ts";

/** Default lifetime of a one-time enrolment token. */
export const DEFAULT_ENROL_TOKEN_TTL_S = 24 * 3600;

/**
 * POST /v1/enrol-tokens: a one-time enrolment token bound to a group, for TPMs without an EK certificate
 * (ARCHITECTURE.md, flows: Enrol). Only its sha256 is stored; enrolment spends it once, on any replica.
 */
export const enrolTokensPlugin: FastifyPluginAsync = (app) => {
  app.post<{ Body: { group?: string; ttlSeconds?: number } }>(
    "/enrol-tokens",
    {
      config: { auth: AUTH.operate, auditKind: "enrol-token.create" },
      schema: {
        body: {
          type: "object",
          properties: {
            group: { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,62}$" },
            ttlSeconds: { type: "integer", minimum: 60, maximum: 30 * 24 * 3600 },
          },
          additionalProperties: false,
        },
        response: {
          201: {
            type: "object",
            required: ["id", "enrolToken", "group", "expiresAt"],
            properties: {
              id: { type: "string" },
              enrolToken: { type: "string" },
              group: { type: "string" },
              expiresAt: { type: "string" },
            },
            additionalProperties: false,
          },
        },
      },
    },
    async (request, reply) => {
      const group = request.body.group ?? "default";
      await getGroup(app.hub.store.db, group);
      const now = app.hub.clock.now();
      const expiresAt = new Date(now.getTime() + (request.body.ttlSeconds ?? DEFAULT_ENROL_TOKEN_TTL_S) * 1000);
      const id = `enr_${randomBytes(8).toString("hex")}`;
      const enrolToken = newSecret("ewe");
      await insertEnrolToken(app.hub.store.db, {
        id,
        hash: hashToken(enrolToken),
        group,
        createdBy: request.operator?.tokenId ?? null,
        now,
        expiresAt,
      });
      request.auditNote.subject = `enrol-token:${id}`;
      request.auditNote.details["group"] = group;
      return reply.code(201).send({ id, enrolToken, group, expiresAt: expiresAt.toISOString() });
    },
  );
  return Promise.resolve();
};
