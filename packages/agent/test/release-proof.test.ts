import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { wire } from "@edgeward/core";
import { auditEvent, DurableLog, encodeAuditEvent, generateNoteKey } from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { throwsWithCode } from "@edgeward/testkit";
import { verifyReleaseProof } from "@edgeward/agent";

const SHA = "ab".repeat(32);

/** A hub-like log (RFC 6962 on SQLite in memory) holding a few entries and a model.publish for release `rel-1`. */
async function hubAnswer(): Promise<{ answer: wire.ReleaseKeyResponse; logKey: string }> {
  const { signer } = generateNoteKey("hub.example/log");
  const log = await DurableLog.create(new SqliteStore(":memory:"), { origin: signer.name, signer });
  const event = (kind: string, release: string) =>
    encodeAuditEvent(
      auditEvent({ actor: "hub", kind, subject: "model:m@1", details: { release, sha256: SHA, target: "m/1" } }),
    );
  await log.append(event("device.enrol", "x"));
  const leaf = event("model.publish", "rel-1");
  const { index } = await log.append(leaf);
  await log.append(event("model.publish", "rel-2"));
  const cp = await log.reader.checkpoint();
  const proof = await log.reader.inclusionProof(index, cp.size);
  const answer: wire.ReleaseKeyResponse = {
    header: "AAAA",
    logEntry: { index },
    inclusionProof: {
      treeSize: proof.treeSize,
      index,
      hashes: proof.proof.map((h) => Buffer.from(h).toString("hex")),
    },
    checkpoint: cp.note,
    logKey: signer.vkey,
    leaf: Buffer.from(leaf).toString("base64"),
  };
  await log.close();
  return { answer, logKey: signer.vkey };
}

describe("the release's inclusion proof in the hub's log", () => {
  let answer: wire.ReleaseKeyResponse;
  let logKey: string;
  before(async () => ({ answer, logKey } = await hubAnswer()));
  const expected = { releaseId: "rel-1", sha256: SHA };

  it("accepts the entry that published this release, proved into a checkpoint signed by the pinned key", () => {
    assert.equal(verifyReleaseProof(answer, logKey, expected).size, 3);
  });

  it("refuses, each with EW_ERR_AGENT_RELEASE_PROOF: another log's key, another release, another hash, a bad proof", async () => {
    const other = await hubAnswer();
    const refuse = (a: wire.ReleaseKeyResponse, key = logKey, exp = expected) =>
      throwsWithCode(() => verifyReleaseProof(a, key, exp), "EW_ERR_AGENT_RELEASE_PROOF");
    refuse(other.answer); // a checkpoint from a log the device did not pin
    refuse({ ...answer, logKey: other.logKey }, other.logKey === logKey ? "x" : logKey);
    refuse(answer, logKey, { releaseId: "rel-2", sha256: SHA });
    refuse(answer, logKey, { releaseId: "rel-1", sha256: "cd".repeat(32) });
    const hashes = [...answer.inclusionProof.hashes];
    hashes[0] = "00".repeat(32);
    refuse({ ...answer, inclusionProof: { ...answer.inclusionProof, hashes } });
    refuse({ ...answer, inclusionProof: { ...answer.inclusionProof, treeSize: 2 } });
    const { leaf: _leaf, ...noLeaf } = answer;
    refuse(noLeaf);
    refuse({ ...answer, checkpoint: answer.checkpoint.replace(/\n\n.*/s, "\n\n— forged signature\n") });
  });
});
