// The device API under /v1/device/ (the device API contract in core's wire schemas): enrolment and attestation,
// reachable without a certificate where the contract says so, and the mTLS-only routes — key release, log shipping,
// tamper and audit reports. Every body is checked by its wire schema before a handler sees it.
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { EdgewardError, wire } from "@edgeward/core";
import type { DeviceIdentity } from "../deps.ts";
import "../http/fastify-types.ts";
import { RetryLater } from "./attestation.ts";
import type { DeviceServices } from "./services.ts";

declare module "../deps.ts" {
  interface HubDeps {
    /** The device side (device CA, enrolment, attestation, key release); absent on a hub without a device CA. */
    readonly device?: DeviceServices;
  }
}

const none = { kind: "device", certificate: "none" } as const;
const optional = { kind: "device", certificate: "optional" } as const;
const required = { kind: "device", certificate: "required" } as const;
/** Enrolment and attestation bodies are small; 32 KiB leaves room for an EK certificate chain and an event log. */
const SMALL = 32 * 1024;

/** The device routes. */
export const devicePlugin: FastifyPluginAsync = (app) => {
  const services = (): DeviceServices => {
    const s = app.hub.device;
    if (s === undefined) throw new EdgewardError("EW_ERR_HUB_UNAVAILABLE", { detail: "no device CA configured" });
    return s;
  };
  const who = (request: FastifyRequest): DeviceIdentity => {
    if (request.device === null) throw new EdgewardError("EW_ERR_HUB_DEVICE_CERT_REQUIRED");
    return request.device;
  };

  app.post<{ Body: wire.EnrolRequest }>(
    "/device/enrol",
    {
      config: { auth: none },
      bodyLimit: SMALL,
      schema: { body: wire.enrolRequestSchema, response: { 200: wire.enrolResponseSchema } },
    },
    (request) => services().enrolment.enrol(request.body),
  );
  app.post<{ Body: wire.ActivateRequest }>(
    "/device/enrol/activate",
    {
      config: { auth: none },
      bodyLimit: SMALL,
      schema: { body: wire.activateRequestSchema, response: { 200: wire.activateResponseSchema } },
    },
    (request) => services().enrolment.activate(request.body),
  );
  app.post<{ Body: wire.ChallengeRequest }>(
    "/device/attest/challenge",
    {
      config: { auth: optional },
      bodyLimit: SMALL,
      schema: { body: wire.challengeRequestSchema, response: { 200: wire.challengeResponseSchema } },
    },
    async (request, reply) => {
      try {
        return await services().attestation.challenge(request.body, request.device?.deviceId, request.device?.record);
      } catch (err) {
        if (err instanceof RetryLater)
          void reply.header(wire.RETRY_AFTER_HEADER, String(Math.ceil(err.retryAfterSeconds)));
        throw err;
      }
    },
  );
  app.post<{ Body: wire.QuoteRequest }>(
    "/device/attest/quote",
    {
      config: { auth: optional },
      bodyLimit: 512 * 1024,
      schema: { body: wire.quoteRequestSchema, response: { 200: wire.quoteResponseSchema } },
    },
    (request) => services().attestation.quote(request.body, request.device?.deviceId, request.device?.record),
  );
  app.post<{ Params: wire.ReleaseKeyParams; Body: wire.ReleaseKeyRequest }>(
    "/device/releases/:releaseId/key",
    {
      config: { auth: required },
      bodyLimit: 1024,
      schema: {
        params: wire.releaseKeyParamsSchema,
        body: wire.releaseKeyRequestSchema,
        response: { 200: wire.releaseKeyResponseSchema },
      },
    },
    (request) => services().keyRelease.release(who(request).deviceId, request.params.releaseId),
  );
  app.post<{ Body: wire.DeviceLogRequest }>(
    "/device/log",
    {
      config: { auth: required },
      bodyLimit: 24 * 1024 * 1024,
      schema: { body: wire.deviceLogRequestSchema, response: { 200: wire.deviceLogResponseSchema } },
    },
    (request) => services().deviceLog.ship(who(request).deviceId, request.body),
  );
  app.post<{ Body: wire.TamperRequest }>(
    "/device/tamper",
    {
      config: { auth: required },
      bodyLimit: SMALL,
      schema: { body: wire.tamperRequestSchema, response: { 200: wire.tamperResponseSchema } },
    },
    (request) => services().reports.tamper(who(request).deviceId, request.body),
  );
  app.post<{ Body: wire.AuditReportRequest }>(
    "/device/audit",
    {
      config: { auth: required },
      bodyLimit: wire.MAX_AUDIT_REPORT_CHARS,
      schema: { body: wire.auditReportRequestSchema, response: { 200: wire.auditReportResponseSchema } },
    },
    (request) => services().reports.audit(who(request).deviceId, request.body),
  );
  // RFC 5280 §5 CRL for outside relying parties (the hub's own handshake never depends on it); only on a hub
  // with a device CA, as a public route must answer.
  const device = app.hub.device;
  if (device !== undefined)
    app.get("/device/crl", { config: { auth: { kind: "public" } } }, async (_request, reply) => {
      const pem = await device.ctx.ca.crl(await device.ctx.store.listRevokedSerials(), device.ctx.now());
      return reply.type("application/pkix-crl").send(pem);
    });
  return Promise.resolve();
};
