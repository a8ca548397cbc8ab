import { EdgewardError } from "@edgeward/core/errors";
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from "./hash.ts";
import { decompose, MAX_TREE_SIZE, type NodeRef } from "./math.ts";

/** A perfect-subtree hash together with its position. */
export interface StoredNode extends NodeRef {
  readonly hash: Uint8Array;
}

/**
 * The compact range [0, size): the hashes of the perfect subtrees that cover the tree, largest first. Appending
 * a leaf merges equal-sized neighbours, so an append costs O(log n) hashes and the whole tree is never recomputed;
 * the root is these hashes folded right to left (RFC 9162 §2.1.1, MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))).
 */
export class CompactRange {
  #size: number;
  readonly #hashes: Uint8Array[];

  private constructor(size: number, hashes: Uint8Array[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  /** The empty range. */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /**
   * Rebuilds the range of a tree of `size` from its frontier hashes, in the order {@link CompactRange.frontier}
   * lists their positions.
   */
  static fromFrontier(size: number, hashes: readonly Uint8Array[]): CompactRange {
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_TREE_SIZE)
      throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `tree size ${size}` });
    if (hashes.length !== decompose(0, size).length || hashes.some((h) => h.length !== HASH_SIZE))
      throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: `frontier of size ${size} is incomplete` });
    return new CompactRange(size, [...hashes]);
  }

  /** Positions of the frontier nodes of a tree of `size`, largest first. */
  static frontier(size: number): NodeRef[] {
    return decompose(0, size);
  }

  /** Number of leaves covered. */
  get size(): number {
    return this.#size;
  }

  /** A copy that can be advanced without touching this one (used to stage a batch before it commits). */
  clone(): CompactRange {
    return new CompactRange(this.#size, [...this.#hashes]);
  }

  /**
   * Appends one leaf hash and returns every perfect node it completes (the leaf itself first, then each parent
   * formed by merging), so the caller can store them for proof generation.
   */
  append(leaf: Uint8Array): StoredNode[] {
    if (this.#size >= MAX_TREE_SIZE) throw new EdgewardError("EW_ERR_LOG_FULL");
    const created: StoredNode[] = [{ level: 0, index: this.#size, hash: leaf }];
    let hash = leaf;
    let index = this.#size;
    let level = 0;
    // Each trailing 1 bit of the old size is a left sibling of equal height waiting to merge.
    while (index % 2 === 1) {
      const left = this.#hashes.pop();
      if (left === undefined) throw new EdgewardError("EW_ERR_INTERNAL", { detail: "compact range underflow" });
      hash = nodeHash(left, hash);
      index = (index - 1) / 2;
      level++;
      created.push({ level, index, hash });
    }
    this.#hashes.push(hash);
    this.#size++;
    return created;
  }

  /** The tree head MTH(D[0:size]) (RFC 9162 §2.1.1). */
  root(): Uint8Array {
    const last = this.#hashes.length - 1;
    if (last < 0) return EMPTY_ROOT;
    let acc = this.#hashes[last]!;
    for (let i = last - 1; i >= 0; i--) acc = nodeHash(this.#hashes[i]!, acc);
    return acc;
  }
}
