import { AsyncLocalStorage } from "node:async_hooks";
import type { DatabaseSync } from "node:sqlite";
import { EdgewardError } from "@edgeward/core";

/** Group-commit tuning for the hub's SQLite database. */
export interface GroupCommitOptions {
  /**
   * How long the first write of a transaction waits for company before COMMIT, in ms. 0 (the default) commits at
   * the end of the current event-loop turn (setImmediate): no added delay when idle, and under load every request
   * the turn handled shares one fsync.
   */
  readonly commitDelayMs?: number;
  /** Most writes in one transaction; the next one commits it at once (default 2048). */
  readonly maxWrites?: number;
  /** How long a write waits for another connection's write lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

/** SQLite's result code for a database locked by another connection. */
const SQLITE_BUSY = 5;

/** Writes run inside {@link relaxedDurability}: their caller does not wait for COMMIT. */
const relaxed = new AsyncLocalStorage<true>();

/**
 * Runs `fn` so that its SQLite writes return before their transaction commits (PostgreSQL: `synchronous_commit`
 * off, see single-use.ts). Only for writes whose loss in a crash is harmless: a lost attestation nonce only makes
 * the device ask for another. Every other write resolves only once it is durable.
 */
export function relaxedDurability<T>(fn: () => Promise<T>): Promise<T> {
  return relaxed.run(true, fn);
}

/** True inside {@link relaxedDurability}. */
export function isRelaxed(): boolean {
  return relaxed.getStore() === true;
}

interface Durable {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit on one `node:sqlite` connection (SQLite docs, "Transaction": one write transaction per database).
 * node:sqlite is synchronous, so each COMMIT's fsync (synchronous=FULL) stops the whole process; committing once per
 * request made the fsyncs, not the work, the limit. Here the first write opens a `BEGIN IMMEDIATE` transaction that
 * every later write joins until it commits, at the end of the event-loop turn (or after `commitDelayMs`); each
 * write's promise resolves only after that COMMIT returned, so nothing is acknowledged before it is durable, and a
 * failed COMMIT rejects every write it carried. A read on this connection while the transaction holds writes waits
 * for the COMMIT as well, since it may have seen them. Statements run in the order they arrive, on one connection,
 * so single-use `UPDATE … WHERE used_at IS NULL` stays exactly-once.
 */
export class GroupCommit {
  readonly #db: DatabaseSync;
  readonly #delayMs: number;
  readonly #maxWrites: number;
  readonly #busyTimeoutMs: number;
  #durable: Durable | undefined;
  #writes = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** A caller's transaction (a SAVEPOINT inside the group's) holds the connection until it ends. */
  #holder: object | undefined;
  #waiting: Array<() => void> = [];
  #commits = 0;

  constructor(db: DatabaseSync, options: GroupCommitOptions = {}) {
    this.#db = db;
    this.#delayMs = options.commitDelayMs ?? 0;
    this.#maxWrites = options.maxWrites ?? 2048;
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  }

  /** COMMITs so far (each one fsync under synchronous=FULL). */
  get commits(): number {
    return this.#commits;
  }

  /** Callers waiting for another caller's transaction to release the connection (the hub's overload check). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** The durability promise of the open transaction, or undefined when none is open. */
  get pending(): Promise<void> | undefined {
    return this.#durable?.promise;
  }

