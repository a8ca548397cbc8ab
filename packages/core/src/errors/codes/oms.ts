import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of the model-signature area (OpenSSF Model Signing v1.0, packages/core/src/oms). Each code is
 * documented in docs/errors.md (generated: npm run docs:errors).
 *
 * `EW_ERR_OMS_*`: the signature file is not something Edgeward can check (format). `EW_ERR_SIG_*`: keys, and
 * checks that ran and said no (signature).
 */
export const OMS_ERRORS = {
  EW_ERR_OMS_BUNDLE_MALFORMED: {
    message: "The model signature is not a well-formed sigstore bundle; check that you passed the right .sig file",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_OMS_UNSUPPORTED: {
    message:
      "The model signature uses an OMS feature Edgeward does not check (certificates, transparency log entries, hashes other than SHA-256, directory models); re-sign it with edgeward seal --sign",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_OMS_PAYLOAD_TYPE: {
    message: "The signature envelope does not carry an in-toto statement; re-sign the model with edgeward seal --sign",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_OMS_PREDICATE: {
    message:
      "The signed statement is not a valid OpenSSF Model Signing v1.0 statement (predicate type, subject or resources); re-sign the model",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_OMS_SHARD_SIZE: {
    message: "The shard size must be a positive multiple of 65536 bytes",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_SIG_KEY_INVALID: {
    message:
      "The key is not a P-256 key in PEM (PKCS#8 private key or SPKI public key); create a pair with edgeward sign-keygen",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_SIG_KEY_MISMATCH: {
    message: "The signature was made with a different key than the one given; check which publisher key you passed",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_SIG_INVALID: {
    message: "The model signature does not verify: the signature file was altered or made with another key",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_SIG_DIGEST_MISMATCH: {
    message:
      "The model's bytes do not match its signature: the model was altered or the signature belongs to another model",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_SIG_NAME_MISMATCH: {
    message:
      "The signature names a different model than the one expected; check that model and signature belong together",
    exit: EXIT.signature,
    http: 422,
  },
} as const satisfies Record<string, ErrorSpec>;
