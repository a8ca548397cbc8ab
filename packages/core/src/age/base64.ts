/**
 * Unpadded, canonical base64 as the age header uses it (c2sp.org/age §Conventions: RFC 4648 §4 without `=`
 * padding; decoders MUST reject non-canonical encodings, RFC 4648 §3.5).
 */

const ALPHABET = /^[A-Za-z0-9+/]*$/;

/** Encodes `bytes` as standard base64 without padding. */
export function encodeBase64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/=+$/, "");
}

/**
 * Decodes unpadded canonical base64, or returns null when `text` has padding, a character outside the
 * standard alphabet, an impossible length, or non-zero trailing bits (the non-canonical forms).
 */
export function decodeBase64NoPad(text: string): Uint8Array | null {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, "base64");
  // Re-encoding is the simplest complete canonicality check: any non-zero unused bit changes the text.
  if (encodeBase64NoPad(bytes) !== text) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
