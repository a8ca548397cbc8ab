import { EXIT, type ErrorSpec } from "../spec.ts";

/** Error codes of the age area. Each code is documented in docs/errors.md (generated: npm run docs:errors). */
export const AGE_ERRORS = {
  // Header, recipients, identities, armor (c2sp.org/age §Header, §Native recipient types, §ASCII armor).
  EW_ERR_AGE_HEADER_MISSING: {
    message: "The input is empty or is not an age file; check that you passed the sealed file",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_HEADER_VERSION: {
    message:
      "The age header's version line is not age-encryption.org/v1; the file is damaged or from an unsupported version",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_HEADER_STANZA: {
    message: "A recipient stanza in the age header is malformed; the file is damaged",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_HEADER_BASE64: {
    message: "The age header holds base64 that is not canonical unpadded base64; the file is damaged or was altered",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_HEADER_MAC_LINE: {
    message: "The age header's MAC line is missing or malformed; the file is damaged",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_HEADER_TOO_LONG: {
    message: "The age header exceeds the size or stanza limit; the file is damaged or hostile",
    exit: EXIT.format,
    http: 413,
  },
  EW_ERR_AGE_HEADER_TRUNCATED: {
    message: "The input ends inside the age header; the file is truncated",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_HEADER_DUPLICATE: {
    message: "The age header repeats a recipient stanza; the file is damaged or was altered",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_HEADER_RECIPIENT: {
    message: "A recipient stanza addressed to this identity is invalid; the file is damaged or was altered",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_HEADER_SCRYPT_MIXED: {
    message: "The age header mixes an scrypt stanza with other stanzas, which the age spec forbids",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_HEADER_MAC: {
    message: "The age header's MAC does not verify; the file was altered or its header swapped",
    exit: EXIT.auth,
    http: 400,
  },
  EW_ERR_AGE_NO_IDENTITY: {
    message: "None of the given identities can open this file; pass the identity it was sealed to",
    exit: EXIT.auth,
    http: 403,
  },
  EW_ERR_AGE_SCRYPT_UNSUPPORTED: {
    message: "Passphrase (scrypt) age files are not supported; seal the model to a recipient key instead",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_ARMOR: {
    message: "The ASCII-armored age file is malformed; pass the file exactly as age -a wrote it",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_RECIPIENT: {
    message: "The recipient is not a valid age1, age1pq1 or age1tag1 public key; check for typos",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_AGE_RECIPIENT_MIX: {
    message: "Post-quantum (age1pq1) recipients cannot be mixed with classical ones in one file; seal separately",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_AGE_NO_RECIPIENTS: {
    message: "No recipients were given; pass at least one with -r or -R",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_AGE_IDENTITY: {
    message: "The identity file holds no valid age identity; pass a file written by edgeward keygen or age-keygen",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_AGE_FILE_KEY: {
    message: "An age file key must be exactly 16 bytes; this is a bug in the caller",
    exit: EXIT.internal,
    http: 500,
  },
  // Payload STREAM (c2sp.org/age §Payload, c2sp.org/agead): owned by packages/core/src/age/stream/.
  EW_ERR_AGE_PAYLOAD_NONCE: {
    message: "The age payload is shorter than its 16-byte nonce; the file is truncated",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_PAYLOAD_TRUNCATED: {
    message: "The age payload ends before its final chunk; the file is truncated or was cut short",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_PAYLOAD_TRAILING_DATA: {
    message: "The age payload has data after its final chunk; the file was altered or has bytes appended",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_PAYLOAD_EMPTY_LAST_CHUNK: {
    message:
      "The age payload ends with an empty chunk after other chunks, which the age spec forbids; the file was altered",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_AGE_PAYLOAD_AUTH: {
    message:
      "An age payload chunk failed authentication; the file was altered, its chunks reordered, or the key is wrong",
    exit: EXIT.auth,
    http: 400,
  },
  EW_ERR_AGE_STREAM_SHARD_SIZE: {
    message: "The shard size must be a positive multiple of 65536 bytes (the age chunk size)",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_AGE_STREAM_INPUT_CHANGED: {
    message: "The input file changed size while it was being read; retry once nothing is writing to it",
    exit: EXIT.io,
    http: 409,
  },
  EW_ERR_AGE_STREAM_WORKER: {
    message: "A payload worker thread stopped unexpectedly; retry, and report it if it happens again",
    exit: EXIT.internal,
    http: 500,
  },
} as const satisfies Record<string, ErrorSpec>;
