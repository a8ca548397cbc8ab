// Device enrolment on the wire (ARCHITECTURE.md flow 2 "Enrol"): EK certificate or one-time token, MakeCredential to
// the EK for the AK, TPM2_Certify evidence by the AK for the unwrap key. Reachable without a client certificate.
import {
  base64Schema,
  deviceIdSchema,
  MAX_CERTIFICATE_BYTES,
  pcrSelectionTextSchema,
  signedAttestSchema,
  tpmBytesSchema,
  type SignedAttest,
} from "./common.ts";

/** The device states the hub keeps (pending → trusted → quarantined → revoked). */
export const DEVICE_STATES = ["pending", "trusted", "quarantined", "revoked"] as const;
/** One of {@link DEVICE_STATES}. */
export type DeviceState = (typeof DEVICE_STATES)[number];

/** Body of `POST /v1/device/enrol`. */
export const enrolRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["ekPublic", "ekType", "akPublic", "unwrapKey", "certify"],
  properties: {
    token: { type: "string", minLength: 1, maxLength: 256 },
    ekCertificate: base64Schema(MAX_CERTIFICATE_BYTES),
    ekPublic: tpmBytesSchema,
    ekType: { type: "string", enum: ["rsa", "ecc"] },
    akPublic: tpmBytesSchema,
    unwrapKey: {
      type: "object",
      additionalProperties: false,
      required: ["public", "recipient", "pcrSelection"],
      properties: {
        public: tpmBytesSchema,
        recipient: { type: "string", pattern: "^age1tag1[02-9ac-hj-np-z]+$", maxLength: 256 },
        pcrSelection: pcrSelectionTextSchema,
      },
    },
    certify: signedAttestSchema,
    /** Optional free-form facts (hostname, agent version), kept for operators. */
    facts: {
      type: "object",
      maxProperties: 16,
      additionalProperties: { type: "string", maxLength: 256 },
    },
  },
} as const;

/** {@link enrolRequestSchema} as a type. */
export interface EnrolRequest {
  /** One-time enrolment token, for TPMs without an EK certificate. */
  token?: string;
  /** EK certificate, DER, base64. */
  ekCertificate?: string;
  /** EK TPM2B_PUBLIC, base64. */
  ekPublic: string;
  ekType: "rsa" | "ecc";
  /** AK TPM2B_PUBLIC, base64. */
  akPublic: string;
  unwrapKey: {
    /** Unwrap key TPM2B_PUBLIC, base64. */
    public: string;
    /** Its `age1tag1…` recipient. */
    recipient: string;
    /** The PCRs its policy binds, tpm2-tools text form. */
    pcrSelection: string;
  };
  /** TPM2_Certify of the unwrap key by the AK. */
  certify: SignedAttest;
  facts?: Record<string, string>;
}

/** Response of `POST /v1/device/enrol`. */
export const enrolResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["enrolmentId", "credential"],
  properties: {
    enrolmentId: { type: "string" },
    credential: { type: "string" },
  },
} as const;

/** {@link enrolResponseSchema} as a type. */
export interface EnrolResponse {
  enrolmentId: string;
  /** The tpm2_makecredential output file bytes (for tpm2_activatecredential), base64. */
  credential: string;
}

/** Body of `POST /v1/device/enrol/activate`. */
export const activateRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["enrolmentId", "secret"],
  properties: {
    enrolmentId: { type: "string", minLength: 1, maxLength: 128 },
    secret: base64Schema(64),
  },
} as const;

/** {@link activateRequestSchema} as a type. */
export interface ActivateRequest {
  enrolmentId: string;
  /** The secret ActivateCredential recovered, base64. */
  secret: string;
}

/** Response of `POST /v1/device/enrol/activate`. */
export const activateResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["deviceId", "state"],
  properties: {
    deviceId: deviceIdSchema,
    state: { type: "string", enum: ["pending", "trusted", "quarantined", "revoked"] },
  },
} as const;

/** {@link activateResponseSchema} as a type. */
export interface ActivateResponse {
  deviceId: string;
  state: DeviceState;
}
