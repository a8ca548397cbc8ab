import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of the hub's device side: enrolment, attestation, device certificates and the deny list, key release,
 * device logs. Each code is documented in docs/errors.md (generated: npm run docs:errors).
 */
export const DEVICE_ERRORS = {
  // Enrolment (ARCHITECTURE.md flow 2): EK certificate or one-time token, MakeCredential, certify evidence.
  EW_ERR_DEVICE_ENROL_PROOF_MISSING: {
    message: "Enrolment needs an EK certificate or a one-time enrolment token; send one of them",
    exit: EXIT.auth,
    http: 401,
  },
  EW_ERR_DEVICE_ENROL_TOKEN: {
    message: "The enrolment token is unknown, expired or already used; ask an operator for a new one",
    exit: EXIT.auth,
    http: 401,
  },
  EW_ERR_DEVICE_ENROL_EK_MISMATCH: {
    message: "The EK public key sent does not match the EK certificate or is not a valid endorsement key",
    exit: EXIT.auth,
    http: 403,
  },
  EW_ERR_DEVICE_ENROL_UNKNOWN: {
    message: "No pending enrolment with this id (it expired or was already activated); enrol again",
    exit: EXIT.usage,
    http: 404,
  },
  EW_ERR_DEVICE_ENROL_SECRET: {
    message: "The activation secret is wrong: the AK does not live beside this EK; enrolment refused",
    exit: EXIT.auth,
    http: 403,
  },
  EW_ERR_DEVICE_ENROL_DUPLICATE: {
    message: "A device with this endorsement key is already enrolled; an operator must revoke it first",
    exit: EXIT.policy,
    http: 409,
  },
  EW_ERR_DEVICE_ENROL_UNWRAP_KEY: {
    message: "The unwrap key's recipient or PCR selection does not match the certified key",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_DEVICE_GROUP_UNKNOWN: {
    message: "No device group with this name on the hub; create it or use an existing group",
    exit: EXIT.usage,
    http: 404,
  },

  // Device identity: lookups, states and the deny list (ARCHITECTURE.md flow 3, promise 4).
  EW_ERR_DEVICE_UNKNOWN: {
    message: "No device with this id is enrolled on the hub",
    exit: EXIT.usage,
    http: 404,
  },
  EW_ERR_DEVICE_REVOKED: {
    message: "This device is revoked and refused on the device API",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_DEVICE_QUARANTINED: {
    message: "This device is quarantined and refused on this route until an operator releases it",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_DEVICE_CERT_MISMATCH: {
    message: "The client certificate names another device than the request",
    exit: EXIT.auth,
    http: 403,
  },
  EW_ERR_DEVICE_CERT_INVALID: {
    message: "The client certificate was not issued by this hub's device CA or is not valid now",
    exit: EXIT.auth,
    http: 401,
  },
  EW_ERR_DEVICE_CSR_INVALID: {
    message: "The certificate signing request is not a valid PKCS#10 request for a P-256 key",
    exit: EXIT.format,
    http: 400,
  },

  // Attestation (two phases; nonce single use).
  EW_ERR_DEVICE_NONCE_UNKNOWN: {
    message: "The nonce is unknown, already used or issued to another device; ask for a new challenge",
    exit: EXIT.policy,
    http: 409,
  },
  EW_ERR_DEVICE_NONCE_EXPIRED: {
    message: "The nonce expired before the quote arrived; ask for a new challenge",
    exit: EXIT.policy,
    http: 409,
  },
  EW_ERR_DEVICE_RATE_LIMITED: {
    message: "Too many attestation requests from this device; retry after the time given in Retry-After",
    exit: EXIT.policy,
    http: 429,
  },
  EW_ERR_ATTEST_PCR_VALUE: {
    message: "A quoted PCR value is not among the group's reference values",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_ATTEST_PCR_MISSING: {
    message: "The quote does not cover a PCR the group's policy requires",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_ATTEST_FIRMWARE: {
    message: "The TPM firmware version is below the group's minimum",
    exit: EXIT.policy,
    http: 403,
  },

  // Key release (ARCHITECTURE.md flow 4, promise 7): every refusal its own code.
  EW_ERR_KEY_RELEASE_UNKNOWN: {
    message: "No release with this id on the hub",
    exit: EXIT.usage,
    http: 404,
  },
  EW_ERR_KEY_RELEASE_NOT_TRUSTED: {
    message: "Key release refused: the device is not trusted",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_KEY_RELEASE_NOT_FRESH: {
    message: "Key release refused: the device has no fresh passing attestation; attest, then ask again",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_KEY_RELEASE_NOT_ROLLED_OUT: {
    message: "Key release refused: the release is not rolled out to the device's group",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_KEY_RELEASE_BELOW_FLOOR: {
    message: "Key release refused: the release's version is below the device's version floor",
    exit: EXIT.policy,
    http: 403,
  },
  EW_ERR_KEY_RELEASE_NO_KEY: {
    message: "This release has no sealed key to release (an unsealed package)",
    exit: EXIT.usage,
    http: 409,
  },

  // Device logs (ARCHITECTURE.md flow 7, promise 10).
  EW_ERR_DEVICE_LOG_KEY: {
    message: "The device log's verifier key is missing, malformed or differs from the one the hub holds",
    exit: EXIT.auth,
    http: 400,
  },
  EW_ERR_DEVICE_LOG_REWRITTEN: {
    message: "The device's log is not consistent with the checkpoint the hub holds: its history was rewritten",
    exit: EXIT.log,
    http: 409,
  },
  EW_ERR_DEVICE_LOG_ENTRIES: {
    message: "The shipped log entries do not match the new checkpoint",
    exit: EXIT.log,
    http: 400,
  },

  // Device CA (promise 4).
  EW_ERR_CA_STATE: {
    message: "The device CA's key or certificate cannot be loaded; check the hub directory",
    exit: EXIT.io,
    http: 500,
  },
} as const satisfies Record<string, ErrorSpec>;
