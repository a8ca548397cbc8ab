// The age v1 header (c2sp.org/age §Header): canonical serialization, strict incremental parsing, the MAC,
// unwrapping with identities, and one typed code for each kind of damage.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir, throwsWithCode } from "@edgeward/testkit";
import type { ErrorCode } from "../../src/errors/index.ts";
import { parseHeader, serializeHeader, tryParseHeader, verifyHeaderMac } from "../../src/age/header.ts";
import { readHeaderFromHandle, readHeaderFromStream } from "../../src/age/header-reader.ts";
import { generateIdentity, parseIdentities } from "../../src/age/identities.ts";
import { parseRecipient } from "../../src/age/recipients.ts";
import { createHeader } from "../../src/age/seal.ts";
import type { Stanza } from "../../src/age/types.ts";
import { unwrapHeader } from "../../src/age/unwrap.ts";

const enc = new TextEncoder();
const fileKey = new Uint8Array(16).fill(7);
const grease = (i: number, body = new Uint8Array(0)): Stanza => ({ type: `grease-${i}`, args: ["a", "b"], body });

/** A header text with a valid MAC for `fileKey`, then altered by `edit` (which may break it). */
function headerText(stanzas: readonly Stanza[], edit: (text: string) => string = (t) => t): Uint8Array {
  return enc.encode(edit(Buffer.from(serializeHeader(fileKey, stanzas)).toString("latin1")));
}

describe("serializeHeader and parseHeader", () => {
  it("round-trip stanzas whose bodies end short, on a 64-column boundary, or empty", () => {
    const stanzas = [0, 1, 47, 48, 49, 96, 100].map((n, i) => grease(i, randomBytes(n)));
    const bytes = serializeHeader(fileKey, stanzas);
    const header = parseHeader(Buffer.concat([bytes, Buffer.from("payload")]));
    assert.equal(header.payloadOffset, bytes.length);
    assert.deepEqual(Buffer.from(header.headerBytes), Buffer.from(bytes));
    assert.deepEqual(
      header.stanzas.map((s) => [s.type, s.args, Buffer.from(s.body)]),
      stanzas.map((s) => [s.type, s.args, Buffer.from(s.body)]),
    );
    verifyHeaderMac(header, fileKey);
    // 48 bytes are exactly 64 base64 columns, so the body ends with an empty line (c2sp.org/age §Header).
    assert.ok(Buffer.from(bytes).toString("latin1").includes("\n\n-> grease-4"));
  });

  it("every strict prefix of a header needs more bytes, and the whole header parses", () => {
    const bytes = serializeHeader(fileKey, [grease(0, randomBytes(70)), grease(1)]);
    for (let n = 0; n < bytes.length; n++) assert.equal(tryParseHeader(bytes.subarray(0, n)), null, `prefix ${n}`);
    assert.notEqual(tryParseHeader(bytes), null);
  });

  it("reads a header byte by byte from a stream and hands back the payload untouched", async () => {
    const bytes = serializeHeader(fileKey, [grease(0, randomBytes(200))]);
    const payload = randomBytes(3000);
    const whole = Buffer.concat([bytes, payload]);
    const pieces = Array.from(whole, (b) => Uint8Array.of(b));
    const { header, payload: rest } = await readHeaderFromStream(pieces);
    assert.equal(header.payloadOffset, bytes.length);
    const got: Uint8Array[] = [];
    for await (const piece of rest) got.push(piece);
    assert.deepEqual(Buffer.concat(got), payload);
  });

  it("reads a header larger than the first read from a FileHandle", async () => {
    using dir = tempDir();
    const stanzas = Array.from({ length: 300 }, (_, i) => grease(i, randomBytes(40)));
    const bytes = serializeHeader(fileKey, stanzas);
    assert.ok(bytes.length > 16384);
    const path = join(dir.path, "big.age");
    await writeFile(path, Buffer.concat([bytes, randomBytes(100)]));
    const handle = await open(path, "r");
    try {
      const header = await readHeaderFromHandle(handle);
      assert.equal(header.stanzas.length, 300);
      assert.equal(header.payloadOffset, bytes.length);
    } finally {
      await handle.close();
    }
  });
});

