import { EdgewardError } from "@edgeward/core/errors";
import { openCheckpoint, type SignedCheckpoint } from "./checkpoint.ts";
import { CompactRange } from "./merkle/compact-range.ts";
import { consistencyPlan, inclusionPlan, resolvePlan } from "./merkle/plan.ts";
import { parseVerifierKey, type NoteVerifier } from "./note/keys.ts";
import { formatTlogProof } from "./proof-bundle.ts";
import type { LogMeta, LogStore } from "./store/types.ts";

/** An inclusion proof as `edgeward log prove --json` prints it. */
export interface InclusionProof {
  readonly index: number;
  readonly treeSize: number;
  readonly leafHash: Uint8Array;
  readonly rootHash: Uint8Array;
  readonly proof: Uint8Array[];
}

/** A consistency proof between two tree sizes. */
export interface ConsistencyProof {
  readonly size1: number;
  readonly size2: number;
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
  readonly proof: Uint8Array[];
}

/**
 * Read access to a stored log: its latest signed checkpoint and proofs served from the stored node hashes
 * (O(log n) reads each, one query). Needs no signing key; the hub, the CLI and auditors use it.
 */
export class LogReader {
  readonly store: LogStore;
  readonly meta: LogMeta;
  readonly key: NoteVerifier;

  protected constructor(store: LogStore, meta: LogMeta) {
    this.store = store;
    this.meta = meta;
    this.key = parseVerifierKey(meta.vkey);
  }

  /** Opens a reader on an existing log. */
  static async open(store: LogStore): Promise<LogReader> {
    return new LogReader(store, await store.readMeta());
  }

  /** The latest stored checkpoint, its signature checked with the log's own key. */
  async checkpoint(): Promise<SignedCheckpoint> {
    const stored = await this.store.latestCheckpoint();
    try {
      const cp = openCheckpoint(stored.note, this.key, { origin: this.meta.origin });
      if (cp.size !== stored.size)
        throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", { detail: "checkpoint row and note differ" });
      return cp;
    } catch (err) {
      if (err instanceof EdgewardError && err.code === "EW_ERR_LOG_STORAGE_MISMATCH") throw err;
      throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", {
        detail: "the latest stored checkpoint does not verify",
        cause: err,
      });
    }
  }

  /** Inclusion proof for entry `index` in the tree of `size` (default: the latest checkpoint's) (RFC 9162 §2.1.3.1). */
  async inclusionProof(index: number, size?: number): Promise<InclusionProof> {
    const treeSize = await this.#treeSize(size);
    const plan = inclusionPlan(index, treeSize);
    const [leaf, ...rest] = await resolvePlan(this.store, [[{ level: 0, index }], ...plan]);
    return { index, treeSize, leafHash: leaf!, rootHash: await this.rootAt(treeSize), proof: rest };
  }

  /** Consistency proof from `size1` to `size2` (default: the latest checkpoint's size) (RFC 9162 §2.1.4.1). */
  async consistencyProof(size1: number, size2?: number): Promise<ConsistencyProof> {
    const to = await this.#treeSize(size2);
    const proof = await resolvePlan(this.store, consistencyPlan(size1, to));
    return { size1, size2: to, root1: await this.rootAt(size1), root2: await this.rootAt(to), proof };
  }

  /** The root of the stored tree at `size`, from its frontier nodes (RFC 9162 §2.1.1). */
  async rootAt(size: number): Promise<Uint8Array> {
    return CompactRange.fromFrontier(size, await this.store.getNodes(CompactRange.frontier(size))).root();
  }

  /**
   * A tlog-proof bundle (c2sp.org/tlog-proof) for entry `index` under the latest checkpoint, which a device can
   * verify offline with the log's key.
   */
  async proofBundle(index: number, extra?: Uint8Array): Promise<string> {
    const cp = await this.checkpoint();
    const p = await this.inclusionProof(index, cp.size);
    return formatTlogProof(
      extra === undefined
        ? { index, proof: p.proof, checkpoint: cp.note }
        : { extra, index, proof: p.proof, checkpoint: cp.note },
    );
  }

  /** The stored bytes of entry `index`. */
  async entry(index: number): Promise<Uint8Array> {
    const [e] = await this.store.readEntries(index, index + 1);
    if (e === undefined) throw new EdgewardError("EW_ERR_PROOF_RANGE", { detail: `entry ${index} is not in the log` });
    return e.data;
  }

  /** `size`, or the latest checkpoint's size; refuses sizes past the latest checkpoint (EW_ERR_PROOF_RANGE). */
  async #treeSize(size: number | undefined): Promise<number> {
    const latest = (await this.store.latestCheckpoint()).size;
    const n = size ?? latest;
    if (!Number.isSafeInteger(n) || n < 0 || n > latest)
      throw new EdgewardError("EW_ERR_PROOF_RANGE", {
        detail: `tree size ${n} is past the latest checkpoint (${latest})`,
      });
    return n;
  }
}
