import { EdgewardError } from "@edgeward/core/errors";
import { nodeHash } from "./hash.ts";
import { decompose, MAX_TREE_SIZE, splitPoint, type NodeRef } from "./math.ts";

/**
 * One hash of a proof, as the perfect subtrees it folds from: one node when the subtree is perfect, several when
 * it is the ragged right edge of the tree (MTH over a range whose size is not a power of two).
 */
export type PlanItem = readonly NodeRef[];

/** Where proof generation reads perfect-subtree hashes from: storage, or an in-memory tree in tests. */
export interface NodeSource {
  /** The hashes of `refs`, in order; every ref is a complete subtree of the stored tree. */
  getNodes(refs: readonly NodeRef[]): Promise<Uint8Array[]> | Uint8Array[];
}

/**
 * The hashes an inclusion proof for leaf `index` in a tree of `size` consists of, leaf side first
 * (RFC 9162 §2.1.3.1: PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k, PATH(m - k, D[k:n]) : MTH(D[0:k]) otherwise).
 */
export function inclusionPlan(index: number, size: number): PlanItem[] {
  checkSize(size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size)
    throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `index ${index} is not below tree size ${size}` });
  const out: PlanItem[] = [];
  path(index, 0, size, out);
  return out;
}

function path(m: number, begin: number, end: number, out: PlanItem[]): void {
  const n = end - begin;
  if (n <= 1) return;
  const k = splitPoint(n);
  if (m < begin + k) {
    path(m, begin, begin + k, out);
    out.push(decompose(begin + k, end));
  } else {
    path(m, begin + k, end, out);
    out.push(decompose(begin, begin + k));
  }
}

/**
 * The hashes a consistency proof from size `m` to size `n` consists of (RFC 9162 §2.1.4.1: PROOF(m, D[n]) =
 * SUBPROOF(m, D[n], true)). Empty when m = n; sizes with m = 0 have no meaningful proof and are refused.
 */
export function consistencyPlan(m: number, n: number): PlanItem[] {
  checkSize(n);
  if (!Number.isSafeInteger(m) || m < 1 || m > n)
    throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `sizes ${m} to ${n}` });
  const out: PlanItem[] = [];
  subproof(m, 0, n, true, out);
  return out;
}

function subproof(m: number, begin: number, end: number, complete: boolean, out: PlanItem[]): void {
  const n = end - begin;
  // RFC 9162 §2.1.4.1: SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}.
  if (m === n) {
    if (!complete) out.push(decompose(begin, end));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(m, begin, begin + k, complete, out);
    out.push(decompose(begin + k, end));
  } else {
    subproof(m - k, begin + k, end, false, out);
    out.push(decompose(begin, begin + k));
  }
}

/** Fetches every node a plan needs in one call and folds each item into its hash. */
export async function resolvePlan(source: NodeSource, plan: readonly PlanItem[]): Promise<Uint8Array[]> {
  const refs = plan.flat();
  const hashes = await source.getNodes(refs);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const item of plan) {
    const parts = hashes.slice(at, at + item.length);
    at += item.length;
    out.push(foldRight(parts));
  }
  return out;
}

/** Folds the hashes of a right-edge range into MTH of the range (RFC 9162 §2.1.1 applied to its decomposition). */
export function foldRight(parts: readonly Uint8Array[]): Uint8Array {
  let acc = parts[parts.length - 1];
  if (acc === undefined) throw new EdgewardError("EW_ERR_INTERNAL", { detail: "empty plan item" });
  for (let i = parts.length - 2; i >= 0; i--) acc = nodeHash(parts[i]!, acc);
  return acc;
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_TREE_SIZE)
    throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `tree size ${size}` });
}