describe("parseHeader failing closed, one code per kind of damage", () => {
  const one = [grease(0, randomBytes(32))];
  const cases: Array<[string, Uint8Array, ErrorCode]> = [
    ["the input is empty", new Uint8Array(0), "EW_ERR_AGE_HEADER_MISSING"],
    ["the input is not an age file", enc.encode("\x89PNG\r\n\x1a\n"), "EW_ERR_AGE_HEADER_MISSING"],
    ["the input ends inside the header", headerText(one).subarray(0, 40), "EW_ERR_AGE_HEADER_TRUNCATED"],
    [
      "the input ends before the MAC line",
      headerText(one, (t) => t.slice(0, t.indexOf("---"))),
      "EW_ERR_AGE_HEADER_TRUNCATED",
    ],
    ["the version is v2", headerText(one, (t) => t.replace("/v1\n", "/v2\n")), "EW_ERR_AGE_HEADER_VERSION"],
    [
      "the version line ends with CRLF",
      headerText(one, (t) => t.replace("/v1\n", "/v1\r\n")),
      "EW_ERR_AGE_HEADER_VERSION",
    ],
    ["the version line never ends", enc.encode(`age-encryption.org/${"v".repeat(300)}`), "EW_ERR_AGE_HEADER_VERSION"],
    [
      "a stanza has an empty argument",
      headerText(one, (t) => t.replace("-> grease-0 a", "-> grease-0  a")),
      "EW_ERR_AGE_HEADER_STANZA",
    ],
    [
      "a stanza has no argument",
      headerText(one, (t) => t.replace("-> grease-0 a b", "-> ")),
      "EW_ERR_AGE_HEADER_STANZA",
    ],
    [
      "a line starts with neither -> nor ---",
      headerText(one, (t) => t.replace("-> grease", "=> grease")),
      "EW_ERR_AGE_HEADER_STANZA",
    ],
    [
      "a body line is 65 columns",
      headerText([grease(0, randomBytes(60))], (t) => t.replace(/\n([A-Za-z0-9+/]{64})\n/, "\n$1A\n")),
      "EW_ERR_AGE_HEADER_STANZA",
    ],
    [
      "a body line holds a space",
      headerText(one, (t) => t.replace(/\n([A-Za-z0-9+/]{4})/, "\n$1 ")),
      "EW_ERR_AGE_HEADER_STANZA",
    ],
    [
      "the header has no stanza",
      enc.encode(`age-encryption.org/v1\n--- ${"A".repeat(43)}\n`),
      "EW_ERR_AGE_HEADER_STANZA",
    ],
    [
      "a body is padded base64",
      headerText([grease(0, randomBytes(32))], (t) => t.replace(/\n([A-Za-z0-9+/]{43})\n--- /, "\n$1=\n--- ")),
      "EW_ERR_AGE_HEADER_BASE64",
    ],
    [
      "a body has non-zero trailing bits",
      headerText([grease(0, Uint8Array.of(0))], (t) => t.replace("\nAA\n", "\nAB\n")),
      "EW_ERR_AGE_HEADER_BASE64",
    ],
    ["the MAC line has no space", headerText(one, (t) => t.replace("--- ", "---")), "EW_ERR_AGE_HEADER_MAC_LINE"],
    [
      "the MAC is truncated",
      headerText(one, (t) => t.replace(/(--- [A-Za-z0-9+/]{42})[A-Za-z0-9+/]\n/, "$1\n")),
      "EW_ERR_AGE_HEADER_MAC_LINE",
    ],
    [
      "the MAC has trailing bits set",
      headerText(one, (t) => t.replace(/(--- [A-Za-z0-9+/]{42})[A-Za-z0-9+/]\n/, "$1B\n")),
      "EW_ERR_AGE_HEADER_BASE64",
    ],
    [
      "a native stanza is repeated",
      headerText([{ type: "X25519", args: ["AAAA"], body: new Uint8Array(32) }], (t) =>
        t.replace(/(-> X25519 AAAA\n[^\n]*\n)/, "$1$1"),
      ),
      "EW_ERR_AGE_HEADER_DUPLICATE",
    ],
  ];
  for (const [what, bytes, code] of cases) {
    it(`when ${what}, throws ${code}`, () => {
      throwsWithCode(() => parseHeader(bytes), code);
    });
  }

  it("repeated unknown stanzas (grease) are allowed", () => {
    const bytes = headerText([grease(0)], (t) =>
      t.replace("-> grease-0 a b\n\n", "-> grease-0 a b\n\n-> grease-0 a b\n\n"),
    );
    assert.equal(parseHeader(bytes).stanzas.length, 2);
  });

  it("when a header exceeds the byte cap, throws EW_ERR_AGE_HEADER_TOO_LONG instead of buffering it", () => {
    const huge = enc.encode(`age-encryption.org/v1\n-> grease ${"x".repeat(2 << 20)}\n`);
    throwsWithCode(() => parseHeader(huge), "EW_ERR_AGE_HEADER_TOO_LONG");
    throwsWithCode(
      () => parseHeader(headerText([grease(0, randomBytes(5000))]), { maxHeaderBytes: 4096 }),
      "EW_ERR_AGE_HEADER_TOO_LONG",
    );
  });

  it("when a header has more stanzas than the cap, throws EW_ERR_AGE_HEADER_TOO_LONG", () => {
    const many = Array.from({ length: 1025 }, (_, i) => grease(i));
    throwsWithCode(() => parseHeader(serializeHeader(fileKey, many)), "EW_ERR_AGE_HEADER_TOO_LONG");
    assert.equal(parseHeader(serializeHeader(fileKey, many.slice(0, 1024))).stanzas.length, 1024);
  });

  it("a huge header streamed in pieces is refused once past the cap", async () => {
    function* endless(): Generator<Uint8Array> {
      yield enc.encode("age-encryption.org/v1\n-> grease ");
      for (;;) yield new Uint8Array(65536).fill(0x78);
    }
    await rejectsWithCode(readHeaderFromStream(endless()), "EW_ERR_AGE_HEADER_TOO_LONG");
  });

  it("serializeHeader refuses a file key that is not 16 bytes and an empty stanza list", () => {
    throwsWithCode(() => serializeHeader(new Uint8Array(15), [grease(0)]), "EW_ERR_AGE_FILE_KEY");
    throwsWithCode(() => serializeHeader(fileKey, []), "EW_ERR_AGE_NO_RECIPIENTS");
  });
});

