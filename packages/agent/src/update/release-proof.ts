/**
 * The release's inclusion proof (ARCHITECTURE.md "The flows" 7: "an agent accepts only a release it has an
 * inclusion proof for"). The hub's answer to key release carries the log entry that published the release, an
 * RFC 9162 §2.1.3 inclusion proof, and a C2SP checkpoint; the agent checks the checkpoint with the log key it pinned
 * at enrolment (never the key the answer names), the proof against the checkpoint's root, and that the entry
 * publishes this very release: its id and the SHA-256 of the ciphertext TUF vouched for.
 */
import { EdgewardError, type wire } from "@edgeward/core";
import {
  decodeAuditEvent,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  verifyInclusion,
  type SignedCheckpoint,
} from "@edgeward/tlog";

/** What the release must be. */
export interface ExpectedRelease {
  readonly releaseId: string;
  /** Lowercase hex SHA-256 of the ciphertext, from the TUF target. */
  readonly sha256: string;
}

/** Checks the proof; EW_ERR_AGENT_RELEASE_PROOF for any failure. Returns the checkpoint it proved against. */
export function verifyReleaseProof(
  answer: wire.ReleaseKeyResponse,
  pinnedLogKey: string,
  expected: ExpectedRelease,
): SignedCheckpoint {
  try {
    if (answer.logKey !== pinnedLogKey) fail("the answer names another log key");
    const checkpoint = openCheckpoint(answer.checkpoint, parseVerifierKey(pinnedLogKey));
    if (answer.leaf === undefined) fail("the answer carries no log entry");
    const leaf = Buffer.from(answer.leaf, "base64");
    const event = decodeAuditEvent(leaf);
    const details = event.details;
    if (event.kind !== "model.publish") fail(`the entry is ${event.kind}, not model.publish`);
    if (details["release"] !== expected.releaseId) fail("the entry publishes another release");
    if (details["sha256"] !== expected.sha256) fail("the entry's ciphertext hash is not the TUF target's");
    const proof = answer.inclusionProof;
    if (proof.treeSize !== checkpoint.size || proof.index !== answer.logEntry.index)
      fail("the proof is not for this checkpoint and entry");
    verifyInclusion(
      leafHash(leaf),
      proof.index,
      proof.treeSize,
      proof.hashes.map((h) => Buffer.from(h, "hex")),
      checkpoint.root,
    );
    return checkpoint;
  } catch (err) {
    if (err instanceof EdgewardError && err.code === "EW_ERR_AGENT_RELEASE_PROOF") throw err;
    throw new EdgewardError("EW_ERR_AGENT_RELEASE_PROOF", {
      detail: err instanceof EdgewardError ? err.code : "malformed",
      cause: err,
    });
  }
}

function fail(detail: string): never {
  throw new EdgewardError("EW_ERR_AGENT_RELEASE_PROOF", { detail });
}
