import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";

/** A freshly generated publisher signing key pair, both halves PEM. */
export interface SigningKeyPair {
  /** The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). Keep it secret (mode 0600). */
  readonly privateKeyPem: string;
  /** The public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`). Give it to whoever verifies. */
  readonly publicKeyPem: string;
}

/** Generates an ECDSA P-256 key pair for signing models (OMS key-based signing, sigstore `PKIX_ECDSA_P256_SHA_256`). */
export function generateSigningKey(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ec", {
    namedCurve: "P-256",
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * Loads a P-256 private key from PEM (PKCS#8, or SEC1 `EC PRIVATE KEY`); unencrypted only.
 * Throws EW_ERR_SIG_KEY_INVALID for anything else.
 */
export function loadPrivateKey(pem: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: toText(pem), format: "pem" });
  } catch (err) {
    throw new EdgewardError("EW_ERR_SIG_KEY_INVALID", { detail: "not an unencrypted PEM private key", cause: err });
  }
  return requireP256(key, "private");
}

/**
 * Loads a P-256 public key from one SPKI PEM block (`-----BEGIN PUBLIC KEY-----`). A private key or a
 * certificate is refused, so a key file mix-up is reported instead of silently working.
 * Throws EW_ERR_SIG_KEY_INVALID.
 */
export function loadPublicKey(pem: string | Uint8Array): KeyObject {
  const text = toText(pem);
  const match = SPKI_PEM.exec(text);
  // RFC 7468 §2 lets explanatory text surround the block (certtool writes some); a second block of any kind
  // (a private key, a certificate) is refused rather than guessed at.
  if (match?.[1] === undefined || text.split("-----BEGIN ").length !== 2)
    throw new EdgewardError("EW_ERR_SIG_KEY_INVALID", { detail: "not one SPKI PEM public key" });
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(match[1].replace(/\s+/g, ""), "base64"), format: "der", type: "spki" });
  } catch (err) {
    throw new EdgewardError("EW_ERR_SIG_KEY_INVALID", {
      detail: "the PEM does not hold a valid public key",
      cause: err,
    });
  }
  return requireP256(key, "public");
}

/** Accepts a KeyObject or PEM as given to signModel and returns the P-256 private key (EW_ERR_SIG_KEY_INVALID). */
export function toSigningKey(key: KeyObject | string): KeyObject {
  if (typeof key === "string") return loadPrivateKey(key);
  if (key.type !== "private") throw new EdgewardError("EW_ERR_SIG_KEY_INVALID", { detail: "a private key is needed" });
  return requireP256(key, "private");
}

/** Accepts a KeyObject or PEM as given to verifyModel and returns the P-256 public key (EW_ERR_SIG_KEY_INVALID). */
export function toVerifyingKey(key: KeyObject | string): KeyObject {
  if (typeof key === "string") return loadPublicKey(key);
  // A private KeyObject holds its public half; accept it as the API user clearly has the pair.
  const pub = key.type === "private" ? createPublicKey(key) : key;
  if (pub.type !== "public") throw new EdgewardError("EW_ERR_SIG_KEY_INVALID", { detail: "a public key is needed" });
  return requireP256(pub, "public");
}

/**
 * The key identifier OMS key-based signers write to `verificationMaterial.publicKey.hint`: the lowercase hex
 * SHA-256 of the public key's SPKI PEM text (model-transparency `sign_ec_key.py`, `_get_verification_material`).
 * Node's PEM export (64-column base64, trailing newline) is byte-identical to pyca/cryptography's.
 */
export function publicKeyHint(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return createHash("sha256")
    .update(pub.export({ type: "spki", format: "pem" }))
    .digest("hex");
}

/**
 * The ECDSA digest for a curve, as sigstore's key details pair them (`PKIX_ECDSA_P256_SHA_256`, `_P384_SHA_384`,
 * `_P521_SHA_512`; model-transparency `get_ec_key_hash`). Only P-256 passes Edgeward's key policy; the others
 * exist so upstream test vectors (signed with P-384) can be checked. Undefined for anything that is not EC.
 */
export function ecdsaDigestFor(key: KeyObject): "sha256" | "sha384" | "sha512" | undefined {
  if (key.asymmetricKeyType !== "ec") return undefined;
  switch (key.asymmetricKeyDetails?.namedCurve) {
    case "prime256v1":
      return "sha256";
    case "secp384r1":
      return "sha384";
    case "secp521r1":
      return "sha512";
    default:
      return undefined;
  }
}

const SPKI_PEM = /-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END PUBLIC KEY-----/;

function requireP256(key: KeyObject, kind: "private" | "public"): KeyObject {
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    const what =
      key.asymmetricKeyType === "ec" ? `curve ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
    throw new EdgewardError("EW_ERR_SIG_KEY_INVALID", { detail: `${kind} key is ${what ?? "unknown"}, not P-256` });
  }
  return key;
}

function toText(pem: string | Uint8Array): string {
  return typeof pem === "string" ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength).toString("utf8");
}