describe("unwrapHeader", () => {
  const alice = generateIdentity("x25519");
  const bob = generateIdentity("x25519");
  const [aliceId] = parseIdentities(alice.identityText);
  const [bobId] = parseIdentities(bob.identityText);
  assert.ok(aliceId !== undefined && bobId !== undefined);

  it("returns the file key for the identity a header was sealed to", async () => {
    const { fileKey: key, header } = await createHeader([parseRecipient(alice.recipient)]);
    assert.deepEqual(await unwrapHeader(parseHeader(header), [bobId, aliceId]), key);
  });

  it("when no identity matches, throws EW_ERR_AGE_NO_IDENTITY", async () => {
    const { header } = await createHeader([parseRecipient(alice.recipient)]);
    await rejectsWithCode(unwrapHeader(parseHeader(header), [bobId]), "EW_ERR_AGE_NO_IDENTITY");
    await rejectsWithCode(unwrapHeader(parseHeader(header), []), "EW_ERR_AGE_NO_IDENTITY");
  });

  it("when another recipient's stanza was altered, throws EW_ERR_AGE_HEADER_MAC", async () => {
    const { header } = await createHeader([parseRecipient(bob.recipient), parseRecipient(alice.recipient)]);
    const text = Buffer.from(header).toString("latin1");
    const firstShare = /-> X25519 ([A-Za-z0-9+/]{43})/.exec(text)?.[1] ?? "";
    const other = (await createHeader([parseRecipient(bob.recipient)])).header;
    const otherShare = /-> X25519 ([A-Za-z0-9+/]{43})/.exec(Buffer.from(other).toString("latin1"))?.[1] ?? "";
    const altered = enc.encode(text.replace(firstShare, otherShare));
    await rejectsWithCode(unwrapHeader(parseHeader(altered), [aliceId]), "EW_ERR_AGE_HEADER_MAC");
  });

  it("when the MAC line comes from another file's header (headers swapped), throws EW_ERR_AGE_HEADER_MAC", async () => {
    const a = Buffer.from((await createHeader([parseRecipient(alice.recipient)])).header).toString("latin1");
    const b = Buffer.from((await createHeader([parseRecipient(alice.recipient)])).header).toString("latin1");
    const spliced = enc.encode(a.slice(0, a.indexOf("---")) + b.slice(b.indexOf("---")));
    await rejectsWithCode(unwrapHeader(parseHeader(spliced), [aliceId]), "EW_ERR_AGE_HEADER_MAC");
  });

  it("a lone scrypt stanza is EW_ERR_AGE_SCRYPT_UNSUPPORTED; beside another stanza it is EW_ERR_AGE_HEADER_SCRYPT_MIXED", async () => {
    const scrypt: Stanza = { type: "scrypt", args: ["AAAAAAAAAAAAAAAAAAAAAA", "18"], body: new Uint8Array(32) };
    await rejectsWithCode(
      unwrapHeader(parseHeader(serializeHeader(fileKey, [scrypt])), [aliceId]),
      "EW_ERR_AGE_SCRYPT_UNSUPPORTED",
    );
    const { header } = await createHeader([parseRecipient(alice.recipient)]);
    const mixed = [scrypt, ...parseHeader(header).stanzas];
    await rejectsWithCode(
      unwrapHeader(parseHeader(serializeHeader(fileKey, mixed)), [aliceId]),
      "EW_ERR_AGE_HEADER_SCRYPT_MIXED",
    );
  });

  it("a stanza addressed to an identity but malformed throws EW_ERR_AGE_HEADER_RECIPIENT", async () => {
    const bad: Stanza = { type: "X25519", args: ["AAAA"], body: new Uint8Array(32) };
    await rejectsWithCode(
      unwrapHeader(parseHeader(serializeHeader(fileKey, [bad])), [aliceId]),
      "EW_ERR_AGE_HEADER_RECIPIENT",
    );
    const lowOrder: Stanza = { type: "X25519", args: ["A".repeat(43)], body: new Uint8Array(32) };
    await rejectsWithCode(
      unwrapHeader(parseHeader(serializeHeader(fileKey, [lowOrder])), [aliceId]),
      "EW_ERR_AGE_HEADER_RECIPIENT",
    );
  });
});
