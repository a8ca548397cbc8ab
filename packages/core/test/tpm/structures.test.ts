import assert from "node:assert/strict";
import { createPublicKey, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  attributeNames,
  concatSelectedPcrs,
  eccPointSec1,
  formatPcrSelection,
  isEdgewardError,
  marshalPcrSelection,
  marshalTpm2bPublic,
  parseAttest,
  parsePcrSelection,
  parsePcrSelectionText,
  parsePcrValuesFile,
  parseSignature,
  parseTpm2bPublic,
  publicKeyOf,
  TPM_ALG,
  verifyQuote,
  type ErrorCode,
} from "@edgeward/core";
import { throwsWithCode } from "@edgeward/testkit";
import { fixture, fixtureText, meta, unhex } from "./fixtures.ts";

const PARSE_CODES: readonly ErrorCode[] = ["EW_ERR_TPM_PARSE", "EW_ERR_TPM_UNSUPPORTED_ALG", "EW_ERR_TPM_ATTEST_TYPE"];

/** Asserts `fn` either returns or throws an EdgewardError with one of `codes` — never another exception. */
/**
 * Runs `fn` on hostile bytes: it may return (a mutated structure can still be well formed) or throw one of
 * `codes`, never anything else. With `mustThrow` it has to throw: random bytes are never a valid quote.
 */
function failsClosed(fn: () => unknown, codes: readonly ErrorCode[] = PARSE_CODES, mustThrow = false): void {
  try {
    fn();
  } catch (err) {
    assert.ok(isEdgewardError(err), `non-Edgeward exception: ${String(err)}`);
    assert.ok(codes.includes(err.code), `unexpected ${err.code}`);
    return;
  }
  assert.ok(!mustThrow, "hostile bytes were accepted");
}

const PARSERS: [string, string, (b: Uint8Array) => unknown][] = [
  ["TPMS_ATTEST (quote)", "ecdsa/quote.msg", parseAttest],
  ["TPMS_ATTEST (certify)", "certify/certify.attest", parseAttest],
  ["TPMT_SIGNATURE (ECDSA)", "ecdsa/quote.sig", parseSignature],
  ["TPMT_SIGNATURE (RSASSA)", "rsassa/quote.sig", parseSignature],
  ["TPM2B_PUBLIC (ECC AK)", "ecdsa/ak.pub", parseTpm2bPublic],
  ["TPM2B_PUBLIC (RSA EK)", "ek/ek-rsa.pub", parseTpm2bPublic],
  ["TPM2B_PUBLIC (decryption key)", "certify/key.pub", parseTpm2bPublic],
];

describe("TPM structure parsers fail closed", () => {
  for (const [what, path, parse] of PARSERS) {
    const [dir = "", name = ""] = path.split("/");
    const bytes = fixture(dir, name);

    it(`${what}: parses the recorded structure`, () => {
      parse(bytes);
    });

    it(`${what}: every truncation is rejected with a typed code`, () => {
      for (let n = 0; n < bytes.length; n++) {
        assert.throws(
          () => parse(bytes.subarray(0, n)),
          (err: unknown) => isEdgewardError(err) && PARSE_CODES.includes(err.code),
          `${n} bytes`,
        );
      }
    });

    it(`${what}: a trailing byte is rejected with EW_ERR_TPM_PARSE`, () => {
      throwsWithCode(() => parse(new Uint8Array([...bytes, 0])), "EW_ERR_TPM_PARSE");
    });

    it(`${what}: single-bit corruptions either parse or fail with a typed code, never crash`, () => {
      for (let i = 0; i < bytes.length; i++)
        for (const bit of [0, 7]) {
          const b = bytes.slice();
          b[i] = (b[i] ?? 0) ^ (1 << bit);
          failsClosed(() => parse(b));
        }
    });
  }

  it("random bytes given to the quote verifier fail with a typed code, never crash", () => {
    const key = createPublicKey(fixtureText("ecdsa", "ak.pem"));
    for (let i = 0; i < 300; i++) {
      failsClosed(
        () =>
          verifyQuote({
            message: randomBytes(i % 160),
            signature: randomBytes(i % 80),
            akPublicKey: key,
            nonce: new Uint8Array(0),
            pcrValues: {},
          }),
        [...PARSE_CODES, "EW_ERR_QUOTE_SIGNATURE", "EW_ERR_QUOTE_SIGNER"],
        true,
      );
    }
  });

  it("a TPMS_ATTEST of another type (TPM_ST_ATTEST_TIME) is rejected with EW_ERR_TPM_ATTEST_TYPE", () => {
    const b = fixture("ecdsa", "quote.msg").slice();
    b[4] = 0x80;
    b[5] = 0x19;
    throwsWithCode(() => parseAttest(b), "EW_ERR_TPM_ATTEST_TYPE");
  });

  it("a SHA-1 or HMAC signature is rejected with EW_ERR_TPM_UNSUPPORTED_ALG", () => {
    const b = fixture("ecdsa", "quote.sig").slice();
    b[3] = TPM_ALG.SHA1;
    throwsWithCode(() => parseSignature(b), "EW_ERR_TPM_UNSUPPORTED_ALG");
    b[1] = TPM_ALG.HMAC;
    throwsWithCode(() => parseSignature(b), "EW_ERR_TPM_UNSUPPORTED_ALG");
  });
});

