import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of the hub's releases: the TUF repository (TUF 1.0) that publishes them, the release store, and the
 * re-wrap of a release's file key for one device. Each code is documented in docs/errors.md (npm run docs:errors).
 */
export const TUF_ERRORS = {
  // The TUF repository (TUF 1.0 §4, §7).
  EW_ERR_TUF_POLICY: {
    message: "The TUF repository policy has a value out of range (thresholds and lifetimes are positive integers)",
    exit: EXIT.usage,
    http: 500,
  },
  EW_ERR_TUF_KEY: {
    message: "The TUF key is not an Ed25519 private key in PKCS#8 PEM; use the key files the hub's init wrote",
    exit: EXIT.format,
    http: 500,
  },
  EW_ERR_TUF_THRESHOLD: {
    message: "Too few of the role's keys were given to reach its signature threshold; bring more offline keys",
    exit: EXIT.signature,
    http: 500,
  },
  EW_ERR_TUF_SIGNER_MISMATCH: {
    message: "A key given for an online role is not the key the repository's metadata names for it",
    exit: EXIT.signature,
    http: 500,
  },
  EW_ERR_TUF_NOT_INITIALISED: {
    message: "The TUF repository has no metadata yet; run the hub's init first",
    exit: EXIT.usage,
    http: 503,
  },
  EW_ERR_TUF_ALREADY_INITIALISED: {
    message: "The TUF repository already has a root; rotate the root instead of creating a new one",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_TUF_METADATA_NOT_FOUND: {
    message: "No TUF metadata file of that name exists",
    exit: EXIT.io,
    http: 404,
  },
  EW_ERR_TUF_METADATA_CORRUPT: {
    message: "Stored TUF metadata does not parse or is not signed by its role's keys; restore the hub's database",
    exit: EXIT.signature,
    http: 500,
  },
  EW_ERR_TUF_TARGET_INVALID: {
    message: "The TUF target is invalid (path, length, sha256 or custom metadata out of range)",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_TUF_TARGET_EXISTS: {
    message: "A TUF target with that path already exists with other contents; publish under a new version",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_TUF_TARGET_NOT_FOUND: {
    message: "No TUF target of that path exists",
    exit: EXIT.io,
    http: 404,
  },

  // Releases: upload, listing, rollout and the per-device re-wrap (ARCHITECTURE.md, flows 1 and 4).
  EW_ERR_RELEASE_INVALID: {
    message: "The release manifest is invalid (name, version, floor, kind, digests or groups)",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_RELEASE_EXISTS: {
    message: "A release with that name and version already exists; publish a new version",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_RELEASE_NOT_FOUND: {
    message: "No release with that id exists",
    exit: EXIT.io,
    http: 404,
  },
  EW_ERR_RELEASE_STATE: {
    message: "The release is not in a state that allows this step (its ciphertext is missing or already uploaded)",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_RELEASE_DIGEST_MISMATCH: {
    message: "The uploaded ciphertext's length or sha256 differs from the release manifest; upload the file again",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_RELEASE_ESCROW: {
    message: "The release's age header has no stanza the hub's escrow identity opens; seal to the hub's recipient",
    exit: EXIT.auth,
    http: 422,
  },
  EW_ERR_RELEASE_NOT_SEALED: {
    message: "The release is not sealed, so it has no key to release; download the package directly",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_RANGE_NOT_SATISFIABLE: {
    message: "The requested byte range is not within the target file; restart the download from its current size",
    exit: EXIT.usage,
    http: 416,
  },
  EW_ERR_RELEASE_BUNDLE_INVALID: {
    message:
      "The release's signature is not an OMS v1.0 bundle for this release's name; sign it with `model publish --sign`",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_RELEASE_PUBLISHER_UNTRUSTED: {
    message:
      "No publisher key the hub trusts verifies the release's OMS signature; sign with a trusted key, or add yours",
    exit: EXIT.signature,
    http: 403,
  },
  EW_ERR_RELEASE_RECIPIENT: {
    message: "The device recipient is not a valid age1tag1 (P-256 tag) recipient",
    exit: EXIT.format,
    http: 400,
  },
} as const satisfies Record<string, ErrorSpec>;
