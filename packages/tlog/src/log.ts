import { EdgewardError } from "@edgeward/core/errors";
import { formatCheckpoint } from "./checkpoint.ts";
import { encodeAuditEvent, type AuditEvent } from "./event.ts";
import type { CompactRange } from "./merkle/compact-range.ts";
import { type StoredNode } from "./merkle/compact-range.ts";
import { EMPTY_ROOT, leafHash } from "./merkle/hash.ts";
import { signNote } from "./note/note.ts";
import type { NoteSigner } from "./note/signer.ts";
import { LogReader } from "./reader.ts";
import { rangeAt, startupCheck } from "./startup-check.ts";
import { SignedStateGuard } from "./signed-state/guard.ts";
import type { SignedStateStore, TreeHead } from "./signed-state/state.ts";
import type { Batch, LogMeta, LogStore, StoredCheckpoint } from "./store/types.ts";

/** What an acknowledged append returns: where the entry is, and the stored checkpoint that covers it. */
export interface Receipt {
  readonly index: number;
  readonly checkpoint: StoredCheckpoint;
}

/** Group-commit tuning. */
export interface DurableLogOptions {
  /** Most entries in one transaction (default 4096). */
  readonly maxBatch?: number;
  /** How long the first entry of a batch waits for company, in ms (default 2). */
  readonly maxDelayMs?: number;
  /** Entries the start-up check re-hashes at the end of the log (default 1024). */
  readonly tailCheck?: number;
  /** Called after each checkpoint is stored, before the appends it covers are acknowledged. */
  readonly onCheckpoint?: (checkpoint: StoredCheckpoint) => void;
  /**
   * Where the last checkpoint the key signed is recorded, outside storage (beside the key). With it the log
   * refuses to sign over storage that is behind or apart from what the key signed (EW_ERR_LOG_ROLLED_BACK).
   */
  readonly signedState?: SignedStateStore;
}

interface Pending {
  readonly data: Uint8Array;
  readonly resolve: (r: Receipt) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The durable, append-only log. Appends are batched (group commit): entries that arrive within a few
 * milliseconds, or while the previous batch commits, go into one transaction together with the nodes they
 * complete and one checkpoint signed over the new tree. A receipt is returned only after that transaction has
 * committed, so every acknowledged entry is durable and covered by a stored, signed checkpoint.
 *
 * New checkpoints are always extensions of the compact range that reproduced the last stored checkpoint, so the
 * log never signs a checkpoint inconsistent with one it signed before (c2sp.org/tlog-checkpoint §Signatures). It
 * refuses to open storage that contradicts its last checkpoint, and stops after any failed commit (whose outcome
 * may be unknown) until it is opened again.
 */
export class DurableLog {
  /** Read access (checkpoints, proofs, bundles) to the same storage. */
  readonly reader: LogReader;
  readonly store: LogStore;
  readonly meta: LogMeta;
  readonly #signer: NoteSigner;
  readonly #guard: SignedStateGuard | undefined;
  readonly #options: {
    maxBatch: number;
    maxDelayMs: number;
    onCheckpoint: ((c: StoredCheckpoint) => void) | undefined;
  };
  #range: CompactRange;
  #latest: StoredCheckpoint;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #failed: unknown;
  #closed = false;

