/**
 * TUF signing keys: Ed25519 on node:crypto, described as TUF 1.0 §4.2 key objects ({keytype, scheme, keyval}),
 * identified by the SHA-256 of the key object's canonical JSON (TUF 1.0 §4.2, "KEYID").
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { canonicalize } from "@tufjs/canonical-json";
import { Key, Signature } from "@tufjs/models";
import { EdgewardError } from "@edgeward/core";

/** A key that signs TUF metadata: its public TUF key object, and a signing function for `Metadata.sign`. */
export interface TufSigner {
  /** The public key as root or a delegating targets role lists it. */
  readonly key: Key;
  /** Signs the canonical bytes of a role's `signed` part. */
  readonly sign: (data: Buffer) => Signature;
}

/** A new random Ed25519 TUF signer. */
export function generateTufSigner(): TufSigner {
  return signerFromPrivateKey(generateKeyPairSync("ed25519").privateKey);
}

/** The PKCS#8 PEM of a signer made by this module (what key files hold). */
export function exportTufSigner(signer: TufSigner): string {
  const pem = PRIVATE_KEYS.get(signer);
  if (pem === undefined) throw new EdgewardError("EW_ERR_TUF_KEY", { detail: "the signer was not made here" });
  return pem;
}

/** Reads a signer from a PKCS#8 PEM Ed25519 private key. Fails with EW_ERR_TUF_KEY on anything else. */
export function importTufSigner(pem: string): TufSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new EdgewardError("EW_ERR_TUF_KEY", { detail: "not a PEM private key", cause: err });
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new EdgewardError("EW_ERR_TUF_KEY", { detail: `expected ed25519, got ${key.asymmetricKeyType}` });
  }
  return signerFromPrivateKey(key);
}

/** The TUF key object for an Ed25519 public key, with its key id. */
export function tufPublicKey(publicKey: KeyObject): Key {
  const jwk = publicKey.export({ format: "jwk" });
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw new EdgewardError("EW_ERR_TUF_KEY", { detail: "not an Ed25519 public key" });
  }
  // TUF 1.0 §4.2: ed25519 keyval.public is the 32-byte key in hex.
  const keyVal = { public: Buffer.from(jwk.x, "base64url").toString("hex") };
  const object = { keytype: "ed25519", scheme: "ed25519", keyval: keyVal };
  const keyID = createHash("sha256").update(canonicalize(object)).digest("hex");
  return new Key({ keyID, keyType: "ed25519", scheme: "ed25519", keyVal });
}

const PRIVATE_KEYS = new WeakMap<TufSigner, string>();

function signerFromPrivateKey(privateKey: KeyObject): TufSigner {
  const key = tufPublicKey(createPublicKey(privateKey));
  const signer: TufSigner = {
    key,
    // TUF 1.0 §4.2: an ed25519 signature is the hex of the 64-byte signature over the canonical `signed`.
    sign: (data) => new Signature({ keyID: key.keyID, sig: sign(null, data, privateKey).toString("hex") }),
  };
  PRIVATE_KEYS.set(signer, privateKey.export({ format: "pem", type: "pkcs8" }).toString());
  return signer;
}
