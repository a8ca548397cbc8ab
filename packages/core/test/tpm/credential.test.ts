import assert from "node:assert/strict";
import {
  constants,
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  type KeyObject,
} from "node:crypto";
import { describe, it } from "node:test";
import {
  kdfa,
  kdfe,
  makeCredential,
  parsePublic,
  parseTpm2bPublic,
  TpmReader,
  TpmWriter,
  TPM_ALG,
  TPM_ECC,
  TPMA_OBJECT,
  type TpmPublic,
} from "@edgeward/core";
import { throwsWithCode } from "@edgeward/testkit";
import { fixture } from "./fixtures.ts";

const EK_ATTRS =
  TPMA_OBJECT.fixedTPM |
  TPMA_OBJECT.fixedParent |
  TPMA_OBJECT.sensitiveDataOrigin |
  TPMA_OBJECT.adminWithPolicy |
  TPMA_OBJECT.restricted |
  TPMA_OBJECT.decrypt;

/** A TPMT_PUBLIC in the shape of the TCG EK templates, for a software key pair (so the test can play the TPM). */
function ekPublic(type: "rsa" | "ecc", pub: KeyObject, attributes = EK_ATTRS): TpmPublic {
  const jwk = pub.export({ format: "jwk" });
  const w = new TpmWriter()
    .u16(type === "rsa" ? TPM_ALG.RSA : TPM_ALG.ECC)
    .u16(TPM_ALG.SHA256)
    .u32(attributes);
  w.tpm2b(new Uint8Array(32)).u16(TPM_ALG.AES).u16(128).u16(TPM_ALG.CFB).u16(TPM_ALG.NULL);
  if (type === "rsa")
    w.u16(2048)
      .u32(0)
      .tpm2b(Buffer.from(jwk.n ?? "", "base64url"));
  else
    w.u16(TPM_ECC.NIST_P256)
      .u16(TPM_ALG.NULL)
      .tpm2b(Buffer.from(jwk.x ?? "", "base64url"))
      .tpm2b(Buffer.from(jwk.y ?? "", "base64url"));
  return parsePublic(w.finish());
}

/** TPM2_ActivateCredential in software (Part 3 §12.5), the TPM side of the protocol. */
function activate(cred: Uint8Array, akName: Uint8Array, seed: Uint8Array): Uint8Array | null {
  const r = new TpmReader(cred, "TPM2B_ID_OBJECT");
  const integrity = r.tpm2b();
  const encIdentity = r.bytes(r.remaining);
  const hmacKey = kdfa("sha256", seed, "INTEGRITY", new Uint8Array(0), new Uint8Array(0), 256);
  const expected = createHmac("sha256", hmacKey).update(encIdentity).update(akName).digest();
  if (!expected.equals(integrity)) return null;
  const symKey = kdfa("sha256", seed, "STORAGE", akName, new Uint8Array(0), 128);
  const d = createDecipheriv("aes-128-cfb", symKey, new Uint8Array(16));
  const plain = Buffer.concat([d.update(encIdentity), d.final()]);
  return new TpmReader(plain, "TPM2B_DIGEST").tpm2b();
}

const akName = new Uint8Array([0, 0x0b, ...new Uint8Array(32).fill(7)]);
const secret = new TextEncoder().encode("edgeward challenge 0001");

