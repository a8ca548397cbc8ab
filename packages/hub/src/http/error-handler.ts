import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { EdgewardError, isEdgewardError, type ErrorCode } from "@edgeward/core";

/** The JSON schema of every error answer: `{code, message}` (the registry's code and sentence). */
export const ERROR_SCHEMA = {
  $id: "HubError",
  type: "object",
  required: ["code", "message"],
  properties: { code: { type: "string", pattern: "^EW_ERR_[A-Z0-9_]+$" }, message: { type: "string" } },
  additionalProperties: false,
} as const;

/** Seconds a client is told to wait (Retry-After) on 429 and 503, unless the error says otherwise. */
const DEFAULT_RETRY_AFTER_S = 5;

// Fastify's own request errors, each mapped to the hub code a client can act on.
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "EW_ERR_HUB_BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "EW_ERR_HUB_MEDIA_TYPE",
  FST_ERR_CTP_EMPTY_JSON_BODY: "EW_ERR_HUB_JSON_MALFORMED",
  FST_ERR_CTP_INVALID_JSON_BODY: "EW_ERR_HUB_JSON_MALFORMED",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "EW_ERR_HUB_REQUEST_INVALID",
  FST_ERR_BAD_URL: "EW_ERR_HUB_REQUEST_INVALID",
  FST_ERR_MAX_PARAM_LENGTH: "EW_ERR_HUB_REQUEST_INVALID",
};

/**
 * Turns every failure into `{code, message}` with the registry's HTTP status (STYLE.md, errors): an EdgewardError as
 * it is; a schema-validation failure as EW_ERR_HUB_REQUEST_INVALID naming the field; Fastify's body errors as their
 * hub codes; anything else as EW_ERR_INTERNAL, logged with its stack but never shown to the client.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => sendError(toEdgewardError(err, request), reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(new EdgewardError("EW_ERR_HUB_ROUTE_NOT_FOUND", { detail: `${request.method} ${request.url}` }), reply),
  );
}

/**
 * Fastify's `frameworkErrors` option: failures the router meets before any route or hook (a malformed URL, a path
 * parameter over the length limit) get the same `{code, message}` answers.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(toEdgewardError(err, request), reply);
}

/** The EdgewardError a failure is answered with. */
export function toEdgewardError(err: FastifyError | Error, request: FastifyRequest): EdgewardError {
  if (isEdgewardError(err)) {
    if (err.httpStatus >= 500) request.log.error({ err }, "request failed");
    return err;
  }
  const fe = err as FastifyError;
  if (fe.validation !== undefined)
    return new EdgewardError("EW_ERR_HUB_REQUEST_INVALID", { detail: fe.message, cause: err });
  const mapped = fe.code === undefined ? undefined : FASTIFY_CODES[fe.code];
  if (mapped !== undefined) return new EdgewardError(mapped, { cause: err });
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500)
    return new EdgewardError("EW_ERR_HUB_REQUEST_INVALID", { detail: fe.message, cause: err });
  request.log.error({ err }, "unexpected error");
  return new EdgewardError("EW_ERR_INTERNAL", { cause: err });
}

function sendError(err: EdgewardError, reply: FastifyReply): FastifyReply {
  const status = err.httpStatus;
  if ((status === 429 || status === 503) && !reply.hasHeader("retry-after"))
    void reply.header("retry-after", String(DEFAULT_RETRY_AFTER_S));
  return reply.code(status).send({ code: err.code, message: err.message });
}
