// Recipients, identity files and key generation (c2sp.org/age §Native recipient types; the identity-file
// format age-keygen writes; Edgeward's software P-256 identity file, documented in src/age/p256-software.ts).
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { forgedTaggedStanzas, rejectsWithCode, throwsWithCode } from "@edgeward/testkit";
import { bech32Encode } from "../../src/age/bech32.ts";
import { uncompressP256 } from "../../src/age/dhkem-p256.ts";
import { generateIdentity, parseIdentities } from "../../src/age/identities.ts";
import { createSoftwareP256KeyAgreement } from "../../src/age/p256-software.ts";
import { MAX_TAGGED_ATTEMPTS, createP256TagIdentity, p256TagRecipient } from "../../src/age/p256tag.ts";
import { parseRecipient, parseRecipientsFile } from "../../src/age/recipients.ts";
import { createHeader } from "../../src/age/seal.ts";
import { parseHeader } from "../../src/age/header.ts";
import { unwrapHeader } from "../../src/age/unwrap.ts";
import type { AgeIdentity, AgeRecipient, P256KeyAgreement } from "../../src/age/types.ts";

async function roundTrip(recipient: AgeRecipient, identity: AgeIdentity): Promise<void> {
  const { fileKey, header } = await createHeader([recipient]);
  assert.deepEqual(await unwrapHeader(parseHeader(header), [identity]), fileKey);
}

describe("parseRecipient", () => {
  it("parses the X25519 and P-256 tag recipients printed in c2sp.org/age and keeps their text", () => {
    for (const s of [
      "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",
      "age1tag1qt8lw0ual6avlwmwatk888yqnmdamm7xfd0wak53ut6elz5c4swx2yqdj4e",
    ]) {
      assert.equal(parseRecipient(s).recipient, s);
    }
  });

  it("when the string is a typo, an identity, a plugin, an SSH key or the wrong length, throws EW_ERR_AGE_RECIPIENT", () => {
    const good = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
    for (const bad of [
      "",
      good.slice(0, -1) + "q",
      good.slice(0, 20) + good.slice(20).toUpperCase(),
      bech32Encode("age", new Uint8Array(31)),
      bech32Encode("age1pq", new Uint8Array(1216).fill(0xff)),
      bech32Encode("age1tag", new Uint8Array(65)),
      bech32Encode("age1tagpq", new Uint8Array(1249)),
      "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",
      "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t",
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN",
      offCurveTagRecipient(),
    ]) {
      throwsWithCode(() => parseRecipient(bad), "EW_ERR_AGE_RECIPIENT");
    }
  });

  it("parses a recipients file with comments and blank lines, and names the line of a bad entry", () => {
    const a = generateIdentity("x25519").recipient;
    const b = generateIdentity("p256").recipient;
    const parsed = parseRecipientsFile(`# team\n${a}\n\n  ${b}  \r\n`);
    assert.deepEqual(
      parsed.map((r) => r.recipient),
      [a, b],
    );
    throwsWithCode(() => parseRecipientsFile(`${a}\nnot-a-key\n`), "EW_ERR_AGE_RECIPIENT");
    throwsWithCode(() => parseRecipientsFile("# nothing here\n\n"), "EW_ERR_AGE_NO_RECIPIENTS");
  });
});

describe("parseIdentities", () => {
  it("reads an age-keygen file with comments and several keys of different types", () => {
    const x = generateIdentity("x25519");
    const pq = generateIdentity("pq");
    const p = generateIdentity("p256");
    const ids = parseIdentities(`${x.identityText}\n${pq.identityText}\n${p.identityText}`);
    assert.deepEqual(
      ids.map((i) => i.recipient),
      [x.recipient, pq.recipient, p.recipient],
    );
    assert.ok(ids.every((i) => !i.hardwareBacked));
  });

  it("when a line is not a key, the file is empty, a PEM block is unterminated or a key is lower case, throws EW_ERR_AGE_IDENTITY", () => {
    const x = generateIdentity("x25519").identityText;
    const key = x.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1")) ?? "";
    for (const bad of [
      "",
      "# only a comment\n",
      `${x}garbage\n`,
      key.toLowerCase(),
      key.slice(0, -1) + (key.endsWith("Q") ? "P" : "Q"),
      "AGE-PLUGIN-YUBIKEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGP\n",
      "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ]) {
      throwsWithCode(() => parseIdentities(bad), "EW_ERR_AGE_IDENTITY");
    }
  });

  it("rejects a PKCS#8 key that is not P-256", () => {
    const pem = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ format: "pem", type: "pkcs8" });
    throwsWithCode(() => parseIdentities(pem.toString()), "EW_ERR_AGE_IDENTITY");
  });
});

