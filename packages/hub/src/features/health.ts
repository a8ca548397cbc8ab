import type { FastifyPluginAsync } from "fastify";
import { EdgewardError } from "@edgeward/core";
import { AUTH } from "../http/route-auth.ts";

const STATUS = {
  type: "object",
  required: ["status"],
  properties: { status: { type: "string" } },
  additionalProperties: false,
} as const;

/**
 * Liveness (/healthz: the process answers), readiness (/readyz: the database answers and the audit log is open),
 * Prometheus metrics (/metrics) and the OpenAPI document generated from the route schemas (/openapi.json).
 */
export const healthPlugin: FastifyPluginAsync = (app) => {
  app.get("/healthz", { config: { auth: AUTH.public }, schema: { response: { 200: STATUS } } }, () => ({
    status: "ok",
  }));
  app.get("/readyz", { config: { auth: AUTH.public }, schema: { response: { 200: STATUS } } }, async () => {
    if (!(await app.hub.store.ping())) throw new EdgewardError("EW_ERR_HUB_UNAVAILABLE", { detail: "database" });
    return { status: "ready" };
  });
  app.get("/metrics", { config: { auth: AUTH.public }, schema: { hide: true } }, async (_request, reply) => {
    const text = await app.metrics.metrics();
    return reply.type(app.metrics.contentType).send(text);
  });
  app.get("/openapi.json", { config: { auth: AUTH.public }, schema: { hide: true } }, () => app.swagger());
  return Promise.resolve();
};
