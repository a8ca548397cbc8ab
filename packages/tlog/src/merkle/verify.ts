import { EdgewardError } from "@edgeward/core/errors";
import { equalBytes, HASH_SIZE, nodeHash } from "./hash.ts";
import { half, isPowerOfTwo, lsb } from "./math.ts";

/**
 * Verifies that `leaf` (a leaf hash) is at `index` in the tree of `size` whose head is `root`
 * (RFC 9162 §2.1.3.2). Throws EW_ERR_PROOF_RANGE for an index outside the tree, EW_ERR_PROOF_MALFORMED for a hash
 * that is not 32 bytes, EW_ERR_PROOF_INVALID when the recomputed root differs or the proof has the wrong length.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHashes([leaf, root]);
  const computed = rootFromInclusionProof(leaf, index, size, proof);
  if (!equalBytes(computed, root)) throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "root differs" });
}

/**
 * The root that an inclusion proof for `leaf` at `index` implies for a tree of `size` (RFC 9162 §2.1.3.2 steps
 * 1–5, without the final comparison); throws when the proof's length does not fit the tree.
 */
export function rootFromInclusionProof(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkHashes([leaf]);
  checkHashes(proof);
  checkCount(index, "index");
  checkCount(size, "size");
  // Step 1: the leaf must be inside the tree.
  if (index >= size) throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `index ${index} ≥ size ${size}` });
  // Step 2–3.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  // Step 4: walk every proof element, checking each link.
  for (const p of proof) {
    if (sn === 0) throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "proof is too long" });
    if (lsb(fn) === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (lsb(fn) === 0) {
        while (lsb(fn) === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5: every level must have been consumed.
  if (sn !== 0) throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "proof is too short" });
  return r;
}

/**
 * Verifies that the tree of `size1` with head `root1` is a prefix of the tree of `size2` with head `root2`
 * (RFC 9162 §2.1.4.2). A proof from the empty tree proves nothing and is refused; equal sizes need an empty proof
 * and equal roots.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  checkCount(size1, "size1");
  checkCount(size2, "size2");
  if (size2 < size1) throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `size ${size1} > ${size2}` });
  // Every tree extends the empty one, so a proof from size 0 (including 0 to 0) carries no information; refuse it
  // rather than let a caller believe something was checked.
  if (size1 === 0) throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: "consistency from the empty tree" });
  if (size1 === size2) {
    // Equal sizes: the proof is empty and the heads must be the same bytes (RFC 9162 §2.1.4.1, SUBPROOF(m, D[m], true) = {}).
    if (proof.length !== 0)
      throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "non-empty proof for equal sizes" });
    if (!equalBytes(root1, root2)) throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "roots differ" });
    return;
  }
  checkHashes([root1, root2]);
  checkHashes(proof);
  // Step 1.
  if (proof.length === 0) throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "empty proof" });
  // Step 2: when size1 is a power of two, its root is itself the first node of the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // Step 3.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // Step 4.
  while (lsb(fn) === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5.
  let fr = path[0]!;
  let sr = fr;
  // Step 6: every element updates one or both running roots; none is skipped.
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "proof is too long" });
    if (lsb(fn) === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (lsb(fn) === 0) {
        while (lsb(fn) === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 7.
  if (sn !== 0) throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "proof is too short" });
  if (!equalBytes(fr, root1)) throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "first root differs" });
  if (!equalBytes(sr, root2)) throw new EdgewardError("EW_ERR_PROOF_INVALID", { detail: "second root differs" });
}

function checkHashes(hashes: readonly Uint8Array[]): void {
  for (const h of hashes)
    if (h.length !== HASH_SIZE)
      throw new EdgewardError("EW_ERR_PROOF_MALFORMED", { detail: `a hash is ${h.length} bytes, not ${HASH_SIZE}` });
}

function checkCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `${what} ${n}` });
}