describe("TPMT_PUBLIC", () => {
  it("the decryption key is an unrestricted ECC P-256 decryption key bound by policy", () => {
    const pub = parseTpm2bPublic(fixture("certify", "key.pub"));
    assert.deepEqual(attributeNames(pub.attributes), ["fixedTPM", "fixedParent", "sensitiveDataOrigin", "decrypt"]);
    assert.deepEqual(pub.authPolicy, unhex(meta("certify")["policyDigest"] ?? ""));
    assert.equal(eccPointSec1(pub).length, 65);
    assert.deepEqual(marshalTpm2bPublic(pub), fixture("certify", "key.pub"));
  });

  it("the AK public area gives the same key as tpm2_readpublic's PEM", () => {
    for (const dir of ["ecdsa", "rsassa"]) {
      const key = publicKeyOf(parseTpm2bPublic(fixture(dir, "ak.pub")));
      assert.ok(key.equals(createPublicKey(fixtureText(dir, "ak.pem"))));
    }
  });

  it("the EK public areas give the keys their certificates certify (RSA 2048 and ECC P-384)", () => {
    const rsa = parseTpm2bPublic(fixture("ek", "ek-rsa.pub"));
    assert.equal(rsa.rsa?.keyBits, 2048);
    const ecc = parseTpm2bPublic(fixture("ek", "ek-ecc.pub"));
    assert.equal(publicKeyOf(ecc).asymmetricKeyDetails?.namedCurve, "secp384r1");
  });

  it("an ECC point off the curve is rejected with EW_ERR_TPM_PARSE", () => {
    const b = fixture("ecdsa", "ak.pub").slice();
    b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 1;
    throwsWithCode(() => publicKeyOf(parseTpm2bPublic(b)), "EW_ERR_TPM_PARSE");
  });
});

describe("PCR selections and values", () => {
  it("parses the tpm2-tools text form and writes the wire form tpm2-tools sends", () => {
    const sel = parsePcrSelectionText("sha1:0,7+sha256:15,0,3");
    assert.equal(formatPcrSelection(sel), "sha1:0,7+sha256:0,3,15");
    assert.deepEqual(parsePcrSelection(marshalPcrSelection(sel)), sel);
    assert.equal(formatPcrSelection(parsePcrSelectionText("7,14")), "sha256:7,14");
  });

  for (const bad of ["24", "7,x", "md5:1", "sha256:", "01", "sha256:1+sha256:2", ""]) {
    it(`rejects the selection "${bad}" with EW_ERR_TPM_PCR_SELECTION`, () => {
      throwsWithCode(() => parsePcrSelectionText(bad), "EW_ERR_TPM_PCR_SELECTION");
    });
  }

  it("reads the serialized, values, JSON and YAML forms to the same values", () => {
    const { values, selection } = parsePcrValuesFile(fixture("certify", "policy.pcrs"), parsePcrSelectionText("7,14"));
    const v7 = Buffer.from(values.sha256?.[7] ?? []).toString("hex");
    const v14 = Buffer.from(values.sha256?.[14] ?? []).toString("hex");
    const json = parsePcrValuesFile(new TextEncoder().encode(JSON.stringify({ sha256: { 7: v7, 14: `0x${v14}` } })));
    const yaml = parsePcrValuesFile(
      new TextEncoder().encode(`pcrs:\n  sha256:\n    7 : 0x${v7.toUpperCase()}\n    14: ${v14}\n`),
    );
    assert.deepEqual(json.values, values);
    assert.deepEqual(yaml.values, values);
    assert.ok(selection !== undefined);
    const serialized = parsePcrValuesFile(fixture("multibank", "quote.pcrs"));
    assert.equal(concatSelectedPcrs(serialized.values, serialized.selection ?? []).length, 2 * 20 + 16 * 32 + 48);
  });

  it("rejects malformed PCR value files with EW_ERR_TPM_PCR_VALUES", () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    throwsWithCode(() => parsePcrValuesFile(enc('{"sha256": {"7": "abcd"}}')), "EW_ERR_TPM_PCR_VALUES");
    throwsWithCode(() => parsePcrValuesFile(enc("{not json")), "EW_ERR_TPM_PCR_VALUES");
    throwsWithCode(() => parsePcrValuesFile(enc("  7 : 0x00\n")), "EW_ERR_TPM_PCR_VALUES");
    throwsWithCode(() => parsePcrValuesFile(new Uint8Array(100)), "EW_ERR_TPM_PCR_VALUES");
    const serialized = fixture("ecdsa", "quote.pcrs").slice();
    serialized[132] = 9; // claims 9 digest lists
    throwsWithCode(() => parsePcrValuesFile(serialized), "EW_ERR_TPM_PCR_VALUES");
  });
});
