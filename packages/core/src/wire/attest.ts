// Two-phase, device-initiated attestation on the wire (ARCHITECTURE.md flow 3 "Attest", Keylime's push model): the
// device announces what it can quote and gets a single-use nonce and the PCR selection; it returns a quote over it.
import {
  base64Schema,
  deviceIdSchema,
  errorBodySchema,
  isoTimeSchema,
  MAX_PEM_CHARS,
  pcrSelectionTextSchema,
  signedAttestSchema,
  type ErrorBody,
  type SignedAttest,
} from "./common.ts";

/** The PCR banks a device may announce. */
export const PCR_BANKS = ["sha1", "sha256", "sha384", "sha512"] as const;
/** One of {@link PCR_BANKS}. */
export type WirePcrBank = (typeof PCR_BANKS)[number];

/** Body of `POST /v1/device/attest/challenge`. */
export const challengeRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["deviceId", "banks"],
  properties: {
    deviceId: deviceIdSchema,
    banks: {
      type: "array",
      minItems: 1,
      maxItems: 4,
      uniqueItems: true,
      items: { type: "string", enum: ["sha1", "sha256", "sha384", "sha512"] },
    },
    bootTime: isoTimeSchema,
  },
} as const;

/** {@link challengeRequestSchema} as a type. */
export interface ChallengeRequest {
  deviceId: string;
  banks: WirePcrBank[];
  /** When the device last booted, as it knows it. */
  bootTime?: string;
}

/** Response of `POST /v1/device/attest/challenge`. */
export const challengeResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["nonce", "pcrSelection", "expiresAt"],
  properties: {
    nonce: { type: "string", pattern: "^[0-9a-f]{32,128}$" },
    pcrSelection: pcrSelectionTextSchema,
    expiresAt: isoTimeSchema,
  },
} as const;

/** {@link challengeResponseSchema} as a type. */
export interface ChallengeResponse {
  /** Single-use nonce, hex; the quote's qualifying data. */
  nonce: string;
  /** The PCRs the group's policy wants quoted, tpm2-tools text form. */
  pcrSelection: string;
  expiresAt: string;
}

/** PCR values per bank: `{"sha256": {"0": hex, …}}`. */
export const pcrValuesSchema = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  // propertyNames rejects (Fastify's Ajv strips unknown properties rather than failing on additionalProperties).
  propertyNames: { enum: ["sha1", "sha256", "sha384", "sha512"] },
  properties: Object.fromEntries(
    ["sha1", "sha256", "sha384", "sha512"].map((bank) => [
      bank,
      {
        type: "object",
        additionalProperties: false,
        propertyNames: { pattern: "^(?:[0-9]|1[0-9]|2[0-3])$" },
        patternProperties: { "^(?:[0-9]|1[0-9]|2[0-3])$": { type: "string", pattern: "^[0-9a-f]{40,128}$" } },
        minProperties: 1,
        maxProperties: 24,
      },
    ]),
  ),
} as const;

/** {@link pcrValuesSchema} as a type: bank name to PCR index (decimal string) to hex value. */
export type WirePcrValues = Partial<Record<WirePcrBank, Record<string, string>>>;

/** Largest TCG event log the hub accepts, decoded bytes. */
export const MAX_EVENT_LOG_BYTES = 256 * 1024;

/** Body of `POST /v1/device/attest/quote`. */
export const quoteRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["deviceId", "nonce", "quote", "pcrs"],
  properties: {
    deviceId: deviceIdSchema,
    nonce: { type: "string", pattern: "^[0-9a-f]{32,128}$" },
    quote: signedAttestSchema,
    pcrs: pcrValuesSchema,
    eventLog: base64Schema(MAX_EVENT_LOG_BYTES),
    csr: { type: "string", minLength: 1, maxLength: MAX_PEM_CHARS },
    firmwareVersion: { type: "string", maxLength: 128 },
  },
} as const;

/** {@link quoteRequestSchema} as a type. */
export interface QuoteRequest {
  deviceId: string;
  nonce: string;
  /** TPM2_Quote by the AK over the challenge's selection with the nonce as qualifying data. */
  quote: SignedAttest;
  pcrs: WirePcrValues;
  /** TCG event log, base64. */
  eventLog?: string;
  /** PKCS#10 CSR (PEM, P-256) for the device's mTLS certificate. */
  csr?: string;
  /** The device's firmware version as the agent reads it. */
  firmwareVersion?: string;
}

/** Response of `POST /v1/device/attest/quote`. */
export const quoteResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["result", "reasons", "nextAttestAt", "caCertificate"],
  properties: {
    result: { type: "string", enum: ["pass", "fail"] },
    reasons: { type: "array", items: errorBodySchema },
    nextAttestAt: isoTimeSchema,
    certificate: { type: "string" },
    caCertificate: { type: "string" },
  },
} as const;

/** {@link quoteResponseSchema} as a type. */
export interface QuoteResponse {
  result: "pass" | "fail";
  /** Every reason for a fail (empty on pass), each an error code and a sentence. */
  reasons: ErrorBody[];
  /** When the device should attest next (with jitter). */
  nextAttestAt: string;
  /** The device's new mTLS certificate (PEM), when a CSR was sent and the quote passed. */
  certificate?: string;
  /** The hub's device CA (PEM). */
  caCertificate: string;
}
