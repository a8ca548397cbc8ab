/**
 * Fixed strings and sizes of OpenSSF Model Signing (OMS) v1.0 as written by sigstore/model-transparency
 * (src/model_signing/_signing/signing.py, sign_sigstore_pb.py, manifest.py).
 */

/** The sigstore bundle media type OMS v1.0 signers write (protobuf-specs `Bundle.media_type`, v0.3). */
export const OMS_BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

/** DSSE `payloadType` of an in-toto statement (in-toto attestation spec v1, "Envelope"). */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** in-toto Statement v1 `_type`. */
export const IN_TOTO_STATEMENT_TYPE = "https://in-toto.io/Statement/v1";

/** The OMS v1.0 predicate type. */
export const OMS_PREDICATE_TYPE = "https://model_signing/signature/v1.0";

/** The pre-1.0 (v0.2 release) predicate type, recognised only to say it is unsupported. */
export const OMS_PREDICATE_TYPE_V01 = "https://model_signing/Digests/v0.1";

/** The only content hash Edgeward signs and checks (`serialization.hash_type`). */
export const OMS_HASH_TYPE = "sha256";

/**
 * Shards align to the age payload STREAM's 64 KiB chunks (c2sp.org/age §Payload), so the decryptor can
 * hash each plaintext shard while it decrypts and the verifier need not read the model a second time.
 */
export const SHARD_ALIGNMENT = 65_536;

/**
 * Default shard size: 16 MiB. OMS's own default is 1,000,000,000 bytes (model-transparency hashing.py),
 * which leaves one core idle for any model under 1 GB and is not 64 KiB-aligned. At ~1.3 GB/s per core
 * (SHA-NI) a 16 MiB shard takes ~13 ms, so with a shared work queue the two workers finish within one
 * shard of each other, while a 1 GiB model still needs only 64 resources (~9 KB of statement).
 */
export const DEFAULT_SHARD_SIZE = 16 * 1024 * 1024;