describe("MakeCredential (TPM 2.0 Part 1 §24)", () => {
  it("for an RSA EK: the seed is OAEP-wrapped with label IDENTITY and the TPM side recovers the secret", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const c = makeCredential(ekPublic("rsa", publicKey), akName, secret);
    const seed = privateDecrypt(
      {
        key: privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: "sha256",
        oaepLabel: Buffer.from("IDENTITY\0"),
      },
      c.encryptedSecret,
    );
    assert.equal(hex(activate(c.credentialBlob, akName, seed)), hex(secret));
    // Bound to the AK's name: another name fails the integrity check.
    assert.equal(activate(c.credentialBlob, new Uint8Array([0, 0x0b, ...new Uint8Array(32)]), seed), null);
  });

  it("for an ECC EK: the seed comes from ECDH and KDFe, and the TPM side recovers the secret", () => {
    const ek = createECDH("prime256v1");
    ek.generateKeys();
    const pub = ekPublic("ecc", ecdhPublicKeyObject(ek.getPublicKey()));
    const c = makeCredential(pub, akName, secret);
    const r = new TpmReader(c.encryptedSecret, "TPMS_ECC_POINT");
    const x = r.tpm2b();
    const y = r.tpm2b();
    const z = ek.computeSecret(Buffer.concat([Buffer.of(4), x, y]));
    const seed = kdfe("sha256", z, "IDENTITY", x, pub.ecc?.x ?? new Uint8Array(0), 256);
    assert.equal(hex(activate(c.credentialBlob, akName, seed)), hex(secret));
  });

  it("writes the file tpm2_activatecredential reads (magic 0xBADCC0DE, version 1, ID object, secret)", () => {
    const c = makeCredential(parseTpm2bPublic(fixture("ek", "ek-rsa.pub")), akName, secret);
    const r = new TpmReader(c.tpm2ToolsFile, "credential file");
    assert.equal(r.u32(), 0xbadcc0de);
    assert.equal(r.u32(), 1);
    assert.equal(hex(r.tpm2b()), hex(c.credentialBlob));
    assert.equal(hex(r.tpm2b()), hex(c.encryptedSecret));
    r.end();
    assert.equal(c.encryptedSecret.length, 256);
  });

  it("for swtpm's ECC P-384 EK, uses its SHA-384 name algorithm and AES-256", () => {
    const c = makeCredential(parseTpm2bPublic(fixture("ek", "ek-ecc.pub")), akName, secret);
    // TPMS_ECC_POINT with two 48-byte coordinates; the integrity HMAC is SHA-384 (48 bytes).
    assert.equal(c.encryptedSecret.length, 2 + 48 + 2 + 48);
    assert.equal(new TpmReader(c.credentialBlob, "ID").tpm2b().length, 48);
  });

  it("when the key is not a restricted decryption key, rejects with EW_ERR_TPM_CREDENTIAL_KEY", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const signer = ekPublic("rsa", publicKey, TPMA_OBJECT.fixedTPM | TPMA_OBJECT.sign | TPMA_OBJECT.restricted);
    throwsWithCode(() => makeCredential(signer, akName, secret), "EW_ERR_TPM_CREDENTIAL_KEY");
    throwsWithCode(
      () => makeCredential(parseTpm2bPublic(fixture("ecdsa", "ak.pub")), akName, secret),
      "EW_ERR_TPM_CREDENTIAL_KEY",
    );
  });

  it("when the secret is empty or longer than the digest, or the AK name is malformed, rejects with a typed code", () => {
    const ek = parseTpm2bPublic(fixture("ek", "ek-rsa.pub"));
    throwsWithCode(() => makeCredential(ek, akName, new Uint8Array(33)), "EW_ERR_TPM_CREDENTIAL_KEY");
    throwsWithCode(() => makeCredential(ek, akName, new Uint8Array(0)), "EW_ERR_TPM_CREDENTIAL_KEY");
    throwsWithCode(() => makeCredential(ek, akName.subarray(0, 20), secret), "EW_ERR_TPM_PARSE");
  });
});

describe("KDFa and KDFe (Part 1 §11.4.10)", () => {
  it("KDFa is HMAC(key, [i]₃₂ ‖ label ‖ 00 ‖ contextU ‖ contextV ‖ [bits]₃₂), truncated to bits", () => {
    const key = new Uint8Array(32).fill(1);
    const manual = createHmac("sha256", key)
      .update(Buffer.from("00000001", "hex"))
      .update("STORAGE\0")
      .update(Buffer.from("abcd", "hex"))
      .update(Buffer.from("00000080", "hex"))
      .digest()
      .subarray(0, 16);
    assert.equal(hex(kdfa("sha256", key, "STORAGE", Buffer.from("abcd", "hex"), new Uint8Array(0), 128)), hex(manual));
    assert.equal(kdfa("sha256", key, "X", new Uint8Array(0), new Uint8Array(0), 512).length, 64);
  });
});

function ecdhPublicKeyObject(point: Uint8Array): KeyObject {
  const jwk = {
    kty: "EC",
    crv: "P-256",
    x: Buffer.from(point.subarray(1, 33)).toString("base64url"),
    y: Buffer.from(point.subarray(33)).toString("base64url"),
  };
  return createPublicKey({ key: jwk, format: "jwk" });
}

function hex(b: Uint8Array | null): string | null {
  return b === null ? null : Buffer.from(b).toString("hex");
}
