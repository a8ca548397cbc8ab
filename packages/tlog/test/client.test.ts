import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { throwsWithCode } from "@edgeward/testkit";
import {
  LogVerifier,
  MemoryTree,
  SIG_COSIGNATURE,
  Witness,
  addSignatureLines,
  formatTlogProof,
  generateNoteKey,
  leafHash,
  parseTlogProof,
  signCheckpoint,
  verifyTlogProof,
} from "@edgeward/tlog";

const ORIGIN = "example.com/log";
const log = generateNoteKey(ORIGIN);
const entries = Array.from({ length: 40 }, (_, i) => Buffer.from(`entry ${i}`));
const tree = new MemoryTree();
for (const e of entries) tree.append(leafHash(e));
const checkpointAt = (t: MemoryTree, size: number): string =>
  signCheckpoint({ origin: ORIGIN, size, root: t.rootAt(size), extensions: [] }, [log.signer]);

describe("LogVerifier: trusted checkpoint, moved forward only by consistency proofs", () => {
  it("accepts a chain of growing checkpoints, each with a proof from the last trusted one", async () => {
    const v = new LogVerifier({ logKey: log.signer.vkey });
    v.update(checkpointAt(tree, 3), []);
    for (const [from, to] of [
      [3, 8],
      [8, 8],
      [8, 21],
      [21, 40],
    ] as const)
      v.update(checkpointAt(tree, to), await tree.consistencyProof(from, to));
    assert.equal(v.trusted?.size, 40);
    v.verifyInclusion(entries[17]!, 17, await tree.inclusionProof(17, 40));
    throwsWithCode(() => v.verifyInclusion(entries[18]!, 17, []), "EW_ERR_PROOF_INVALID");
    // The persisted state restores the same trust.
    assert.equal(new LogVerifier({ logKey: log.signer.vkey, trusted: v.trustedNote! }).trusted?.size, 40);
  });

  it("when history before the trusted size was rewritten, rejects with EW_ERR_CHECKPOINT_INCONSISTENT", async () => {
    const v = new LogVerifier({ logKey: log.signer.vkey, trusted: checkpointAt(tree, 20) });
    const forked = new MemoryTree();
    entries.forEach((e, i) => forked.append(leafHash(i === 5 ? Buffer.from("rewritten") : e)));
    const forkedNote = checkpointAt(forked, 40);
    // With the honest log's proof, and with the forked log's own (valid-looking) proof.
    const honestProof = await tree.consistencyProof(20, 40);
    throwsWithCode(() => v.update(forkedNote, honestProof), "EW_ERR_CHECKPOINT_INCONSISTENT");
    const forkedProof = await forked.consistencyProof(20, 40);
    throwsWithCode(() => v.update(forkedNote, forkedProof), "EW_ERR_CHECKPOINT_INCONSISTENT");
  });

  it("when the new checkpoint is smaller (a truncated or rolled-back log), rejects with EW_ERR_CHECKPOINT_STALE", () => {
    const v = new LogVerifier({ logKey: log.signer.vkey, trusted: checkpointAt(tree, 20) });
    const older = checkpointAt(tree, 19);
    throwsWithCode(() => v.update(older, []), "EW_ERR_CHECKPOINT_STALE");
  });

  it("when the checkpoint is signed by another key or for another origin, rejects with a typed code", () => {
    const v = new LogVerifier({ logKey: log.signer.vkey });
    const other = generateNoteKey(ORIGIN);
    throwsWithCode(
      () =>
        v.update(
          signCheckpoint({ origin: ORIGIN, size: 1, root: tree.node({ level: 0, index: 0 }), extensions: [] }, [
            other.signer,
          ]),
          [],
        ),
      "EW_ERR_NOTE_UNKNOWN_KEY",
    );
    const first = checkpointAt(tree, 1);
    throwsWithCode(
      () => new LogVerifier({ logKey: log.signer.vkey, origin: "example.com/else" }).update(first, []),
      "EW_ERR_CHECKPOINT_ORIGIN",
    );
    assert.equal(v.trusted, undefined);
  });

  it("with a witness policy, accepts only checkpoints with enough cosignatures", () => {
    const w = generateNoteKey("witness.example/w", SIG_COSIGNATURE);
    const witness = new Witness(w.signer);
    witness.follow(log.signer.vkey);
    const v = new LogVerifier({ logKey: log.signer.vkey, witnesses: { witnesses: [w.signer.vkey], threshold: 1 } });
    const note = checkpointAt(tree, 10);
    throwsWithCode(() => v.update(note, []), "EW_ERR_WITNESS_QUORUM");
    v.update(addSignatureLines(note, [witness.cosign(note, [])]), []);
    assert.equal(v.trusted?.size, 10);
  });
});

describe("tlog-proof bundles (c2sp.org/tlog-proof)", () => {
  it("round-trip, and verify offline for the right entry only", async () => {
    const note = checkpointAt(tree, 40);
    const text = formatTlogProof({
      extra: Buffer.from("ctx"),
      index: 9,
      proof: await tree.inclusionProof(9, 40),
      checkpoint: note,
    });
    assert.match(text, /^c2sp\.org\/tlog-proof@v1\nextra Y3R4\nindex 9\n/);
    const parsed = parseTlogProof(text);
    assert.equal(parsed.index, 9);
    assert.equal(verifyTlogProof(text, entries[9]!, { logKey: log.signer.vkey }).checkpoint.size, 40);
    throwsWithCode(() => verifyTlogProof(text, entries[10]!, { logKey: log.signer.vkey }), "EW_ERR_PROOF_INVALID");
    const v = new LogVerifier({ logKey: log.signer.vkey });
    assert.equal(v.verifyBundle(text, entries[9]!).index, 9);
  });

  it("when the bundle is malformed, rejects with EW_ERR_PROOF_BUNDLE_MALFORMED", async () => {
    const note = checkpointAt(tree, 40);
    const good = formatTlogProof({ index: 9, proof: await tree.inclusionProof(9, 40), checkpoint: note });
    const lines = good.split("\n");
    const bad = [
      good.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
      good.replace("index 9", "index 09"),
      good.replace("index 9", "index -1"),
      good.replace("index 9\n", ""),
      good.replace(lines[2]!, lines[2]!.slice(4)), // a 29-byte hash
      good.replace(lines[2]!, `${lines[2]!.slice(0, -1)}!`),
      good.replace("\n\n", "\n"),
    ];
    for (const text of bad) throwsWithCode(() => parseTlogProof(text), "EW_ERR_PROOF_BUNDLE_MALFORMED");
  });
});
