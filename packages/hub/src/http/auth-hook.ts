import type { FastifyInstance, FastifyRequest } from "fastify";
import { EdgewardError } from "@edgeward/core";
import { findToken, isRole, type Role } from "../store/tokens.ts";
import type { OperatorIdentity } from "./fastify-types.ts";

const BEARER = /^Bearer ([A-Za-z0-9_.~+/=-]{1,512})$/;

/**
 * Checks every request against its route's `config.auth` before the body is read (onRequest), so an
 * unauthenticated client cannot make the hub parse a large body. Device routes go to the injected device
 * authenticator (mTLS and the deny list).
 */
export function installAuthHook(app: FastifyInstance): void {
  app.decorateRequest("operator", null);
  app.decorateRequest("device", null);
  app.addHook("onRequest", async (request) => {
    const auth = request.routeOptions.config.auth;
    // No route matched (the not-found handler), or a public route.
    if (auth === undefined || auth.kind === "public") return;
    if (auth.kind === "token") {
      request.operator = await authenticateOperator(app, request, auth.roles);
      return;
    }
    if (auth.certificate !== "none") request.device = await app.hub.deviceAuth(request, auth.certificate);
  });
}

/** The operator a request's bearer token names, if its role is allowed; else a 401/403 with its code. */
async function authenticateOperator(
  app: FastifyInstance,
  request: FastifyRequest,
  roles: readonly Role[],
): Promise<OperatorIdentity> {
  const header = request.headers.authorization;
  if (header === undefined || header === "") throw new EdgewardError("EW_ERR_HUB_TOKEN_MISSING");
  const match = BEARER.exec(header);
  if (match === null) throw new EdgewardError("EW_ERR_HUB_TOKEN_INVALID", { detail: "not a Bearer token" });
  const row = await findToken(app.hub.store.db, match[1]!);
  if (row === undefined) throw new EdgewardError("EW_ERR_HUB_TOKEN_INVALID");
  if (row.revoked_at !== null) throw new EdgewardError("EW_ERR_HUB_TOKEN_REVOKED", { detail: row.id });
  if (!isRole(row.role) || !roles.includes(row.role))
    throw new EdgewardError("EW_ERR_HUB_FORBIDDEN", { detail: `role ${row.role} on ${request.routeOptions.url}` });
  return { tokenId: row.id, role: row.role };
}
