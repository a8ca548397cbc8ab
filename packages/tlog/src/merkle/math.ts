// Integer helpers for tree arithmetic. Tree sizes and indices reach 2^40, past the 32 bits JavaScript's bitwise
// operators work on, so everything here uses plain arithmetic on safe integers.

/** The largest tree this package builds or stores: 2^40 entries (node ids pack level and index in 2^46). */
export const MAX_TREE_SIZE = 2 ** 40;

/** A perfect subtree: the 2^level leaves starting at index * 2^level (RFC 9162 §2.1.1's MTH over them). */
export interface NodeRef {
  readonly level: number;
  readonly index: number;
}

/** The largest power of two strictly less than n, for n > 1 (RFC 9162 §2.1.1: "k ... largest power of two smaller than n"). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** True when n is a power of two (n ≥ 1). */
export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && splitPoint(n + 1) === n;
}

/** Bit 0 of a safe non-negative integer. */
export function lsb(n: number): number {
  return n % 2;
}

/** n >> 1 for a safe non-negative integer. */
export function half(n: number): number {
  return Math.floor(n / 2);
}

/**
 * The perfect subtrees covering [begin, end), left to right, each the largest aligned one that fits (the compact
 * range of the interval). For the right-hand ranges that RFC 9162 §2.1.1's recursion produces, folding these
 * right to left with the node hash gives MTH(D[begin:end]).
 */
export function decompose(begin: number, end: number): NodeRef[] {
  const out: NodeRef[] = [];
  let at = begin;
  while (at < end) {
    let width = 1;
    let level = 0;
    while (at % (width * 2) === 0 && at + width * 2 <= end) {
      width *= 2;
      level++;
    }
    out.push({ level, index: at / width });
    at += width;
  }
  return out;
}

/** A unique integer key for a node, for storage: level * 2^40 + index (below 2^53 for level ≤ 40). */
export function nodeId(ref: NodeRef): number {
  return ref.level * MAX_TREE_SIZE + ref.index;
}
