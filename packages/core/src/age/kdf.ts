/**
 * HKDF-SHA-256 (RFC 5869) in the three shapes age needs: the one-shot form the age header and X25519
 * stanza use, and the separate Extract and Expand steps HPKE's labeled functions build on (RFC 9180 §4).
 */
import { createHash, createHmac, hkdfSync } from "node:crypto";

/** HKDF-SHA-256(ikm, salt, info) with a 32-byte output (c2sp.org/age §Conventions). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length = 32): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
}

/** HKDF-Extract (RFC 5869 §2.2): HMAC-SHA-256 keyed by `salt` (an empty salt is HashLen zeros). */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const key = salt.length === 0 ? new Uint8Array(32) : salt;
  return new Uint8Array(createHmac("sha256", key).update(ikm).digest());
}

/** HKDF-Expand (RFC 5869 §2.3). */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  for (let i = 1, filled = 0; filled < length; i++) {
    previous = new Uint8Array(
      createHmac("sha256", prk).update(previous).update(info).update(Uint8Array.of(i)).digest(),
    );
    out.set(previous.subarray(0, Math.min(previous.length, length - filled)), filled);
    filled += previous.length;
  }
  return out;
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** Concatenates byte strings (`||` in the specs). */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
