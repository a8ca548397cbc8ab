import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { EdgewardError } from "@edgeward/core/errors";
import { decodeBase64, encodeBase64 } from "./base64.ts";

/** Signature type bytes (c2sp.org/signed-note §Signature types). */
export const SIG_ED25519 = 0x01;
/** ECDSA as transparency-dev/witness implements it; key ID over the SPKI DER (c2sp.org/signed-note §Signature types). */
export const SIG_ECDSA = 0x02;
/** Timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature). */
export const SIG_COSIGNATURE = 0x04;

/** Verifies one signature line's bytes (after the 4-byte key ID) over a note's text. */
export interface NoteVerifier {
  readonly name: string;
  /** The uint32 key ID (c2sp.org/signed-note §Signatures). */
  readonly keyId: number;
  /** The signature type byte. */
  readonly type: number;
  /** True when `signature` is valid for `text` under this key. Never throws for bad signature bytes. */
  verify(text: string, signature: Uint8Array): boolean;
}

/**
 * Key names are non-empty and contain no Unicode spaces and no plus (c2sp.org/signed-note §Format); control
 * characters are excluded too, since no note may contain them.
 */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s\p{Z}+\p{Cc}]/u.test(name);
}

/**
 * key ID = SHA-256(key name || 0x0A || signature type || public key)[:4] (c2sp.org/signed-note §Signatures);
 * for ECDSA (type 0x02) it is SHA-256 of the DER SPKI instead (§Signature types).
 */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const h = createHash("sha256");
  if (type === SIG_ECDSA) h.update(publicKey);
  else h.update(name, "utf8").update(Uint8Array.of(0x0a, type)).update(publicKey);
  return h.digest().readUInt32BE(0);
}

/** Formats a verifier key: name+hex(key ID)+base64(type || public key) (the vkey form of Go's sumdb/note). */
export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  const id = computeKeyId(name, type, publicKey).toString(16).padStart(8, "0");
  const material = new Uint8Array(1 + publicKey.length);
  material[0] = type;
  material.set(publicKey, 1);
  return `${name}+${id}+${encodeBase64(material)}`;
}

/**
 * Parses a verifier key (`name+keyid+base64`) for Ed25519 (0x01), ECDSA P-256 (0x02) or Ed25519 cosignatures
 * (0x04). Rejects a wrong ID, a key of the wrong length or curve, and any other type with EW_ERR_NOTE_VKEY.
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  // The base64 key may itself contain "+", so only the first two are separators (as in Go's sumdb/note).
  const parts = splitPlus(vkey.trim(), 3);
  if (parts === undefined) throw vkeyError("expected name+keyid+base64");
  const [name, idHex, b64] = parts as [string, string, string];
  if (!isValidKeyName(name)) throw vkeyError("invalid key name");
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw vkeyError("key ID is not 8 lowercase hex digits");
  const material = decodeBase64(b64, "EW_ERR_NOTE_VKEY", "the key");
  const type = material[0];
  const key = material.subarray(1);
  const keyId = Number.parseInt(idHex, 16);
  let publicKey: KeyObject;
  switch (type) {
    case SIG_ED25519:
    case SIG_COSIGNATURE:
      if (key.length !== 32) throw vkeyError(`Ed25519 key is ${key.length} bytes, not 32`);
      publicKey = ed25519PublicKey(key);
      break;
    case SIG_ECDSA:
      publicKey = p256PublicKey(key);
      break;
    default:
      throw vkeyError(`unsupported signature type ${type ?? "(none)"}`);
  }
  if (computeKeyId(name, type, key) !== keyId) throw vkeyError("key ID does not match the key");
  const verify =
    type === SIG_ED25519
      ? (text: string, sig: Uint8Array) =>
          sig.length === 64 && safeVerify(() => cryptoVerify(null, Buffer.from(text, "utf8"), publicKey, sig))
      : type === SIG_ECDSA
        ? (text: string, sig: Uint8Array) =>
            safeVerify(() => cryptoVerify("sha256", Buffer.from(text, "utf8"), publicKey, sig))
        : (text: string, sig: Uint8Array) => verifyCosignatureBytes(publicKey, text, sig);
  return { name, keyId, type, verify };
}

/**
 * The message an Ed25519 cosignature signs: "cosignature/v1\ntime <T>\n" followed by the checkpoint text
 * (c2sp.org/tlog-cosignature §Ed25519 signed message).
 */
export function cosignedMessage(text: string, timestamp: bigint): string {
  return `cosignature/v1\ntime ${timestamp.toString()}\n${text}`;
}

/** The timestamp of a timestamped_signature: a big-endian u64 before the 64-byte signature, at most 2^63 − 1. */
export function cosignatureTimestamp(signature: Uint8Array): bigint {
  if (signature.length !== 8 + 64)
    throw new EdgewardError("EW_ERR_COSIGNATURE_MALFORMED", { detail: `signature is ${signature.length} bytes` });
  const t = Buffer.from(signature.buffer, signature.byteOffset, 8).readBigUInt64BE(0);
  if (t > 2n ** 63n - 1n) throw new EdgewardError("EW_ERR_COSIGNATURE_TIME", { detail: "timestamp exceeds 2^63 − 1" });
  return t;
}

function verifyCosignatureBytes(key: KeyObject, text: string, signature: Uint8Array): boolean {
  if (signature.length !== 72) return false;
  const t = Buffer.from(signature.buffer, signature.byteOffset, 8).readBigUInt64BE(0);
  if (t > 2n ** 63n - 1n) return false;
  return safeVerify(() =>
    cryptoVerify(null, Buffer.from(cosignedMessage(text, t), "utf8"), key, signature.subarray(8)),
  );
}

/** An Ed25519 public key object from its 32 raw bytes (RFC 8032 encoding), via the fixed SPKI prefix. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
  try {
    return createPublicKey({ key: spki, format: "der", type: "spki" });
  } catch (err) {
    throw new EdgewardError("EW_ERR_NOTE_VKEY", { detail: "not an Ed25519 public key", cause: err });
  }
}

function p256PublicKey(spki: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch (err) {
    throw new EdgewardError("EW_ERR_NOTE_VKEY", { detail: "not a DER SubjectPublicKeyInfo", cause: err });
  }
  // The spec allows P-256, P-384 and P-521 and recommends P-256; this implementation supports only P-256
  // (c2sp.org/signed-note: "implementations SHOULD select only the one(s) required").
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1")
    throw vkeyError("ECDSA key is not on P-256");
  // The key ID hashes the DER bytes, so they must be the canonical encoding of this key.
  if (!Buffer.from(spki).equals(key.export({ format: "der", type: "spki" }))) throw vkeyError("non-canonical SPKI");
  return key;
}

function safeVerify(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

function vkeyError(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_NOTE_VKEY", { detail });
}

/** Splits at the first `count − 1` plus signs; undefined when there are fewer. */
export function splitPlus(text: string, count: number): string[] | undefined {
  const out: string[] = [];
  let rest = text;
  for (let i = 1; i < count; i++) {
    const at = rest.indexOf("+");
    if (at < 0) return undefined;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  out.push(rest);
  return out;
}
