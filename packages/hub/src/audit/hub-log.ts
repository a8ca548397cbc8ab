import { EdgewardError, isEdgewardError } from "@edgeward/core";
import {
  DurableLog,
  type AuditEvent,
  type LogReader,
  type LogStore,
  type NoteSigner,
  type Receipt,
} from "@edgeward/tlog";

/** How often an append is retried after another replica extended the log first. */
const MAX_ATTEMPTS = 16;
/** Entries re-hashed when the log is reopened after another replica's append (the full check ran at start). */
const REOPEN_TAIL_CHECK = 16;

/**
 * The hub's audit log (ARCHITECTURE.md, flows: Audit; promise 10) on @edgeward/tlog. Several `serve` processes on one
 * PostgreSQL share it: a DurableLog refuses to commit over a tree that another process extended
 * (EW_ERR_LOG_CONCURRENT_WRITER, checked under the store's lock), so this wrapper reopens the log at the new head and
 * appends again. Every replica therefore writes into one linear, signed history.
 */
export class HubAuditLog {
  readonly #store: LogStore;
  readonly #signer: NoteSigner;
  #log: DurableLog;
  #reopening: Promise<DurableLog> | undefined;
  #closed = false;

  private constructor(store: LogStore, signer: NoteSigner, log: DurableLog) {
    this.#store = store;
    this.#signer = signer;
    this.#log = log;
  }

  /** Opens an existing log (created by `edgeward hub init`). */
  static async open(store: LogStore, signer: NoteSigner): Promise<HubAuditLog> {
    return new HubAuditLog(store, signer, await DurableLog.open(store, signer, { maxDelayMs: 1 }));
  }

  /** Creates the log in empty storage (hub init). */
  static async create(store: LogStore, signer: NoteSigner): Promise<HubAuditLog> {
    return new HubAuditLog(store, signer, await DurableLog.create(store, { origin: signer.name, signer }));
  }

  /** Read access: checkpoints, inclusion and consistency proofs, entries. */
  get reader(): LogReader {
    return this.#log.reader;
  }

  /** The log's verifier key. */
  get verifierKey(): string {
    return this.#log.meta.vkey;
  }

  /** Appends an event; resolves once it is durable under a stored signed checkpoint. */
  async append(event: AuditEvent): Promise<Receipt> {
    for (let attempt = 0; ; attempt++) {
      const log = this.#log;
      try {
        return await log.appendEvent(event);
      } catch (err) {
        if (this.#closed || !raced(err) || attempt + 1 >= MAX_ATTEMPTS) throw err;
        await this.#reopen(log);
      }
    }
  }

  /** Commits what is pending and closes the storage. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#reopening?.catch(() => undefined);
    await this.#log.close();
  }

  /** Reopens the log once per failure, however many appends saw it fail. */
  async #reopen(failed: DurableLog): Promise<void> {
    if (this.#log !== failed) return;
    this.#reopening ??= DurableLog.open(this.#store, this.#signer, { maxDelayMs: 1, tailCheck: REOPEN_TAIL_CHECK });
    try {
      this.#log = await this.#reopening;
    } catch (err) {
      throw new EdgewardError("EW_ERR_HUB_UNAVAILABLE", { detail: "the audit log could not be reopened", cause: err });
    } finally {
      this.#reopening = undefined;
    }
    // A little jitter so replicas that collided do not collide again in lockstep.
    await new Promise((r) => setTimeout(r, Math.random() * 3));
  }
}

/** True when the append failed only because another process extended the log first. */
function raced(err: unknown): boolean {
  if (isEdgewardError(err, "EW_ERR_LOG_CONCURRENT_WRITER")) return true;
  return isEdgewardError(err, "EW_ERR_LOG_CLOSED") && isEdgewardError(err.cause, "EW_ERR_LOG_CONCURRENT_WRITER");
}
