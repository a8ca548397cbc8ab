/**
 * The hub's check of a release's signature (ARCHITECTURE.md, flow 1; promise 6): the OMS bundle a publisher sends
 * with a release must be an OpenSSF Model Signing v1.0 bundle (sigstore bundle → DSSE → in-toto statement) signed
 * for the release's name, and its DSSE signature must verify under a publisher key the hub trusts. The hub holds
 * only ciphertext, so the statement's model digests are checked later, by the device, after decryption; what the
 * hub refuses here is a release no trusted publisher signed.
 */
import {
  bundleShardSize,
  EdgewardError,
  isEdgewardError,
  loadPublicKey,
  publicKeyHint,
  verifySignature,
} from "@edgeward/core";

/** What a bundle check reports for an accepted release. */
export interface BundleVerdict {
  /** The OMS key hint (lowercase hex SHA-256 of the SPKI PEM) of the publisher key that verified it. */
  readonly publisher: string;
}

/** The part of a release manifest the check reads. */
export interface SignedRelease {
  readonly name: string;
  /** The bundle's bytes as the publisher sent them (UTF-8 JSON). */
  readonly bundle: Uint8Array;
}

/**
 * Checks `release`'s OMS bundle against the trusted publisher keys (SPKI PEM). EW_ERR_RELEASE_BUNDLE_INVALID when
 * it is not JSON, not an OMS v1.0 bundle, or signed for another name; EW_ERR_RELEASE_PUBLISHER_UNTRUSTED when no
 * trusted key verifies its signature, and also when the hub trusts no publisher key at all: it fails closed
 * (docs/releases.md, "Publisher keys").
 */
export function checkReleaseBundle(release: SignedRelease, publisherKeys: readonly string[]): BundleVerdict {
  let bundle: unknown;
  try {
    bundle = JSON.parse(Buffer.from(release.bundle).toString("utf8"));
  } catch (err) {
    throw new EdgewardError("EW_ERR_RELEASE_BUNDLE_INVALID", { detail: "not JSON", cause: err });
  }
  if (publisherKeys.length === 0) {
    try {
      bundleShardSize(bundle);
    } catch (err) {
      throw new EdgewardError("EW_ERR_RELEASE_BUNDLE_INVALID", { detail: codeOf(err), cause: err });
    }
    throw new EdgewardError("EW_ERR_RELEASE_PUBLISHER_UNTRUSTED", {
      detail: "the hub trusts no publisher key yet: edgeward hub publishers add KEY.pub --dir HUB",
    });
  }
  let last: unknown;
  for (const publicKey of publisherKeys) {
    try {
      // DSSE protocol: the envelope's signature is verified before its statement is read (core's verifySignature).
      verifySignature({ bundle, publicKey, name: release.name });
      return { publisher: publicKeyHint(loadPublicKey(publicKey)) };
    } catch (err) {
      if (isFormatError(err))
        throw new EdgewardError("EW_ERR_RELEASE_BUNDLE_INVALID", { detail: codeOf(err), cause: err });
      // Another publisher's key (EW_ERR_SIG_KEY_MISMATCH, EW_ERR_SIG_INVALID): try the next trusted key.
      last = err;
    }
  }
  throw new EdgewardError("EW_ERR_RELEASE_PUBLISHER_UNTRUSTED", {
    detail: codeOf(last),
    cause: last,
  });
}

// The bundle's shape and statement (EW_ERR_OMS_*), and a statement for another model's name, are the release's
// fault whatever key checks it; a key mismatch or a bad signature only means this key is not the signer's.
function isFormatError(err: unknown): boolean {
  return (
    isEdgewardError(err) &&
    (err.code.startsWith("EW_ERR_OMS_") ||
      err.code === "EW_ERR_SIG_NAME_MISMATCH" ||
      err.code === "EW_ERR_INPUT_TOO_LARGE")
  );
}

function codeOf(err: unknown): string {
  return isEdgewardError(err) ? err.code : "unexpected error";
}
