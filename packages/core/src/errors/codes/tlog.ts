import { EXIT, type ErrorSpec } from "../spec.ts";

/** Error codes of the tlog area. Each code is documented in docs/errors.md (generated: npm run docs:errors). */
export const TLOG_ERRORS = {
  // Merkle proofs (RFC 9162 §2.1.3, §2.1.4).
  EW_ERR_PROOF_MALFORMED: {
    message: "The Merkle proof is malformed (a hash is not 32 bytes of valid base64); obtain the proof again",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_PROOF_RANGE: {
    message: "The proof's index or tree sizes are out of range; ask for a proof within the checkpoint's tree size",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_PROOF_INVALID: {
    message:
      "The Merkle proof does not verify against the root; the entry or the log's history is not what was claimed",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_PROOF_BUNDLE_MALFORMED: {
    message: "The tlog-proof bundle is malformed (c2sp.org/tlog-proof); obtain the bundle again",
    exit: EXIT.format,
    http: 400,
  },

  // Signed notes and keys (c2sp.org/signed-note).
  EW_ERR_NOTE_MALFORMED: {
    message: "The signed note is malformed (c2sp.org/signed-note); obtain the note again",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_NOTE_TOO_LARGE: {
    message: "The signed note has too many signatures or is too large; remove unneeded signatures",
    exit: EXIT.format,
    http: 413,
  },
  EW_ERR_NOTE_UNKNOWN_KEY: {
    message: "The note carries no signature from a trusted key; check the verifier key you passed",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_NOTE_SIGNATURE: {
    message: "A signature from a trusted key on the note does not verify; the note was altered or forged",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_NOTE_VKEY: {
    message: "The verifier key is malformed; expect name+keyid+base64 as printed by `edgeward log init`",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_NOTE_SKEY: {
    message: "The signing key file is malformed or of an unsupported type; create a new one with `edgeward log init`",
    exit: EXIT.format,
    http: 400,
  },

  // Checkpoints and cosignatures (c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature).
  EW_ERR_CHECKPOINT_MALFORMED: {
    message: "The checkpoint is malformed (c2sp.org/tlog-checkpoint: origin, size and root lines); obtain it again",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_CHECKPOINT_ORIGIN: {
    message: "The checkpoint is for a different log origin; check which log you are talking to",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_CHECKPOINT_INCONSISTENT: {
    message: "The checkpoint is inconsistent with an earlier one; the log's history was rewritten or forked",
    exit: EXIT.log,
    http: 409,
  },
  EW_ERR_CHECKPOINT_STALE: {
    message: "The checkpoint is older than the one already trusted; fetch the latest checkpoint",
    exit: EXIT.log,
    http: 409,
  },
  EW_ERR_COSIGNATURE_MALFORMED: {
    message: "The witness cosignature is malformed (c2sp.org/tlog-cosignature); obtain it again",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_COSIGNATURE_TIME: {
    message: "The witness cosignature's timestamp is out of range or in the future; check the witness's clock",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_WITNESS_QUORUM: {
    message: "Too few trusted witnesses cosigned the checkpoint; wait for more cosignatures or check the witness keys",
    exit: EXIT.policy,
    http: 422,
  },

  // Audit events.
  EW_ERR_LOG_EVENT_INVALID: {
    message: "The audit event does not match the schema (time, actor, kind, subject, details); fix the entry",
    exit: EXIT.format,
    http: 400,
  },

  EW_ERR_LOG_EVENT_DUPLICATE_KEY: {
    message: "The audit event's JSON names the same member twice, so it could be read two ways; send each member once",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_LOG_EVENT_NUMBER: {
    message:
      "The audit event holds a number that cannot be kept exactly (an integer beyond 2^53 or out of range); send it as a string",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_LOG_EVENT_CHARACTER: {
    message:
      "The audit event's actor, kind or subject holds a control, bidirectional or invisible character; remove it",
    exit: EXIT.format,
    http: 400,
  },

  // The durable log.
  EW_ERR_LOG_EXISTS: {
    message: "A log already exists at this location; open it instead of initialising it again",
    exit: EXIT.usage,
    http: 409,
  },
  EW_ERR_LOG_NOT_FOUND: {
    message: "No log exists at this location; create one with `edgeward log init`",
    exit: EXIT.io,
    http: 404,
  },
  EW_ERR_LOG_STORAGE: {
    message: "The log's database could not be opened, read or written; check the path or URL and its permissions",
    exit: EXIT.io,
    http: 503,
  },
  EW_ERR_LOG_KEY_MISMATCH: {
    message: "The signing key does not belong to this log; pass the key the log was created with",
    exit: EXIT.usage,
    http: 400,
  },
  EW_ERR_LOG_STORAGE_MISMATCH: {
    message:
      "The log's storage contradicts its last signed checkpoint, so it refuses to start; run `edgeward log verify`",
    exit: EXIT.log,
    http: 500,
  },
  EW_ERR_LOG_CONCURRENT_WRITER: {
    message: "Another process changed the log's head during a commit; open the log again",
    exit: EXIT.log,
    http: 409,
  },
  EW_ERR_LOG_ROLLED_BACK: {
    message:
      "The log's storage is behind or apart from the last checkpoint its key signed (restored from an older copy?), so the key refuses to sign; restore the newest copy, or start a new log with a new key",
    exit: EXIT.log,
    http: 409,
  },
  EW_ERR_LOG_SIGNED_STATE: {
    message:
      "The record of the last checkpoint the log's key signed (kept beside the key) is missing, unreadable or for another key; restore it from the newest backup of the key",
    exit: EXIT.log,
    http: 500,
  },
  EW_ERR_LOG_CLOSED: {
    message: "The log is closed or stopped after a storage failure; open it again",
    exit: EXIT.log,
    http: 503,
  },
  EW_ERR_LOG_FULL: {
    message: "The log has reached its maximum size of 2^40 entries; start a new log",
    exit: EXIT.log,
    http: 507,
  },
  EW_ERR_LOG_ENTRY_CHANGED: {
    message: "A stored log entry was changed after it was signed; restore the log from a trusted copy",
    exit: EXIT.log,
    http: 500,
  },
  EW_ERR_LOG_ENTRY_MISSING: {
    message: "A stored log entry is missing; restore the log from a trusted copy",
    exit: EXIT.log,
    http: 500,
  },
  EW_ERR_LOG_ENTRY_EXTRA: {
    message:
      "The log's storage holds an entry outside its signed tree (a negative index, or past the tree size); restore the log from a trusted copy",
    exit: EXIT.log,
    http: 500,
  },
  EW_ERR_LOG_TRUNCATED: {
    message:
      "The log is shorter than a checkpoint it signed; entries were removed, restore the log from a trusted copy",
    exit: EXIT.log,
    http: 500,
  },
} as const satisfies Record<string, ErrorSpec>;
