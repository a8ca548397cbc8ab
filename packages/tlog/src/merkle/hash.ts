import { createHash } from "node:crypto";

/** Size in bytes of every hash in the log (SHA-256, RFC 9162 §2.1). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1, MTH({}) = HASH()). */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(createHash("sha256").digest());

/** Leaf hash of an entry: SHA-256(0x00 || data) (RFC 9162 §2.1.1, MTH({d(0)}) = HASH(0x00 || d(0))). */
export function leafHash(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(LEAF_PREFIX).update(data).digest());
}

/** Interior node hash: SHA-256(0x01 || left || right) (RFC 9162 §2.1.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest());
}

/** Constant-shape byte comparison for hashes (they are public, so timing does not matter; length does). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