describe("generateIdentity", () => {
  for (const type of ["x25519", "pq", "p256"] as const) {
    it(`a ${type} identity file names its recipient, and a header sealed to it unwraps`, async () => {
      const { identityText, recipient } = generateIdentity(type);
      assert.match(identityText, /^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1/);
      assert.ok(identityText.includes(`# public key: ${recipient}\n`));
      const [identity] = parseIdentities(identityText);
      assert.ok(identity !== undefined);
      assert.equal(identity.recipient, recipient);
      await roundTrip(parseRecipient(recipient), identity);
    });
  }

  it("an x25519 identity file has exactly age-keygen's three lines", () => {
    const lines = generateIdentity("x25519").identityText.split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[2] ?? "", /^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/);
    assert.equal(lines[3], "");
  });

  it("an unknown type throws EW_ERR_USAGE", () => {
    throwsWithCode(() => generateIdentity("rsa" as "x25519"), "EW_ERR_USAGE");
  });
});

describe("P-256 tag identities behind P256KeyAgreement (the interface the TPM implements)", () => {
  it("p256TagRecipient gives the same string for the compressed and uncompressed point", () => {
    const agreement = createSoftwareP256KeyAgreement(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
    const fromUncompressed = p256TagRecipient(agreement.publicKey);
    const compressed = Uint8Array.of(
      0x02 | ((agreement.publicKey[64] ?? 0) & 1),
      ...agreement.publicKey.subarray(1, 33),
    );
    assert.equal(p256TagRecipient(compressed), fromUncompressed);
    assert.equal(createP256TagIdentity(agreement).recipient, fromUncompressed);
    throwsWithCode(() => p256TagRecipient(new Uint8Array(65)), "EW_ERR_AGE_RECIPIENT");
  });

  it("asks the key for ECDH only for stanzas whose tag is its own, and carries hardwareBacked through", async () => {
    const mine = countingAgreement();
    const other = countingAgreement();
    const identity = createP256TagIdentity(mine.agreement);
    assert.equal(identity.hardwareBacked, true);
    // A file for someone else: the tag differs, so the key is never used.
    const elsewhere = await createHeader([parseRecipient(p256TagRecipient(other.agreement.publicKey))]);
    assert.equal(await identity.unwrapFileKey(parseHeader(elsewhere.header).stanzas), null);
    assert.equal(mine.calls(), 0);
    // A file for this key and another: exactly one ECDH.
    const both = await createHeader([
      parseRecipient(p256TagRecipient(other.agreement.publicKey)),
      parseRecipient(p256TagRecipient(mine.agreement.publicKey)),
    ]);
    assert.deepEqual(await unwrapHeader(parseHeader(both.header), [identity]), both.fileKey);
    assert.equal(mine.calls(), 1);
  });

  it("a header of 1,023 forged stanzas with this key's tag costs at most MAX_TAGGED_ATTEMPTS key operations", async () => {
    const mine = countingAgreement();
    const identity = createP256TagIdentity(mine.agreement);
    const forged = await forgedTaggedStanzas(p256TagRecipient(mine.agreement.publicKey), 1023);
    await rejectsWithCode(identity.unwrapFileKey(forged), "EW_ERR_AGE_HEADER_RECIPIENT");
    assert.equal(mine.calls(), MAX_TAGGED_ATTEMPTS);
    // It stops at the first stanza that opens: a good one after three forged ones costs four operations.
    const fileKey = new Uint8Array(16).fill(9);
    const [good] = await parseRecipient(p256TagRecipient(mine.agreement.publicKey)).wrapFileKey(fileKey);
    const before = mine.calls();
    assert.deepEqual(await identity.unwrapFileKey([...forged.slice(0, 3), good!, ...forged]), fileKey);
    assert.equal(mine.calls() - before, 4);
  });
});

/** An age1tag1 string with a valid checksum whose X coordinate has no point on P-256. */
function offCurveTagRecipient(): string {
  for (let x = 1; ; x++) {
    const point = new Uint8Array(33);
    point[0] = 0x02;
    point[32] = x;
    if (uncompressP256(point) === null) return bech32Encode("age1tag", point);
  }
}

/** A software key that pretends to be hardware and counts its ECDH operations. */
function countingAgreement(): { agreement: P256KeyAgreement; calls: () => number } {
  const inner = createSoftwareP256KeyAgreement(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
  let count = 0;
  return {
    calls: () => count,
    agreement: {
      publicKey: inner.publicKey,
      hardwareBacked: true,
      description: "counting test key",
      deriveSharedSecret(peer) {
        count++;
        return inner.deriveSharedSecret(peer);
      },
    },
  };
}
