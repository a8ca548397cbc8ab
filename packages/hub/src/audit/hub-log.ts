import { EdgewardError, isEdgewardError } from "@edgeward/core";
import {
  DurableLog,
  type AuditEvent,
  type LogReader,
  type LogStore,
  type NoteSigner,
  type Receipt,
} from "@edgeward/tlog";
import { processLock, type WriterLock } from "../store/writer-lock.ts";

/** Most events committed in one turn of the writer lock. */
const MAX_BATCH = 4096;
/** Turns one batch may take when a writer outside the lock extended the log first. */
const MAX_ATTEMPTS = 8;
/** Entries re-hashed when the log is reopened after another replica's appends (the full check ran at start). */
const REOPEN_TAIL_CHECK = 16;
/** Failures of one event that leave the log usable (the event itself was refused before any write). */
const EVENT_ERRORS = new Set(["EW_ERR_LOG_EVENT_INVALID", "EW_ERR_INPUT_TOO_LARGE"]);

interface Pending {
  readonly event: AuditEvent;
  readonly resolve: (r: Receipt) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The hub's audit log (ARCHITECTURE.md, flows: Audit; promise 10) on @edgeward/tlog. Several `serve` processes on
 * one PostgreSQL share it. A DurableLog keeps the tree head in memory and refuses to commit over a tree another
 * process extended (EW_ERR_LOG_CONCURRENT_WRITER), so the replicas take turns: appends queue here, and each turn
 * of the database's writer lock (a PostgreSQL advisory lock, store/writer-lock.ts) first catches up with what the
 * other replicas wrote (reopening the log at the stored head), then commits everything queued as one group. Every
 * replica therefore writes into one linear, signed history, and none starves the other. A writer that does not take
 * the lock is still safe: its conflict makes this one reopen and try again.
 */
export class HubAuditLog {
  readonly #store: LogStore;
  readonly #signer: NoteSigner;
  readonly #lock: WriterLock;
  #log: DurableLog;
  #stale = false;
  #conflicts = 0;
  #pending: Pending[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;

  private constructor(store: LogStore, signer: NoteSigner, log: DurableLog, lock: WriterLock) {
    this.#store = store;
    this.#signer = signer;
    this.#log = log;
    this.#lock = lock;
  }

  /** Opens an existing log (created by `edgeward hub init`); `lock` is shared by every writer of this log. */
  static async open(store: LogStore, signer: NoteSigner, lock: WriterLock = processLock()): Promise<HubAuditLog> {
    const log = await lock.run(() => openLog(store, signer, 1024));
    return new HubAuditLog(store, signer, log, lock);
  }

  /** Creates the log in empty storage (hub init). */
  static async create(store: LogStore, signer: NoteSigner, lock: WriterLock = processLock()): Promise<HubAuditLog> {
    const log = await DurableLog.create(store, { origin: signer.name, signer }, { maxDelayMs: 1 });
    return new HubAuditLog(store, signer, log, lock);
  }

  /** Read access: checkpoints, inclusion and consistency proofs, entries. */
  get reader(): LogReader {
    return this.#log.reader;
  }

  /** Appends that had to be retried because a writer outside the lock extended the log first (0 when all lock). */
  get conflicts(): number {
    return this.#conflicts;
  }

  /** The log's verifier key. */
  get verifierKey(): string {
    return this.#log.meta.vkey;
  }

  /** Appends an event; resolves once it is durable under a stored signed checkpoint. */
  append(event: AuditEvent): Promise<Receipt> {
    if (this.#closed) return Promise.reject(new EdgewardError("EW_ERR_LOG_CLOSED"));
    return new Promise<Receipt>((resolve, reject) => {
      this.#pending.push({ event, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Commits what is queued and closes the storage. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
    await this.#log.close();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, MAX_BATCH);
        try {
          await this.#lock.run(() => this.#commit(batch));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  /** One turn of the lock: catch up with the stored head, append the batch, retry what raced a lock-less writer. */
  async #commit(batch: Pending[]): Promise<void> {
    let todo = batch;
    for (let attempt = 1; todo.length > 0; attempt++) {
      await this.#catchUp();
      const log = this.#log;
      const results = await Promise.allSettled(todo.map((p) => log.appendEvent(p.event)));
      const again: Pending[] = [];
      results.forEach((r, i) => {
        const p = todo[i]!;
        if (r.status === "fulfilled") return p.resolve(r.value);
        if (isEdgewardError(r.reason) && EVENT_ERRORS.has(r.reason.code)) return p.reject(r.reason);
        this.#stale = true;
        if (raced(r.reason)) this.#conflicts++;
        if (raced(r.reason) && attempt < MAX_ATTEMPTS) again.push(p);
        else p.reject(r.reason);
      });
      todo = again;
    }
  }

  /** Reopens the log when another replica extended it, or when a failed commit left it stopped. */
  async #catchUp(): Promise<void> {
    const head = await this.#store.latestCheckpoint();
    if (!this.#stale && head.size === this.#log.size) return;
    try {
      this.#log = await openLog(this.#store, this.#signer, REOPEN_TAIL_CHECK);
      this.#stale = false;
    } catch (err) {
      throw new EdgewardError("EW_ERR_HUB_UNAVAILABLE", { detail: "the audit log could not be reopened", cause: err });
    }
  }
}

/** Opens of one log that may meet a lock-less writer's commit half-way before a contradiction is believed. */
const OPEN_ATTEMPTS = 8;

/**
 * Opens the log for appending. DurableLog's start-up check reads the last checkpoint, then the stored entries and
 * nodes, in separate queries: a commit by a writer outside the lock between them looks like storage that
 * contradicts its checkpoint (EW_ERR_LOG_STORAGE_MISMATCH). Such a race passes on the next try; a real
 * contradiction stays, and is thrown after the last attempt.
 */
async function openLog(store: LogStore, signer: NoteSigner, tailCheck: number): Promise<DurableLog> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await DurableLog.open(store, signer, { maxDelayMs: 1, tailCheck });
    } catch (err) {
      if (!isEdgewardError(err, "EW_ERR_LOG_STORAGE_MISMATCH") || attempt >= OPEN_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 2 + Math.random() * 10 * attempt));
    }
  }
}

/** True when the append failed only because another process extended the log first. */
function raced(err: unknown): boolean {
  if (isEdgewardError(err, "EW_ERR_LOG_CONCURRENT_WRITER")) return true;
  return isEdgewardError(err, "EW_ERR_LOG_CLOSED") && isEdgewardError(err.cause, "EW_ERR_LOG_CONCURRENT_WRITER");
}
