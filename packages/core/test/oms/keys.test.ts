import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { throwsWithCode } from "@edgeward/testkit";
import { generateSigningKey, loadPrivateKey, loadPublicKey, publicKeyHint } from "../../src/oms/keys.ts";

const VECTORS = new URL("./vectors/model-transparency/", import.meta.url);

describe("OMS signing keys", () => {
  it("generates a P-256 pair as PKCS#8 and SPKI PEM that load back", () => {
    const pair = generateSigningKey();
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    const priv = loadPrivateKey(pair.privateKeyPem);
    const pub = loadPublicKey(Buffer.from(pair.publicKeyPem));
    assert.equal(priv.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.ok(createPublicKey(priv).equals(pub));
  });

  it("the hint is the SHA-256 of the SPKI PEM, as upstream computes it for its test key", () => {
    const pair = generateSigningKey();
    const expected = createHash("sha256").update(pair.publicKeyPem).digest("hex");
    assert.equal(publicKeyHint(loadPublicKey(pair.publicKeyPem)), expected);
    assert.equal(publicKeyHint(loadPrivateKey(pair.privateKeyPem)), expected);
    // model-transparency scripts/tests/v1.1.0-elliptic-key/model.sig carries this hint for signing-key-pub.pem.
    const upstream = createPublicKey(readFileSync(new URL("signing-key-pub.pem", VECTORS)));
    assert.equal(publicKeyHint(upstream), "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");
  });

  it("accepts explanatory text around the PEM block (RFC 7468 §2) but not a P-384 key in it", () => {
    throwsWithCode(
      () => loadPublicKey(readFileSync(new URL("signing-key-pub.pem", VECTORS))),
      "EW_ERR_SIG_KEY_INVALID",
    );
    const pem = generateSigningKey().publicKeyPem;
    assert.ok(loadPublicKey(`Public key for model releases\n${pem}\n`));
  });

  it("when the PEM is garbage, rejects with EW_ERR_SIG_KEY_INVALID", () => {
    throwsWithCode(() => loadPrivateKey("not a key"), "EW_ERR_SIG_KEY_INVALID");
    throwsWithCode(() => loadPublicKey("not a key"), "EW_ERR_SIG_KEY_INVALID");
    throwsWithCode(
      () => loadPublicKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
      "EW_ERR_SIG_KEY_INVALID",
    );
  });

  it("when the key is on another curve or of another type, rejects with EW_ERR_SIG_KEY_INVALID", () => {
    const kinds = [
      generateKeyPairSync("ec", { namedCurve: "P-384" }),
      generateKeyPairSync("ec", { namedCurve: "secp256k1" }),
      generateKeyPairSync("ed25519"),
      generateKeyPairSync("rsa", { modulusLength: 2048 }),
    ];
    for (const { privateKey, publicKey } of kinds) {
      throwsWithCode(
        () => loadPrivateKey(privateKey.export({ type: "pkcs8", format: "pem" })),
        "EW_ERR_SIG_KEY_INVALID",
      );
      throwsWithCode(() => loadPublicKey(publicKey.export({ type: "spki", format: "pem" })), "EW_ERR_SIG_KEY_INVALID");
    }
  });

  it("when a private key or a second block is given as the public key, rejects with EW_ERR_SIG_KEY_INVALID", () => {
    const pair = generateSigningKey();
    throwsWithCode(() => loadPublicKey(pair.privateKeyPem), "EW_ERR_SIG_KEY_INVALID");
    throwsWithCode(() => loadPublicKey(pair.publicKeyPem + pair.privateKeyPem), "EW_ERR_SIG_KEY_INVALID");
  });

  it("when the private key is encrypted, rejects with EW_ERR_SIG_KEY_INVALID", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" });
    throwsWithCode(() => loadPrivateKey(pem), "EW_ERR_SIG_KEY_INVALID");
  });
});
