import type { FastifyPluginAsync } from "fastify";
import { EdgewardError } from "@edgeward/core";
import { AUTH } from "../http/route-auth.ts";
import { ROLES, createToken, listTokens, revokeToken, type Role, type TokenRow } from "../store/tokens.ts";

const TOKEN = {
  type: "object",
  required: ["id", "role", "label", "createdAt", "createdBy", "revokedAt"],
  properties: {
    id: { type: "string" },
    role: { type: "string", enum: ROLES },
    label: { type: "string" },
    createdAt: { type: "string" },
    createdBy: { type: ["string", "null"] },
    revokedAt: { type: ["string", "null"] },
  },
  additionalProperties: false,
} as const;

const ID_PARAMS = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: "^tok_[0-9a-f]{16}$" } },
} as const;

/**
 * Operator tokens (admin only): create one (its secret is answered once and stored as a sha256), list them (never
 * with secrets), revoke one (effective on the next request, on every replica: each request reads the token row).
 */
export const tokensPlugin: FastifyPluginAsync = (app) => {
  app.post<{ Body: { role: Role; label?: string } }>(
    "/tokens",
    {
      config: { auth: AUTH.admin, auditKind: "token.create" },
      schema: {
        body: {
          type: "object",
          required: ["role"],
          properties: { role: { type: "string", enum: ROLES }, label: { type: "string", maxLength: 200 } },
          additionalProperties: false,
        },
        response: {
          201: {
            type: "object",
            required: ["id", "token", "role"],
            properties: { id: { type: "string" }, token: { type: "string" }, role: { type: "string" } },
            additionalProperties: false,
          },
        },
      },
    },
    async (request, reply) => {
      const created = await createToken(app.hub.store.db, {
        role: request.body.role,
        label: request.body.label ?? "",
        createdBy: request.operator?.tokenId ?? null,
        now: app.hub.clock.now(),
      });
      request.auditNote.subject = `token:${created.id}`;
      request.auditNote.details["newRole"] = created.role;
      return reply.code(201).send(created);
    },
  );
  app.get(
    "/tokens",
    { config: { auth: AUTH.admin }, schema: { response: { 200: { type: "array", items: TOKEN } } } },
    async () => (await listTokens(app.hub.store.db)).map(view),
  );
  app.post<{ Params: { id: string } }>(
    "/tokens/:id/revoke",
    {
      config: { auth: AUTH.admin, auditKind: "token.revoke" },
      schema: { params: ID_PARAMS, response: { 200: TOKEN } },
    },
    async (request) => {
      const row = await revokeToken(app.hub.store.db, request.params.id, app.hub.clock.now());
      if (row === undefined) throw new EdgewardError("EW_ERR_HUB_TOKEN_NOT_FOUND", { detail: request.params.id });
      request.auditNote.subject = `token:${row.id}`;
      return view(row);
    },
  );
  return Promise.resolve();
};

function view(row: TokenRow): Record<string, unknown> {
  return {
    id: row.id,
    role: row.role,
    label: row.label,
    createdAt: row.created_at,
    createdBy: row.created_by,
    revokedAt: row.revoked_at,
  };
}
