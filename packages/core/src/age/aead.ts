/**
 * Single-message ChaCha20-Poly1305 (RFC 8439) with an empty AAD, as the age stanza bodies use it: a fixed
 * zero nonce for X25519 (c2sp.org/age §X25519 recipient stanza) and HPKE's base nonce for the HPKE stanzas.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";

const TAG_LENGTH = 16;

/** Encrypts `plaintext`, returning ciphertext ‖ tag. */
export function chachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_LENGTH });
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/** Decrypts ciphertext ‖ tag, or returns null when the tag does not verify. */
export function chachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG_LENGTH) return null;
  const decipher = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    return null;
  }
  return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
}
