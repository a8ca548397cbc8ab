// @edgeward/tlog: the tamper-evident audit log (ARCHITECTURE.md, promise 10). RFC 6962/9162 Merkle hashing and
// proofs, C2SP signed notes, checkpoints, cosignatures and proof bundles, and a durable log on SQLite or PostgreSQL.

// Merkle tree (RFC 9162 §2.1).
export { EMPTY_ROOT, HASH_SIZE, equalBytes, leafHash, nodeHash } from "./merkle/hash.ts";
export { MAX_TREE_SIZE, decompose, isPowerOfTwo, splitPoint, type NodeRef } from "./merkle/math.ts";
export { CompactRange, type StoredNode } from "./merkle/compact-range.ts";
export { consistencyPlan, inclusionPlan, resolvePlan, type NodeSource, type PlanItem } from "./merkle/plan.ts";
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from "./merkle/verify.ts";
export { MemoryTree } from "./merkle/memory-tree.ts";

// Signed notes, keys, checkpoints, cosignatures, proof bundles (C2SP).
export { decodeBase64, encodeBase64 } from "./note/base64.ts";
export {
  SIG_COSIGNATURE,
  SIG_ECDSA,
  SIG_ED25519,
  computeKeyId,
  cosignatureTimestamp,
  formatVerifierKey,
  isValidKeyName,
  parseVerifierKey,
  type NoteVerifier,
} from "./note/keys.ts";
export {
  cosignatureSigner,
  ecdsaSigner,
  ed25519Signer,
  generateEcdsaNoteKey,
  generateNoteKey,
  parseSignerKey,
  type NoteSigner,
} from "./note/signer.ts";
export {
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  addSignatureLines,
  openNote,
  parseNote,
  signNote,
  signatureLine,
  type NoteSignature,
  type OpenedNote,
} from "./note/note.ts";
export {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  type Checkpoint,
  type SignedCheckpoint,
} from "./checkpoint.ts";
export { Witness, checkExtends, verifyCosignatures, type Cosignature, type WitnessPolicy } from "./witness.ts";
export { formatTlogProof, parseTlogProof, verifyTlogProof, type ProofPolicy, type TlogProof } from "./proof-bundle.ts";
export { LogVerifier, type LogVerifierOptions } from "./client.ts";

// Audit events.
export { canonicalJson, type JsonValue } from "./canonical-json.ts";
export { parseStrictJson } from "./strict-json.ts";
export { readEventLines, type EventLine } from "./event-lines.ts";
export {
  AUDIT_KINDS,
  MAX_EVENT_BYTES,
  auditEvent,
  decodeAuditEvent,
  encodeAuditEvent,
  validateAuditEvent,
  type AuditEvent,
} from "./event.ts";

// The durable log and its storage.
// The stores load database drivers, so they are subpath exports and the root stays free of them:
// @edgeward/tlog/sqlite (SqliteStore), @edgeward/tlog/postgres (PostgresStore), @edgeward/tlog/open (openStore),
// and @edgeward/tlog/file-state (FileSignedState, the signed state kept in a file beside the key).
export type { Batch, EntryStats, LogMeta, LogStore, StoredCheckpoint, StoredEntry } from "./store/types.ts";
export {
  checkSignedState,
  formatSignedState,
  parseSignedState,
  type SignedState,
  type SignedStateStore,
  type TreeHead,
} from "./signed-state/state.ts";
export { LogReader, type ConsistencyProof, type InclusionProof } from "./reader.ts";
export { DurableLog, type DurableLogOptions, type Receipt } from "./log.ts";
export { auditLog, type AuditOptions, type AuditProblem, type AuditReport } from "./audit.ts";
