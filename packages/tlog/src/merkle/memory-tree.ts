import { EdgewardError } from "@edgeward/core/errors";
import { CompactRange } from "./compact-range.ts";
import { consistencyPlan, inclusionPlan, resolvePlan, type NodeSource } from "./plan.ts";
import type { NodeRef } from "./math.ts";

/**
 * A whole Merkle tree in memory: every perfect subtree hash by (level, index). Used to recompute a stored log from
 * its entries when auditing it, and as a reference in tests. Appends go through a {@link CompactRange}, so the
 * tree is never rebuilt.
 */
export class MemoryTree implements NodeSource {
  /** levels[l][i] is the hash of the perfect subtree (l, i). */
  readonly #levels: Uint8Array[][] = [];
  readonly #range = CompactRange.empty();

  /** Number of leaves. */
  get size(): number {
    return this.#range.size;
  }

  /** Appends a leaf hash. */
  append(leaf: Uint8Array): void {
    for (const node of this.#range.append(leaf)) (this.#levels[node.level] ??= []).push(node.hash);
  }

  /** The current root. */
  root(): Uint8Array {
    return this.#range.root();
  }

  /** The root the tree had at `size` leaves (RFC 9162 §2.1.1 over the decomposition of [0, size)). */
  rootAt(size: number): Uint8Array {
    if (size === this.size) return this.root();
    return CompactRange.fromFrontier(size, this.getNodes(CompactRange.frontier(size))).root();
  }

  /** Hash of a perfect subtree. */
  node(ref: NodeRef): Uint8Array {
    const hash = this.#levels[ref.level]?.[ref.index];
    if (hash === undefined)
      throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `node (${ref.level}, ${ref.index}) is not complete` });
    return hash;
  }

  getNodes(refs: readonly NodeRef[]): Uint8Array[] {
    return refs.map((r) => this.node(r));
  }

  /** Inclusion proof for leaf `index` in the tree of `size` (RFC 9162 §2.1.3.1). */
  async inclusionProof(index: number, size = this.size): Promise<Uint8Array[]> {
    return await resolvePlan(this, inclusionPlan(index, size));
  }

  /** Consistency proof from `size1` to `size2` (RFC 9162 §2.1.4.1). */
  async consistencyProof(size1: number, size2 = this.size): Promise<Uint8Array[]> {
    return await resolvePlan(this, consistencyPlan(size1, size2));
  }
}
