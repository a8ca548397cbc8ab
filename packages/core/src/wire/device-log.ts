// Device log shipping, tamper and audit reports on the wire (ARCHITECTURE.md flows 6 "Tamper" and 7 "Audit").
import { base64Schema, MAX_NOTE_CHARS } from "./common.ts";

/** Largest single device log entry, decoded bytes. */
export const MAX_DEVICE_LOG_ENTRY_BYTES = 16 * 1024;
/** Most entries in one shipment. */
export const MAX_DEVICE_LOG_ENTRIES = 1000;

/** Body of `POST /v1/device/log`. */
export const deviceLogRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["entries", "checkpoint", "consistencyProof"],
  properties: {
    entries: {
      type: "array",
      maxItems: MAX_DEVICE_LOG_ENTRIES,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["index", "data"],
        properties: {
          index: { type: "integer", minimum: 0 },
          data: base64Schema(MAX_DEVICE_LOG_ENTRY_BYTES),
        },
      },
    },
    checkpoint: { type: "string", minLength: 1, maxLength: MAX_NOTE_CHARS },
    /** The tree size the proof starts from (the last checkpoint the hub acknowledged; 0 for the first shipment). */
    fromSize: { type: "integer", minimum: 0 },
    consistencyProof: { type: "array", maxItems: 64, items: { type: "string", pattern: "^[0-9a-f]{64}$" } },
    /** The device log's verifier key (C2SP signed-note), sent with the first shipment. */
    logKey: { type: "string", maxLength: 1024 },
  },
} as const;

/** {@link deviceLogRequestSchema} as a type. */
export interface DeviceLogRequest {
  /** New leaves: index in the device log and the entry bytes, base64. */
  entries: Array<{ index: number; data: string }>;
  /** The device log's new signed checkpoint. */
  checkpoint: string;
  fromSize?: number;
  /** RFC 9162 consistency proof from `fromSize` to the new checkpoint's size, hex hashes. */
  consistencyProof: string[];
  logKey?: string;
}

/** Response of `POST /v1/device/log`. */
export const deviceLogResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["accepted"],
  properties: { accepted: { type: "boolean", const: true }, treeSize: { type: "integer", minimum: 0 } },
} as const;

/** {@link deviceLogResponseSchema} as a type. */
export interface DeviceLogResponse {
  accepted: true;
  /** The tree size the hub now holds for this device. */
  treeSize?: number;
}

/** Body of `POST /v1/device/tamper`. */
export const tamperRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["source", "details"],
  properties: {
    source: { type: "string", minLength: 1, maxLength: 64 },
    details: { type: "string", maxLength: 4096 },
    at: { type: "string", format: "date-time", maxLength: 40 },
  },
} as const;

/** {@link tamperRequestSchema} as a type. */
export interface TamperRequest {
  /** gpio, accelerometer, case, command … */
  source: string;
  details: string;
  at?: string;
}

/** Response of `POST /v1/device/tamper`. */
export const tamperResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["state"],
  properties: { state: { type: "string", const: "quarantined" } },
} as const;

/** {@link tamperResponseSchema} as a type. */
export interface TamperResponse {
  state: "quarantined";
}

/** Largest audit report the hub stores, in characters of its JSON. */
export const MAX_AUDIT_REPORT_CHARS = 256 * 1024;

/** Body of `POST /v1/device/audit`. */
export const auditReportRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["report"],
  properties: { report: { type: "object", maxProperties: 64 } },
} as const;

/** {@link auditReportRequestSchema} as a type. */
export interface AuditReportRequest {
  /** The `edgeward audit --json` report. */
  report: Record<string, unknown>;
}

/** Response of `POST /v1/device/audit`. */
export const auditReportResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["stored"],
  properties: { stored: { type: "boolean", const: true } },
} as const;

/** {@link auditReportResponseSchema} as a type. */
export interface AuditReportResponse {
  stored: true;
}

/** Response of `GET /v1/hub` (public hub facts). */
export const hubInfoResponseSchema = {
  type: "object",
  required: ["caCertificate", "escrowRecipient", "logVerifierKey", "tufRoot"],
  properties: {
    caCertificate: { type: "string" },
    escrowRecipient: { type: "string" },
    logVerifierKey: { type: "string" },
    tufRoot: { type: "object" },
  },
} as const;

/** {@link hubInfoResponseSchema} as a type. */
export interface HubInfoResponse {
  /** The device CA (PEM). */
  caCertificate: string;
  /** The hub's escrow age recipient (`age1…`) publishers seal file keys to. */
  escrowRecipient: string;
  /** The hub log's verifier key (C2SP signed-note). */
  logVerifierKey: string;
  /** The TUF `1.root.json`. */
  tufRoot: Record<string, unknown>;
}
