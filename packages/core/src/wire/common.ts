// Shared pieces of the hub <-> agent device API schemas (the device API contract: binary fields are standard padded
// base64, digests lowercase hex, errors `{code, message}`). Plain JSON Schema objects, usable as Fastify route schemas.

/** Largest decoded size, in bytes, the wire accepts for one TPM structure (TPM2B_PUBLIC, TPMS_ATTEST, signature). */
export const MAX_TPM_STRUCTURE_BYTES = 4096;
/** Largest decoded size, in bytes, of an EK certificate (DER). */
export const MAX_CERTIFICATE_BYTES = 16384;
/** Largest PEM text (certificate or CSR) on the wire. */
export const MAX_PEM_CHARS = 16384;
/** Largest signed note (checkpoint) text on the wire. */
export const MAX_NOTE_CHARS = 8192;

/** Base64 characters needed for `bytes` decoded bytes (padded). */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** Standard, padded base64. */
export const BASE64_PATTERN = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";
/** Lowercase hex. */
export const HEX_PATTERN = "^(?:[0-9a-f]{2})*$";

/** A base64 string that decodes to at most `maxBytes` bytes. */
export function base64Schema(maxBytes: number) {
  return { type: "string", pattern: BASE64_PATTERN, minLength: 4, maxLength: base64Length(maxBytes) } as const;
}

/** A base64 TPM structure (TPM2B_PUBLIC, TPMS_ATTEST, TPMT_SIGNATURE). */
export const tpmBytesSchema = base64Schema(MAX_TPM_STRUCTURE_BYTES);

/** A lowercase hex digest of up to SHA-512 size. */
export const digestHexSchema = { type: "string", pattern: "^[0-9a-f]{40,128}$", maxLength: 128 } as const;

/** A device identifier as the hub assigns it. */
export const deviceIdSchema = { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$", maxLength: 64 } as const;

/** An ISO 8601 timestamp. */
export const isoTimeSchema = { type: "string", format: "date-time", maxLength: 40 } as const;

/** A PCR selection in tpm2-tools text form, e.g. `sha256:0,1,7`. */
export const pcrSelectionTextSchema = {
  type: "string",
  pattern:
    "^(?:sha1|sha256|sha384|sha512):[0-9]{1,2}(?:,[0-9]{1,2})*(?:\\+(?:sha1|sha256|sha384|sha512):[0-9]{1,2}(?:,[0-9]{1,2})*)*$",
  maxLength: 256,
} as const;

/** A TPM signed structure: TPMS_ATTEST bytes and their TPMT_SIGNATURE, both base64. */
export const signedAttestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["attest", "signature"],
  properties: { attest: tpmBytesSchema, signature: tpmBytesSchema },
} as const;

/** {@link signedAttestSchema} as a type. */
export interface SignedAttest {
  /** TPMS_ATTEST, base64. */
  attest: string;
  /** TPMT_SIGNATURE, base64. */
  signature: string;
}

/** The error body of every failing device-API call. */
export const errorBodySchema = {
  type: "object",
  additionalProperties: false,
  required: ["code", "message"],
  properties: { code: { type: "string", pattern: "^EW_ERR_[A-Z0-9_]+$" }, message: { type: "string" } },
} as const;

/** {@link errorBodySchema} as a type. */
export interface ErrorBody {
  code: string;
  message: string;
}
