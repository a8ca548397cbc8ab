import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { describe, it } from "node:test";
import { throwsWithCode } from "@edgeward/testkit";
import {
  EMPTY_ROOT,
  MemoryTree,
  SIG_COSIGNATURE,
  addSignatureLines,
  cosignatureSigner,
  cosignatureTimestamp,
  formatCheckpoint,
  generateNoteKey,
  leafHash,
  openCheckpoint,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  signCheckpoint,
  verifyCosignatures,
  Witness,
} from "@edgeward/tlog";

const ROOT = Buffer.from("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", "base64");

describe("checkpoints (c2sp.org/tlog-checkpoint)", () => {
  it("formats and parses the specification's example body, extension lines kept", () => {
    const text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    const cp = parseCheckpoint(text);
    assert.equal(cp.origin, "example.com/behind-the-sofa");
    assert.equal(cp.size, 20852163);
    assert.deepEqual(Buffer.from(cp.root), ROOT);
    assert.equal(formatCheckpoint(cp), text);
    assert.deepEqual(parseCheckpoint(`${text}ext one\next two\n`).extensions, ["ext one", "ext two"]);
  });

  it("when the body is malformed or the size is out of range, rejects with EW_ERR_CHECKPOINT_MALFORMED", () => {
    const r = ROOT.toString("base64");
    const bad = [
      `o\n1\n${r}`, // no final newline
      `o\n1\n`, // two lines
      `\n1\n${r}\n`, // empty origin
      `o\n01\n${r}\n`, // leading zero
      `o\n-1\n${r}\n`,
      `o\n1.0\n${r}\n`,
      `o\n9007199254740992\n${r}\n`, // 2^53: past what this implementation represents
      `o\n1\n${r.slice(4)}\n`, // root too short
      `o\n1\n${Buffer.concat([ROOT, Buffer.of(1)]).toString("base64")}\n`, // 33 bytes
      `o\n1\n${r.replace("=", "")}\n`, // unpadded
      `o\n1\n${r}\n\next\n`, // empty extension line
    ];
    for (const text of bad) throwsWithCode(() => parseCheckpoint(text), "EW_ERR_CHECKPOINT_MALFORMED");
  });

  it("opens a signed checkpoint, and a checkpoint of another origin is refused with EW_ERR_CHECKPOINT_ORIGIN", () => {
    const { signer } = generateNoteKey("example.com/log");
    const key = parseVerifierKey(signer.vkey);
    const note = signCheckpoint({ origin: "example.com/log", size: 3, root: ROOT, extensions: [] }, [signer]);
    assert.equal(openCheckpoint(note, key).size, 3);
    const other = signCheckpoint({ origin: "example.com/other", size: 3, root: ROOT, extensions: [] }, [signer]);
    throwsWithCode(() => openCheckpoint(other, key), "EW_ERR_CHECKPOINT_ORIGIN");
  });
});

