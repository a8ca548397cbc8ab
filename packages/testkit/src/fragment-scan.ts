/**
 * The disk scan of {@link filesHolding} (ARCHITECTURE.md "Rules that hold everywhere": no plaintext model byte on
 * disk) for secrets of megabytes: the same fragments, found in one pass over each file instead of one search per
 * fragment. The fragments are indexed by their first four bytes in a 16-Mibit filter; each file offset costs one
 * filter probe, and only offsets that pass are compared in full.
 */
import { readFileSync } from "node:fs";
import { filesHolding, filesUnder } from "./disk-scan.ts";

const FILTER_BITS = 24;

/**
 * The files under `dirs` that contain any `window`-byte fragment of `secret` (fragments start every `window / 2`
 * bytes, so any copy of `1.5 * window` bytes or more is found), or `secret` whole when it is not longer than that:
 * what {@link filesHolding} answers, in time linear in the bytes scanned.
 */
export function filesHoldingFragments(dirs: readonly string[], secret: Uint8Array, window = 64): string[] {
  const s = Buffer.from(secret);
  if (s.length < 4 || window < 4) return filesHolding(dirs, secret, window);
  const size = Math.min(window, s.length);
  const probes = new Set<string>();
  const filter = new Uint8Array(1 << (FILTER_BITS - 3));
  const step = Math.max(1, window / 2);
  for (let i = 0; i + size <= s.length; i += s.length <= window ? s.length : step) {
    probes.add(s.toString("latin1", i, i + size));
    mark(filter, s.readUInt32LE(i));
  }
  const hits: string[] = [];
  for (const dir of dirs)
    for (const file of filesUnder(dir)) if (holds(readFileSync(file), size, filter, probes)) hits.push(file);
  return hits;
}

function holds(bytes: Buffer, size: number, filter: Uint8Array, probes: Set<string>): boolean {
  for (let j = 0; j + size <= bytes.length; j++) {
    const word = (bytes[j]! | (bytes[j + 1]! << 8) | (bytes[j + 2]! << 16) | (bytes[j + 3]! << 24)) >>> 0;
    const h = slot(word);
    if ((filter[h >>> 3]! & (1 << (h & 7))) === 0) continue;
    if (probes.has(bytes.toString("latin1", j, j + size))) return true;
  }
  return false;
}

function mark(filter: Uint8Array, word: number): void {
  const h = slot(word);
  filter[h >>> 3] = filter[h >>> 3]! | (1 << (h & 7));
}

/** A 24-bit multiplicative hash of a 32-bit word (Knuth's golden-ratio constant). */
function slot(word: number): number {
  return Math.imul(word, 0x9e3779b1) >>> (32 - FILTER_BITS);
}
