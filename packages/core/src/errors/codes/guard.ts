import { EXIT, type ErrorSpec } from "../spec.ts";

/** Error codes of the inference guard: its file, its models, the inputs it refuses and its review queue. */
export const GUARD_ERRORS = {
  EW_ERR_GUARD_FILE: {
    message: "The guard file is not valid YAML or JSON matching the guard schema; see docs/guard.md",
    exit: EXIT.format,
    http: 422,
  },
  EW_ERR_GUARD_DIGEST: {
    message: "The guard file's SHA-256 digest differs from the one the release names; the guard was changed",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_GUARD_MODEL_DIGEST: {
    message: "A model's SHA-256 digest differs from the one the guard file names; use the model it was calibrated for",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_GUARD_BUNDLE: {
    message:
      "The guard bundle is malformed (bad magic or version, a bad, repeated or unsorted name, a size over its limit, truncated or trailing bytes) or lacks guard.yaml",
    exit: EXIT.format,
    http: 422,
  },
  EW_ERR_GUARD_NOT_DECLARED: {
    message:
      "The release's manifest declared no guard, so it takes no guard payload; publish a new version with --guard",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_GUARD_PAYLOAD_MISSING: {
    message: "The release declared a guard: upload the guard payload before the model's ciphertext",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_GUARD_INPUT: {
    message: "The input does not match the model's contract (type, shape or value range)",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_IMAGE_FORMAT: {
    message: "The image could not be decoded (truncated, corrupt, or not a supported image type)",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_IMAGE_LIMIT: {
    message: "The image exceeds the guard's byte or pixel limit (a decompression bomb is refused before decoding)",
    exit: EXIT.format,
    http: 413,
  },
  EW_ERR_GUARD_DATA: {
    message: "The calibration data could not be read: give an IDX file (gzip or not) or a folder of images",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_GUARD_CALIBRATION: {
    message: "Calibration needs more clean samples, or a target false-positive rate strictly between 0 and 0.5",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_REVIEW_QUEUE_FULL: {
    message: "The review queue is full; ship or drain its entries before more can be queued",
    exit: EXIT.io,
    http: 503,
  },
} as const satisfies Record<string, ErrorSpec>;