  private constructor(
    reader: LogReader,
    signer: NoteSigner,
    range: CompactRange,
    latest: StoredCheckpoint,
    options: DurableLogOptions,
  ) {
    this.reader = reader;
    this.store = reader.store;
    this.meta = reader.meta;
    this.#signer = signer;
    this.#guard =
      options.signedState === undefined ? undefined : new SignedStateGuard(options.signedState, signer.vkey);
    this.#range = range;
    this.#latest = latest;
    this.#options = {
      maxBatch: options.maxBatch ?? 4096,
      maxDelayMs: options.maxDelayMs ?? 2,
      onCheckpoint: options.onCheckpoint,
    };
  }

  /**
   * Creates a new log in empty storage: records origin and verifier key, and stores a signed checkpoint of the
   * empty tree. The signer's name should be the origin (c2sp.org/tlog-checkpoint: the key name SHOULD match).
   */
  static async create(
    store: LogStore,
    init: { origin: string; signer: NoteSigner; keyPath?: string },
    options: DurableLogOptions = {},
  ): Promise<DurableLog> {
    const note = signNote(formatCheckpoint({ origin: init.origin, size: 0, root: EMPTY_ROOT }), [init.signer]);
    const meta: LogMeta = {
      origin: init.origin,
      vkey: init.signer.vkey,
      createdAt: new Date().toISOString(),
      ...(init.keyPath === undefined ? {} : { keyPath: init.keyPath }),
    };
    if (options.signedState !== undefined) await new SignedStateGuard(options.signedState, init.signer.vkey).atCreate();
    await store.create(meta, { size: 0, note });
    return DurableLog.open(store, init.signer, options);
  }

  /**
   * Opens an existing log for appending, after checking that storage agrees with the last signed checkpoint:
   * the signer is the log's key; the checkpoint verifies; exactly its number of entries is stored; the stored
   * frontier nodes reproduce its root; and the last `tailCheck` entries hash to their stored leaf hashes.
   * Any contradiction refuses to start with EW_ERR_LOG_STORAGE_MISMATCH. With a signed state, storage must also
   * hold the history the key signed (EW_ERR_LOG_ROLLED_BACK). The checks run under the write lock, so another
   * process appending meanwhile cannot make them read a half-updated picture.
   */
  static async open(store: LogStore, signer: NoteSigner, options: DurableLogOptions = {}): Promise<DurableLog> {
    const reader = await LogReader.open(store);
    const meta = reader.meta;
    if (signer.vkey !== meta.vkey)
      throw new EdgewardError("EW_ERR_LOG_KEY_MISMATCH", { detail: `${signer.vkey} is not ${meta.vkey}` });
    let opened: DurableLog | undefined;
    await store.exclusive(async (latest) => {
      const range = await startupCheck(store, meta, latest, options.tailCheck ?? 1024);
      opened = new DurableLog(reader, signer, range, latest, options);
      await opened.#checkSigned(true);
      return undefined;
    });
    return opened!;
  }

  /** The tree size of the last stored checkpoint. */
  get size(): number {
    return this.#latest.size;
  }

  /** The last stored checkpoint. */
  get latest(): StoredCheckpoint {
    return this.#latest;
  }

  /** Appends one entry; resolves once it is durable and covered by a stored signed checkpoint. */
  append(data: Uint8Array): Promise<Receipt> {
    if (this.#closed) return Promise.reject(new EdgewardError("EW_ERR_LOG_CLOSED"));
    if (this.#failed !== undefined)
      return Promise.reject(new EdgewardError("EW_ERR_LOG_CLOSED", { cause: this.#failed }));
    return new Promise<Receipt>((resolve, reject) => {
      this.#pending.push({ data, resolve, reject });
      this.#schedule();
    });
  }

  /** Appends several entries, in order. */
  appendAll(entries: readonly Uint8Array[]): Promise<Receipt[]> {
    return Promise.all(entries.map((e) => this.append(e)));
  }

  /** Appends an audit event in its canonical encoding. */
  appendEvent(event: AuditEvent): Promise<Receipt> {
    return this.append(encodeAuditEvent(event));
  }

  /** Commits what is pending and waits for it. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending.length > 0 && this.#draining === undefined) this.#draining = this.#drain();
    await this.#draining;
  }

  /** Commits what is pending, marks the last signed checkpoint as stored, then closes storage. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
      if (this.#guard !== undefined && this.#failed === undefined)
        await this.store.exclusive(async (latest) => {
          await this.#catchUp(latest);
          await this.#checkSigned(true);
          return undefined;
        });
    } finally {
      this.#closed = true;
      await this.store.close();
    }
  }

  #schedule(): void {
    if (this.#draining !== undefined || this.#timer !== undefined) return;
    if (this.#pending.length >= this.#options.maxBatch) {
      this.#draining = this.#drain();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#draining === undefined) this.#draining = this.#drain();
    }, this.#options.maxDelayMs);
  }

  /** Commits batches until nothing is pending; entries arriving meanwhile join the next batch. */
  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0 && this.#failed === undefined) {
        const batch = this.#pending.splice(0, this.#options.maxBatch);
        await this.#commit(batch);
        // Let the callers whose appends were just acknowledged enqueue their next ones before the next batch.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.#draining = undefined;
      if (this.#pending.length > 0) {
        if (this.#failed !== undefined) this.#rejectAll(this.#pending.splice(0), this.#failed);
        else this.#schedule();
      }
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    let fromSize = 0;
    let next: CompactRange | undefined;
    let checkpoint: StoredCheckpoint | undefined;
    try {
      // Sign only while holding the write lock, over the head storage holds now (another process may have
      // appended since the last batch), so two writers never sign two trees of one size.
      await this.store.exclusive(async (latest): Promise<Batch> => {
        await this.#catchUp(latest);
        await this.#checkSigned(false);
        fromSize = this.#range.size;
        next = this.#range.clone();
        const nodes: StoredNode[] = [];
        for (const p of batch) for (const n of next.append(leafHash(p.data))) nodes.push(n);
        const root = next.root();
        await this.#guard?.willSign(this.#head(), { size: next.size, root });
        checkpoint = {
          size: next.size,
          note: signNote(formatCheckpoint({ origin: this.meta.origin, size: next.size, root }), [this.#signer]),
        };
        return { fromSize, entries: batch.map((p) => p.data), nodes, checkpoint };
      });
    } catch (err) {
      // The commit's outcome may be unknown (a lost connection during COMMIT): stop, so the in-memory tree can
      // never diverge from storage; opening the log again re-reads and re-checks storage.
      this.#failed = err;
      this.#rejectAll(batch, err);
      return;
    }
    this.#range = next!;
    this.#latest = checkpoint!;
    this.#options.onCheckpoint?.(checkpoint!);
    batch.forEach((p, i) => p.resolve({ index: fromSize + i, checkpoint: checkpoint! }));
  }

  #head(): TreeHead {
    return { size: this.#range.size, root: this.#range.root() };
  }

  /** Checks the signed state against storage's head (under the write lock); `confirm` records a finished commit. */
  async #checkSigned(confirm: boolean): Promise<void> {
    if (this.#guard === undefined) return;
    const head = this.#head();
    const state = await this.#guard.check(head, (size) => this.reader.rootAt(size));
    if (confirm) await this.#guard.confirm(state, head);
  }

  /**
   * Under the write lock: when another process appended since this one last looked, continue from its head,
   * after checking that head's signature and that the stored nodes reproduce its root.
   */
  async #catchUp(latest: StoredCheckpoint): Promise<void> {
    if (latest.size === this.#range.size && latest.note === this.#latest.note) return;
    if (latest.size < this.#range.size)
      throw new EdgewardError("EW_ERR_LOG_STORAGE_MISMATCH", {
        detail: `storage went back from size ${this.#range.size} to ${latest.size} while the log was open`,
      });
    this.#range = await rangeAt(this.store, this.meta, latest);
    this.#latest = latest;
  }

  #rejectAll(batch: Pending[], err: unknown): void {
    for (const p of batch)
      p.reject(err instanceof EdgewardError ? err : new EdgewardError("EW_ERR_LOG_STORAGE", { cause: err }));
  }
}
