// Review entries on the wire (docs/guard.md "Review queue"; ARCHITECTURE.md promise 8): an input the guard flagged,
// sealed on the device to the review recipient, leaves with the device's audit shipping. The hub only ever sees
// and keeps the age ciphertext; only the holder of the review identity can open it.
import { base64Length, base64Schema, deviceIdSchema, isoTimeSchema } from "./common.ts";

/** Largest sealed review entry (bytes of the age file): a 16 MiB input as base64, with its reasons and scores. */
export const MAX_REVIEW_ENTRY_BYTES = 22 * 1024 * 1024;

/** Largest JSON body of `POST /v1/device/review` (the base64 ciphertext and a few short fields). */
export const MAX_REVIEW_BODY_BYTES = base64Length(MAX_REVIEW_ENTRY_BYTES) + 4096;

/** The first line of every age file (c2sp.org/age §Header): the hub refuses anything else as an entry. */
export const AGE_FILE_MAGIC = "age-encryption.org/v1\n";

/** A review entry's id as the device's queue names it: milliseconds since the epoch (15 digits), `-`, 12 hex. */
export const reviewEntryIdSchema = { type: "string", pattern: "^[0-9]{15}-[0-9a-f]{12}$", maxLength: 28 } as const;

/** A SHA-256 digest, lowercase hex. */
const sha256Schema = { type: "string", pattern: "^[0-9a-f]{64}$", maxLength: 64 } as const;

/** Routes of review shipping: the device's (mTLS) and the operators' (bearer token; operator and admin). */
export const REVIEW_ROUTES = {
  ship: { method: "POST", path: "/v1/device/review" },
  list: { method: "GET", path: "/v1/review" },
  get: { method: "GET", path: "/v1/review/:deviceId/:id" },
  delete: { method: "DELETE", path: "/v1/review/:deviceId/:id" },
} as const;

/** Body of `POST /v1/device/review`: one sealed entry. */
export const reviewShipRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["id", "sha256", "ciphertext"],
  properties: { id: reviewEntryIdSchema, sha256: sha256Schema, ciphertext: base64Schema(MAX_REVIEW_ENTRY_BYTES) },
} as const;

/** {@link reviewShipRequestSchema} as a type. */
export interface ReviewShipRequest {
  /** The entry's id in the device's queue. */
  id: string;
  /** SHA-256 of the ciphertext, hex: the hub checks it and echoes it in its acknowledgement. */
  sha256: string;
  /** The age file, base64. */
  ciphertext: string;
}

/** Response of `POST /v1/device/review`: the acknowledgement after which the device deletes the entry. */
export const reviewShipResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["stored", "id", "sha256"],
  properties: { stored: { type: "boolean", const: true }, id: reviewEntryIdSchema, sha256: sha256Schema },
} as const;

/** {@link reviewShipResponseSchema} as a type. */
export interface ReviewShipResponse {
  stored: true;
  id: string;
  sha256: string;
}

/** One stored entry as operators list it (never its content). */
export const reviewEntryInfoSchema = {
  type: "object",
  additionalProperties: false,
  required: ["deviceId", "id", "sha256", "length", "receivedAt"],
  properties: {
    deviceId: deviceIdSchema,
    id: reviewEntryIdSchema,
    sha256: sha256Schema,
    length: { type: "integer", minimum: 0 },
    receivedAt: isoTimeSchema,
  },
} as const;

/** {@link reviewEntryInfoSchema} as a type. */
export interface ReviewEntryInfo {
  deviceId: string;
  id: string;
  sha256: string;
  length: number;
  receivedAt: string;
}

/** Query of `GET /v1/review`. */
export const reviewListQuerySchema = {
  type: "object",
  additionalProperties: false,
  properties: { device: deviceIdSchema, limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
} as const;

/** Response of `GET /v1/review`, newest first. */
export const reviewListResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["entries"],
  properties: { entries: { type: "array", items: reviewEntryInfoSchema } },
} as const;

/** {@link reviewListResponseSchema} as a type. */
export interface ReviewListResponse {
  entries: ReviewEntryInfo[];
}

/** Params of `GET /v1/review/:deviceId/:id`. */
export const reviewGetParamsSchema = {
  type: "object",
  additionalProperties: false,
  required: ["deviceId", "id"],
  properties: { deviceId: deviceIdSchema, id: reviewEntryIdSchema },
} as const;

/** Response of `GET /v1/review/:deviceId/:id`: the entry's facts and its ciphertext, base64. */
export const reviewGetResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: [...reviewEntryInfoSchema.required, "ciphertext"],
  properties: { ...reviewEntryInfoSchema.properties, ciphertext: { type: "string" } },
} as const;

/** {@link reviewGetResponseSchema} as a type. */
export interface ReviewGetResponse extends ReviewEntryInfo {
  ciphertext: string;
}

/** Response of `DELETE /v1/review/:deviceId/:id`: the entry removed (its params are {@link reviewGetParamsSchema}). */
export const reviewDeleteResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["deleted", "deviceId", "id", "sha256"],
  properties: {
    deleted: { type: "boolean", const: true },
    deviceId: deviceIdSchema,
    id: reviewEntryIdSchema,
    sha256: sha256Schema,
  },
} as const;

/** {@link reviewDeleteResponseSchema} as a type. */
export interface ReviewDeleteResponse {
  deleted: true;
  deviceId: string;
  id: string;
  sha256: string;
}