describe("witness cosignatures (c2sp.org/tlog-cosignature)", () => {
  const log = generateNoteKey("example.com/log");
  const w1 = generateNoteKey("witness.example/w1", SIG_COSIGNATURE);
  const w2 = generateNoteKey("witness.example/w2", SIG_COSIGNATURE);
  const tree = new MemoryTree();
  for (let i = 0; i < 10; i++) tree.append(leafHash(Buffer.from(`e${i}`)));
  const checkpointAt = (size: number): string =>
    signCheckpoint({ origin: "example.com/log", size, root: tree.rootAt(size), extensions: [] }, [log.signer]);

  it("a cosignature signs 'cosignature/v1', the time line and the checkpoint body, and carries the timestamp", () => {
    const note = checkpointAt(5);
    const seed = Buffer.from(w1.skey.trim().split("+").slice(4).join("+"), "base64").subarray(1);
    const fixed = cosignatureSigner("witness.example/w1", seed, () => 1679315147);
    const line = new Witness(fixed);
    line.follow(log.signer.vkey);
    const cosigned = addSignatureLines(note, [line.cosign(note, [])]);
    const sig = Buffer.from(cosigned.trim().split("\n").pop()!.split(" ")[2]!, "base64");
    assert.equal(sig.readBigUInt64BE(4), 1679315147n);
    const body = note.slice(0, note.indexOf("\n\n") + 1);
    const raw = Buffer.from(w1.signer.vkey.split("+").slice(2).join("+"), "base64").subarray(1);
    const pub = createPublicKey({
      key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]),
      format: "der",
      type: "spki",
    });
    assert.ok(verify(null, Buffer.from(`cosignature/v1\ntime 1679315147\n${body}`), pub, sig.subarray(12)));
    assert.deepEqual(verifyCosignatures(cosigned, { witnesses: [w1.signer.vkey], threshold: 1 }), [
      { witness: "witness.example/w1", timestamp: 1679315147n },
    ]);
  });

  it("a witness cosigns only checkpoints that extend the last one it cosigned", async () => {
    const witness = new Witness(w1.signer);
    witness.follow(log.signer.vkey);
    witness.cosign(checkpointAt(4), []);
    witness.cosign(checkpointAt(9), await tree.consistencyProof(4, 9));
    throwsWithCode(
      () =>
        witness.cosign(
          signCheckpoint({ origin: "example.com/log", size: 10, root: EMPTY_ROOT, extensions: [] }, [log.signer]),
          [],
        ),
      "EW_ERR_CHECKPOINT_INCONSISTENT",
    );
    const proof = await tree.consistencyProof(9, 10);
    witness.cosign(checkpointAt(10), proof);
    throwsWithCode(
      () =>
        witness.cosign(
          signCheckpoint({ origin: "example.com/log", size: 3, root: ROOT, extensions: [] }, [log.signer]),
          [],
        ),
      "EW_ERR_CHECKPOINT_STALE",
    );
    assert.match(witness.state()["example.com/log"]!, /^example.com\/log\n10\n/);
  });

  it("a policy needs its threshold of distinct trusted witnesses (EW_ERR_WITNESS_QUORUM), and refuses future timestamps (EW_ERR_COSIGNATURE_TIME)", () => {
    const note = checkpointAt(6);
    const ws = [w1, w2].map((w) => {
      const witness = new Witness(w.signer);
      witness.follow(log.signer.vkey);
      return witness.cosign(note, []);
    });
    const both = addSignatureLines(note, ws);
    const policy = { witnesses: [w1.signer.vkey, w2.signer.vkey], threshold: 2 };
    assert.equal(verifyCosignatures(both, policy).length, 2);
    throwsWithCode(
      () => verifyCosignatures(addSignatureLines(note, [ws[0]!, ws[0]!]), policy),
      "EW_ERR_WITNESS_QUORUM",
    );
    throwsWithCode(() => verifyCosignatures(note, policy), "EW_ERR_WITNESS_QUORUM");
    throwsWithCode(() => verifyCosignatures(both, { ...policy, notAfter: 1000 }), "EW_ERR_COSIGNATURE_TIME");
    // A log key is not a cosignature key.
    throwsWithCode(() => verifyCosignatures(both, { witnesses: [log.signer.vkey], threshold: 1 }), "EW_ERR_NOTE_VKEY");
  });

  it("when a cosignature is not a u64 timestamp and a 64-byte signature, rejects with EW_ERR_COSIGNATURE_MALFORMED", () => {
    const note = checkpointAt(7);
    const witness = new Witness(w1.signer);
    witness.follow(log.signer.vkey);
    const cosigned = addSignatureLines(note, [witness.cosign(note, [])]);
    // The parsed signature is what follows the 4-byte key ID (c2sp.org/tlog-cosignature §Format: timestamped_signature).
    const sig = parseNote(cosigned).signatures.find((s) => s.name === "witness.example/w1")!.signature;
    assert.equal(sig.length, 72);
    assert.ok(cosignatureTimestamp(sig) > 0n);
    for (const bad of [sig.subarray(0, 71), sig.subarray(0, 8), new Uint8Array(0), Buffer.concat([sig, Buffer.of(0)])])
      throwsWithCode(() => cosignatureTimestamp(bad), "EW_ERR_COSIGNATURE_MALFORMED");
  });
});
