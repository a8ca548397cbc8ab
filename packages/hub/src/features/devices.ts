import type { FastifyPluginAsync } from "fastify";
import { EdgewardError, isEdgewardError } from "@edgeward/core";
import { AUTH } from "../http/route-auth.ts";
import { DEVICE_STATES, getDevice, listDevices, updateDevice, type DeviceState } from "../store/devices.ts";
import { DatabaseDeviceStore } from "../device/database-store.ts";
import { DEVICE_SCHEMA, deviceView } from "./device-view.ts";

/**
 * Operator actions on a device and the states each may start from (ARCHITECTURE.md, flows: Enrol): pending →
 * trusted → quarantined → revoked, and back to trusted only by an operator's release. Revoked is final.
 */
export const DEVICE_ACTIONS: Readonly<Record<string, { from: readonly DeviceState[]; to: DeviceState }>> = {
  approve: { from: ["pending"], to: "trusted" },
  quarantine: { from: ["pending", "trusted"], to: "quarantined" },
  release: { from: ["quarantined"], to: "trusted" },
  revoke: { from: ["pending", "trusted", "quarantined"], to: "revoked" },
};

/** Attempts of a state change when another replica changed the device in between (optimistic concurrency). */
const ATTEMPTS = 3;

const ID_PARAMS = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 128 } },
} as const;

/** The latest audit report a device sent (ARCHITECTURE.md flows 7 "Audit"): when it arrived, and the report. */
const AUDIT_SCHEMA = {
  type: "object",
  required: ["deviceId", "at", "report"],
  properties: {
    deviceId: { type: "string" },
    at: { type: "string", format: "date-time" },
    report: { type: "object", additionalProperties: true },
  },
} as const;

/** The fleet: every role lists and shows devices and their latest audit; admins and operators change state. */
export const devicesPlugin: FastifyPluginAsync = (app) => {
  const db = app.hub.store.db;
  app.get<{ Querystring: { group?: string; state?: DeviceState; after?: string; limit?: number } }>(
    "/devices",
    {
      config: { auth: AUTH.read },
      schema: {
        querystring: {
          type: "object",
          properties: {
            group: { type: "string", maxLength: 63 },
            state: { type: "string", enum: DEVICE_STATES },
            after: { type: "string", maxLength: 128 },
            limit: { type: "integer", minimum: 1, maximum: 1000 },
          },
          additionalProperties: false,
        },
        response: { 200: { type: "array", items: DEVICE_SCHEMA } },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listDevices(db, { group: q.group, state: q.state, after: q.after, limit: q.limit ?? 100 });
      const now = app.hub.clock.now();
      return rows.map((r) => deviceView(r, now));
    },
  );
  app.get<{ Params: { id: string } }>(
    "/devices/:id",
    { config: { auth: AUTH.read }, schema: { params: ID_PARAMS, response: { 200: DEVICE_SCHEMA } } },
    async (request) => deviceView(await getDevice(db, request.params.id), app.hub.clock.now()),
  );
  const reports = new DatabaseDeviceStore(db);
  app.get<{ Params: { id: string } }>(
    "/devices/:id/audit",
    { config: { auth: AUTH.read }, schema: { params: ID_PARAMS, response: { 200: AUDIT_SCHEMA } } },
    async (request) => {
      const { id } = request.params;
      await getDevice(db, id); // EW_ERR_HUB_DEVICE_NOT_FOUND for an unknown device
      const held = await reports.getAuditReport(id);
      if (held === undefined) throw new EdgewardError("EW_ERR_HUB_AUDIT_NOT_FOUND", { detail: id });
      return { deviceId: id, at: held.at, report: held.report };
    },
  );
  for (const [action, rule] of Object.entries(DEVICE_ACTIONS)) {
    app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
      `/devices/:id/${action}`,
      {
        config: { auth: AUTH.operate, auditKind: `device.${action}` },
        schema: {
          params: ID_PARAMS,
          body: {
            type: "object",
            properties: { reason: { type: "string", maxLength: 500 } },
            additionalProperties: false,
          },
          response: { 200: DEVICE_SCHEMA },
        },
      },
      async (request) => {
        const { id } = request.params;
        request.auditNote.subject = id;
        request.auditNote.details["to"] = rule.to;
        if (request.body?.reason !== undefined) request.auditNote.details["reason"] = request.body.reason;
        for (let attempt = 1; ; attempt++) {
          const device = await getDevice(db, id);
          if (!(rule.from as readonly string[]).includes(device.state))
            throw new EdgewardError("EW_ERR_HUB_DEVICE_STATE", { detail: `${action} from ${device.state}` });
          const now = app.hub.clock.now();
          try {
            const updated = await updateDevice(db, id, device.version, { state: rule.to }, now);
            request.auditNote.details["from"] = device.state;
            if (rule.to === "revoked")
              await db
                .updateTable("certificates")
                .set({ revoked_at: now.toISOString() })
                .where("device_id", "=", id)
                .where("revoked_at", "is", null)
                .execute();
            return deviceView(updated, now);
          } catch (err) {
            if (!isEdgewardError(err, "EW_ERR_HUB_CONFLICT") || attempt >= ATTEMPTS) throw err;
          }
        }
      },
    );
  }
  return Promise.resolve();
};
