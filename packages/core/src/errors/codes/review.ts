import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of review shipping (docs/guard.md "Review queue"): sealed review entries a device sends to the hub
 * with its audit shipping, and operators download.
 */
export const REVIEW_ERRORS = {
  EW_ERR_REVIEW_ENTRY_INVALID: {
    message:
      "The review entry is not an age file (it must be ciphertext sealed to the review recipient), or its SHA-256 differs from the one sent",
    exit: EXIT.format,
    http: 422,
  },
  EW_ERR_REVIEW_ENTRY_CONFLICT: {
    message: "The device already sent a different review entry under this id; entries are immutable",
    exit: EXIT.policy,
    http: 409,
  },
  EW_ERR_REVIEW_ENTRY_NOT_FOUND: {
    message: "No review entry with this device and id; list them with `edgeward hub review list`",
    exit: EXIT.usage,
    http: 404,
  },
  EW_ERR_REVIEW_QUOTA_EXCEEDED: {
    message:
      "The device holds as many review entries or bytes on the hub as its quota allows; it keeps the entry and retries after Retry-After, once an operator deleted entries or retention removed them",
    exit: EXIT.policy,
    http: 429,
  },
  EW_ERR_REVIEW_STORAGE_FULL: {
    message:
      "The hub's review storage for the whole fleet is full; the device keeps the entry and retries after Retry-After, once operators deleted entries",
    exit: EXIT.policy,
    http: 507,
  },
  EW_ERR_REVIEW_ACK_MISMATCH: {
    message:
      "The hub acknowledged a review entry with another id or SHA-256 than the one sent; the entry stays on the device",
    exit: EXIT.signature,
    http: 502,
  },
} as const satisfies Record<string, ErrorSpec>;
