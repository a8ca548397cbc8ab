import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { throwsWithCode } from "@edgeward/testkit";
import {
  MAX_NOTE_SIGNATURES,
  SIG_ECDSA,
  encodeBase64,
  generateEcdsaNoteKey,
  generateNoteKey,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from "@edgeward/tlog";

// c2sp.org/signed-note example (C2SP/C2SP commit 5ba5ee8), read in place from the shared vectors.
const example = JSON.parse(
  readFileSync(new URL("../../../../shared/vectors/signed-note/c2sp-example.json", import.meta.url), "utf8"),
) as {
  vkey: string;
  note: string;
};

describe("signed notes (c2sp.org/signed-note)", () => {
  const key = parseVerifierKey(example.vkey);

  it("the specification's example note verifies under its verifier key", () => {
    assert.equal(key.keyId, 0x530d903a);
    const opened = openNote(example.note, [key]);
    assert.equal(opened.text, "This is an example message.\n");
    assert.deepEqual(opened.verifiedBy, [key]);
  });

  it("when the example's text changes, rejects with EW_ERR_NOTE_SIGNATURE", () => {
    throwsWithCode(
      () => openNote(example.note.replace("example message", "example massage"), [key]),
      "EW_ERR_NOTE_SIGNATURE",
    );
  });

  it("when the example's signature name changes, the signature is unknown and rejects with EW_ERR_NOTE_UNKNOWN_KEY", () => {
    throwsWithCode(
      () => openNote(example.note.replace("\u2014 example.com/foo", "\u2014 example.com/bar"), [key]),
      "EW_ERR_NOTE_UNKNOWN_KEY",
    );
  });

  it("when any bit of the example's signature changes, rejects with EW_ERR_NOTE_SIGNATURE or EW_ERR_NOTE_UNKNOWN_KEY", () => {
    const line = example.note.split("\n")[2]!;
    const b64 = line.split(" ")[2]!;
    const sig = Buffer.from(b64, "base64");
    for (let bit = 0; bit < sig.length * 8; bit += 7) {
      const bad = Buffer.from(sig);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      const note = example.note.replace(b64, bad.toString("base64"));
      // Bits in the first four bytes change the key ID (the signature is then from an unknown key).
      throwsWithCode(() => openNote(note, [key]), bit < 32 ? "EW_ERR_NOTE_UNKNOWN_KEY" : "EW_ERR_NOTE_SIGNATURE");
    }
  });

  it("when the verifier key is malformed, rejects with EW_ERR_NOTE_VKEY", () => {
    const [name, id, b64] = example.vkey.split("+") as [string, string, string];
    const material = Buffer.from(b64, "base64");
    const bad = [
      "",
      `${name}+${id}`,
      `${name}+${id}+${b64}+extra`, // "+" is a base64 character, so this is a key of the wrong length
      `+${id}+${b64}`,
      `exa mple+${id}+${b64}`,
      `${name}+530D903A+${b64}`,
      `${name}+530d903+${b64}`,
      `${name}+530d903b+${b64}`,
      `${name}+${id}+${b64.slice(0, -1)}`,
      `${name}+${id}+${b64.replace("A", "*")}`,
      `${name}+${id}+${material.subarray(0, 32).toString("base64")}`,
      `${name}+${id}+${Buffer.concat([material, Buffer.of(0)]).toString("base64")}`,
      `${name}+${id}+${Buffer.concat([Buffer.of(0x07), material.subarray(1)]).toString("base64")}`,
      `${name}+${id}+${Buffer.of(0x02, 1, 2, 3).toString("base64")}`,
    ];
    for (const vkey of bad) throwsWithCode(() => parseVerifierKey(vkey), "EW_ERR_NOTE_VKEY");
  });
});

describe("signing and opening notes", () => {
  const a = generateNoteKey("example.com/a");
  const b = generateNoteKey("example.com/b");
  const va = parseVerifierKey(a.signer.vkey);
  const vb = parseVerifierKey(b.signer.vkey);

  it("keys whose base64 contains a plus sign parse (only the first separators split)", () => {
    for (let i = 0; i < 20; i++) {
      const k = generateNoteKey("example.com/plus");
      assert.equal(parseVerifierKey(k.signer.vkey).keyId, k.signer.keyId);
      assert.equal(parseSignerKey(k.skey).vkey, k.signer.vkey);
    }
  });

  it("a note signed by two keys opens with either, and signatures from unknown keys are ignored", () => {
    const note = signNote("hello\n\nworld\n", [a.signer, b.signer]);
    assert.equal(openNote(note, [va]).text, "hello\n\nworld\n");
    assert.deepEqual(openNote(note, [va, vb]).verifiedBy, [va, vb]);
  });

  it("a key file round-trips and signs what its verifier key accepts; a changed key file is refused with EW_ERR_NOTE_SKEY", () => {
    const signer = parseSignerKey(a.skey);
    assert.equal(signer.vkey, a.signer.vkey);
    openNote(signNote("x\n", [signer]), [va]);
    const parts = a.skey.trim().split("+");
    const key64 = parts.slice(4).join("+");
    throwsWithCode(() => parseSignerKey([...parts.slice(0, 3), "00000000", key64].join("+")), "EW_ERR_NOTE_SKEY");
    throwsWithCode(() => parseSignerKey(a.skey.replace("PRIVATE", "PUBLIC")), "EW_ERR_NOTE_SKEY");
    throwsWithCode(() => parseSignerKey([...parts.slice(0, 4), "AQID"].join("+")), "EW_ERR_NOTE_SKEY");
  });

  it("ECDSA P-256 notes (type 0x02) sign and verify, with the key ID over the SPKI", () => {
    const e = generateEcdsaNoteKey("example.com/ecdsa");
    const v = parseVerifierKey(e.signer.vkey);
    assert.equal(v.type, SIG_ECDSA);
    const note = signNote("ecdsa\n", [parseSignerKey(e.skey)]);
    assert.deepEqual(openNote(note, [v]).verifiedBy, [v]);
    throwsWithCode(() => openNote(note.replace("ecdsa\n", "ecdsb\n"), [v]), "EW_ERR_NOTE_SIGNATURE");
  });

  it("when one trusted key's signature fails, the whole note is rejected even if another verifies", () => {
    const note = signNote("text\n", [a.signer, b.signer]);
    const lines = note.split("\n");
    const forged = signNote("other\n", [b.signer]).split("\n")[2]!;
    const mixed = [lines[0], lines[1], lines[2], forged, ""].join("\n");
    throwsWithCode(() => openNote(mixed, [va, vb]), "EW_ERR_NOTE_SIGNATURE");
  });

  it("when the note is malformed, rejects with EW_ERR_NOTE_MALFORMED", () => {
    const good = signNote("text\n", [a.signer]);
    const sigLine = good.split("\n")[2]!;
    const bad = [
      good.slice(0, -1), // no final newline
      `text\n${sigLine}\n`, // no blank line
      `text\n\n`, // no signatures
      good.replace("text", "te\u0007xt"), // control character
      good.replace("text", "te\rxt"),
      good.replace("\u2014 ", "- "), // not an em dash
      good.replace("\u2014 example.com/a ", "\u2014 example.com/a  "), // two spaces
      good.replace(/ [A-Za-z0-9+/=]+\n$/, " AAAA\n"), // shorter than a key ID
      good.replace(/=?\n$/, "!\n"), // bad base64
      `text\n\n\u2014 exa+mple ${sigLine.split(" ")[2]}\n`, // plus in the name
    ];
    for (const note of bad) throwsWithCode(() => openNote(note, [va]), "EW_ERR_NOTE_MALFORMED");
    throwsWithCode(() => openNote(Buffer.from([0x74, 0xff, 0x0a, 0x0a]), [va]), "EW_ERR_NOTE_MALFORMED");
  });

  it("when a note has too many signatures or is too large, rejects with EW_ERR_NOTE_TOO_LARGE", () => {
    const good = signNote("text\n", [a.signer]);
    const line = good.split("\n")[2]!;
    const other = `\u2014 example.com/unknown ${encodeBase64(new Uint8Array(68))}`;
    const many = `text\n\n${line}\n${`${other}\n`.repeat(MAX_NOTE_SIGNATURES)}`;
    throwsWithCode(() => openNote(many, [va]), "EW_ERR_NOTE_TOO_LARGE");
    // Exactly the limit is fine (the spec requires at least 16).
    openNote(`text\n\n${line}\n${`${other}\n`.repeat(MAX_NOTE_SIGNATURES - 1)}`, [va]);
    throwsWithCode(() => openNote(`${"x".repeat(1 << 20)}\n\n${line}\n`, [va]), "EW_ERR_NOTE_TOO_LARGE");
  });

  it("when no trusted key signed the note, rejects with EW_ERR_NOTE_UNKNOWN_KEY", () => {
    throwsWithCode(() => openNote(signNote("text\n", [b.signer]), [va]), "EW_ERR_NOTE_UNKNOWN_KEY");
  });
});
