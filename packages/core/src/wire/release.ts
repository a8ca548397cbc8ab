// Key release on the wire (ARCHITECTURE.md flow 4 "Release and update"): the release's age header re-wrapped to the
// device's age1tag1 recipient, with the release's inclusion proof in the hub's log and the checkpoint it proves to.
import { base64Schema, MAX_NOTE_CHARS } from "./common.ts";

/** Largest age header the key-release route returns, decoded bytes. */
export const MAX_RELEASE_HEADER_BYTES = 64 * 1024;

/** Params of `POST /v1/device/releases/:releaseId/key`. */
export const releaseKeyParamsSchema = {
  type: "object",
  additionalProperties: false,
  required: ["releaseId"],
  properties: { releaseId: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,128}$" } },
} as const;

/** {@link releaseKeyParamsSchema} as a type. */
export interface ReleaseKeyParams {
  releaseId: string;
}

/** Body of `POST /v1/device/releases/:releaseId/key` (empty today). */
export const releaseKeyRequestSchema = {
  type: "object",
  additionalProperties: false,
  properties: {},
} as const;

/** {@link releaseKeyRequestSchema} as a type. */
export type ReleaseKeyRequest = Record<string, never>;

/** Response of `POST /v1/device/releases/:releaseId/key`. */
export const releaseKeyResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["header", "logEntry", "inclusionProof", "checkpoint", "logKey"],
  properties: {
    header: base64Schema(MAX_RELEASE_HEADER_BYTES),
    logEntry: {
      type: "object",
      additionalProperties: false,
      required: ["index"],
      properties: { index: { type: "integer", minimum: 0 }, leafHash: { type: "string" } },
    },
    inclusionProof: {
      type: "object",
      additionalProperties: false,
      required: ["treeSize", "index", "hashes"],
      properties: {
        treeSize: { type: "integer", minimum: 1 },
        index: { type: "integer", minimum: 0 },
        hashes: { type: "array", maxItems: 64, items: { type: "string", pattern: "^[0-9a-f]{64}$" } },
      },
    },
    checkpoint: { type: "string", maxLength: MAX_NOTE_CHARS },
    logKey: { type: "string", maxLength: 1024 },
    /** The log entry's bytes (base64), so the device can recompute the leaf hash itself. */
    leaf: { type: "string" },
  },
} as const;

/** {@link releaseKeyResponseSchema} as a type. */
export interface ReleaseKeyResponse {
  /** The age header re-wrapped to this device's age1tag1 recipient, base64. */
  header: string;
  logEntry: { index: number; leafHash?: string };
  /** RFC 9162 inclusion proof of the release's log entry. */
  inclusionProof: { treeSize: number; index: number; hashes: string[] };
  /** The hub log's signed checkpoint (C2SP tlog-checkpoint) the proof leads to. */
  checkpoint: string;
  /** The hub log's verifier key (C2SP signed-note). */
  logKey: string;
  /** The release's log entry bytes, base64. */
  leaf?: string;
}
