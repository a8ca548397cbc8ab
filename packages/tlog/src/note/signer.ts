import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { EdgewardError } from "@edgeward/core/errors";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import {
  SIG_COSIGNATURE,
  SIG_ECDSA,
  SIG_ED25519,
  computeKeyId,
  cosignedMessage,
  formatVerifierKey,
  isValidKeyName,
  splitPlus,
} from "./keys.ts";

/** Produces one signature line's bytes (after the 4-byte key ID) over a note's text. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  /** The verifier key (`name+keyid+base64`) that checks this signer's signatures. */
  readonly vkey: string;
  sign(text: string): Uint8Array;
}

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * A signing key file in the form of Go's sumdb/note: `PRIVATE+KEY+name+keyid+base64(type || key)`, where the key is
 * the 32-byte Ed25519 seed (type 0x01 or 0x04) or a PKCS#8 DER P-256 key (type 0x02).
 */
export function parseSignerKey(skey: string): NoteSigner {
  const parts = splitPlus(skey.trim(), 5);
  if (parts === undefined || parts[0] !== "PRIVATE" || parts[1] !== "KEY")
    throw skeyError("expected PRIVATE+KEY+name+keyid+base64");
  const [, , name, idHex, b64] = parts as [string, string, string, string, string];
  if (!isValidKeyName(name)) throw skeyError("invalid key name");
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw skeyError("key ID is not 8 lowercase hex digits");
  const material = decodeBase64(b64, "EW_ERR_NOTE_SKEY", "the key");
  const type = material[0];
  const key = material.subarray(1);
  let signer: NoteSigner;
  if (type === SIG_ED25519 || type === SIG_COSIGNATURE) {
    if (key.length !== 32) throw skeyError("Ed25519 seed is not 32 bytes");
    signer = type === SIG_ED25519 ? ed25519Signer(name, key) : cosignatureSigner(name, key);
  } else if (type === SIG_ECDSA) {
    signer = ecdsaSigner(name, key);
  } else {
    throw skeyError(`unsupported signature type ${type ?? "(none)"}`);
  }
  if (signer.keyId !== Number.parseInt(idHex, 16)) throw skeyError("key ID does not match the key");
  return signer;
}

/** Formats the signing key file text for a seed or PKCS#8 key (the inverse of {@link parseSignerKey}). */
export function formatSignerKey(signer: NoteSigner, secret: Uint8Array): string {
  const material = new Uint8Array(1 + secret.length);
  material[0] = signer.type;
  material.set(secret, 1);
  return `PRIVATE+KEY+${signer.name}+${signer.keyId.toString(16).padStart(8, "0")}+${encodeBase64(material)}\n`;
}

/** A new Ed25519 note key (type 0x01, or 0x04 for a witness): the key file text, the signer and its vkey. */
export function generateNoteKey(
  name: string,
  type: typeof SIG_ED25519 | typeof SIG_COSIGNATURE = SIG_ED25519,
): { skey: string; signer: NoteSigner } {
  const seed = new Uint8Array(randomBytes(32));
  const signer = type === SIG_ED25519 ? ed25519Signer(name, seed) : cosignatureSigner(name, seed);
  return { skey: formatSignerKey(signer, seed), signer };
}

/** A new ECDSA P-256 note key (type 0x02). */
export function generateEcdsaNoteKey(name: string): { skey: string; signer: NoteSigner } {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pkcs8 = new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }));
  const signer = ecdsaSigner(name, pkcs8);
  return { skey: formatSignerKey(signer, pkcs8), signer };
}

/** Ed25519 note signer (c2sp.org/signed-note §Ed25519 signatures: RFC 8032 over the note text). */
export function ed25519Signer(name: string, seed: Uint8Array): NoteSigner {
  const { privateKey, publicRaw } = ed25519FromSeed(name, seed);
  return {
    name,
    type: SIG_ED25519,
    keyId: computeKeyId(name, SIG_ED25519, publicRaw),
    vkey: formatVerifierKey(name, SIG_ED25519, publicRaw),
    sign: (text) => new Uint8Array(sign(null, Buffer.from(text, "utf8"), privateKey)),
  };
}

/**
 * Timestamped Ed25519 cosigner (c2sp.org/tlog-cosignature): signs "cosignature/v1\ntime T\n" || text and emits
 * u64 timestamp || signature. `now` returns POSIX seconds (injectable for tests).
 */
export function cosignatureSigner(
  name: string,
  seed: Uint8Array,
  now: () => number = () => Date.now() / 1000,
): NoteSigner {
  const { privateKey, publicRaw } = ed25519FromSeed(name, seed);
  return {
    name,
    type: SIG_COSIGNATURE,
    keyId: computeKeyId(name, SIG_COSIGNATURE, publicRaw),
    vkey: formatVerifierKey(name, SIG_COSIGNATURE, publicRaw),
    sign: (text) => {
      const t = BigInt(Math.floor(now()));
      const out = new Uint8Array(72);
      Buffer.from(out.buffer).writeBigUInt64BE(t, 0);
      out.set(sign(null, Buffer.from(cosignedMessage(text, t), "utf8"), privateKey), 8);
      return out;
    },
  };
}

/** ECDSA P-256 note signer (type 0x02): ASN.1 DER signature over SHA-256 of the text, key ID over the SPKI. */
export function ecdsaSigner(name: string, pkcs8: Uint8Array): NoteSigner {
  if (!isValidKeyName(name)) throw skeyError("invalid key name");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
  } catch (err) {
    throw new EdgewardError("EW_ERR_NOTE_SKEY", { detail: "not a PKCS#8 key", cause: err });
  }
  if (privateKey.asymmetricKeyType !== "ec" || privateKey.asymmetricKeyDetails?.namedCurve !== "prime256v1")
    throw skeyError("ECDSA key is not on P-256");
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: "der", type: "spki" }));
  return {
    name,
    type: SIG_ECDSA,
    keyId: computeKeyId(name, SIG_ECDSA, spki),
    vkey: formatVerifierKey(name, SIG_ECDSA, spki),
    sign: (text) => new Uint8Array(sign("sha256", Buffer.from(text, "utf8"), privateKey)),
  };
}

function ed25519FromSeed(name: string, seed: Uint8Array): { privateKey: KeyObject; publicRaw: Uint8Array } {
  if (!isValidKeyName(name)) throw skeyError("invalid key name");
  if (seed.length !== 32) throw skeyError("Ed25519 seed is not 32 bytes");
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { privateKey, publicRaw: new Uint8Array(spki.subarray(spki.length - 32)) };
}

function skeyError(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_NOTE_SKEY", { detail });
}