  /**
   * Runs a write for `owner` in the group's transaction (opening it when none is open); returns its result and the
   * COMMIT to wait for. `run` is synchronous and runs right after the check that the transaction is still the open
   * one and no other caller's transaction holds the connection.
   */
  async write<T>(owner: object, run: () => T): Promise<{ result: T; durable: Promise<void> }> {
    for (;;) {
      const durable = await this.#ready(owner);
      if (!this.#usable(durable, owner)) continue;
      this.#writes++;
      try {
        return { result: run(), durable: durable.promise };
      } catch (err) {
        // Some failures (disk full, I/O, a conflict clause of ROLLBACK) end the whole transaction: the writes it
        // carried are gone, so their callers must hear it now, and the next write opens a new transaction.
        this.checkRolledBack(err);
        throw err;
      } finally {
        this.#schedule();
      }
    }
  }

  /**
   * After a failed statement: when SQLite rolled the whole transaction back, fails the writes it carried now (their
   * promises reject with EW_ERR_HUB_STORAGE) so the next write opens a new transaction. True when it was.
   */
  checkRolledBack(cause: unknown): boolean {
    if (this.#db.isTransaction) return false;
    const durable = this.#durable;
    this.#cancelTimer();
    this.#durable = undefined;
    durable?.reject(
      new EdgewardError("EW_ERR_HUB_STORAGE", { detail: "the group transaction was rolled back", cause }),
    );
    return true;
  }

  /** Waits until no caller's transaction holds the connection, or `owner` holds it. */
  async turn(owner: object): Promise<void> {
    while (this.#holder !== undefined && this.#holder !== owner) await new Promise<void>((r) => this.#waiting.push(r));
  }

  /** A caller's transaction: the connection is `owner`'s until {@link release}; runs inside the group's. */
  async hold(owner: object): Promise<{ durable: Promise<void> }> {
    for (;;) {
      const durable = await this.#ready(owner);
      if (!this.#usable(durable, owner)) continue;
      this.#holder = owner;
      return { durable: durable.promise };
    }
  }

  async #ready(owner: object): Promise<Durable> {
    await this.turn(owner);
    return this.#durable ?? (await this.#begin());
  }

  /** Checked synchronously before use: `durable` is still the open transaction, and the connection is free. */
  #usable(durable: Durable, owner: object): boolean {
    return this.#durable === durable && (this.#holder === undefined || this.#holder === owner);
  }

  /** Ends `owner`'s hold, and commits if the commit came due meanwhile. */
  release(owner: object): void {
    if (this.#holder !== owner) return;
    this.#holder = undefined;
    for (const wake of this.#waiting.splice(0)) wake();
    this.#schedule();
  }

  /** Commits the open transaction now (before a statement that must run outside it, and at close). */
  async flush(): Promise<void> {
    const durable = this.#durable?.promise;
    if (durable === undefined) return;
    this.#cancelTimer();
    this.#commit();
    await durable;
  }

  /**
   * Opens the group's transaction, or returns the one opened meanwhile. BEGIN IMMEDIATE takes SQLite's write lock;
   * the connection's busy timeout is 0, because a synchronous busy wait would also stop this process's own COMMIT
   * (another connection of this process may hold the lock), so a busy database is retried here, asynchronously.
   */
  async #begin(): Promise<Durable> {
    for (let waited = 0, pause = 1; ; waited += pause, pause = Math.min(pause * 2, 50)) {
      if (this.#durable !== undefined) return this.#durable;
      try {
        this.#db.exec("BEGIN IMMEDIATE");
        break;
      } catch (err) {
        if ((err as { errcode?: unknown }).errcode !== SQLITE_BUSY) throw err;
        if (waited >= this.#busyTimeoutMs)
          throw new EdgewardError("EW_ERR_HUB_STORAGE", { detail: "the database stayed locked", cause: err });
      }
      await new Promise((r) => setTimeout(r, pause));
    }
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A transaction whose writers did not wait (relaxed) may fail with nobody listening.
    promise.catch(() => undefined);
    this.#durable = { promise, resolve, reject };
    this.#writes = 0;
    return this.#durable;
  }

  #schedule(): void {
    if (this.#durable === undefined || this.#timer !== undefined) return;
    if (this.#writes >= this.#maxWrites) {
      this.#commit();
      return;
    }
    const fire = (): void => {
      this.#timer = undefined;
      this.#commit();
    };
    this.#timer = this.#delayMs > 0 ? setTimeout(fire, this.#delayMs) : setImmediate(fire);
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }

  #commit(): void {
    const durable = this.#durable;
    // A caller's SAVEPOINT is still open: its release() commits.
    if (durable === undefined || this.#holder !== undefined) return;
    this.#cancelTimer();
    this.#durable = undefined;
    try {
      this.#db.exec("COMMIT");
      this.#commits++;
      durable.resolve();
    } catch (err) {
      if (this.#db.isOpen && this.#db.isTransaction) this.#db.exec("ROLLBACK");
      durable.reject(new EdgewardError("EW_ERR_HUB_STORAGE", { detail: "group commit failed", cause: err }));
    }
  }
}
