/**
 * The release feed behind the device listing's long poll (docs/releases.md "Following releases"): requests whose
 * listing was empty wait here until a release is published or rolled out, then list again. Waiters are grouped by
 * what they list (group, name, after, below), so one wake runs one listing per distinct key however many devices
 * wait on it; a key whose listing is still empty goes back to waiting for the rest of its time.
 *
 * Changes reach the feed two ways: this process's ReleasesService calls {@link ReleaseFeed.changed} at once, and,
 * while anyone waits, the feed reads the shared change marker (release-marker.ts) every `pollMs` and wakes when it
 * moved, which is how a release another replica published reaches this one. Nobody waiting: no polling.
 */

/** Schedules `fn` after `ms`; returns what cancels it (tests inject one they fire by hand). */
export type FeedTimer = (fn: () => void, ms: number) => () => void;

/** What {@link ReleaseFeed} is built from. */
export interface ReleaseFeedOptions {
  /** Reads the shared change marker (release-marker.ts); without one only this process's changes wake waiters. */
  readonly marker?: () => Promise<number>;
  /** Least time between two marker reads while anyone waits; default 1000 ms. */
  readonly pollMs?: number;
  /** The timer of waits and polls; default setTimeout. */
  readonly timer?: FeedTimer;
  /** Listings run at once in one wake round; default 8, so a wake does not queue a query per key on the pool. */
  readonly concurrency?: number;
  /** Told of a marker read or listing that failed (the waiters keep waiting; their time still runs out). */
  readonly onError?: (err: unknown) => void;
}

/** One long poll, as the listing route hands it over. */
export interface FeedWait<T> {
  /** What the request lists; requests with the same key share one listing per wake. */
  readonly key: string;
  /** {@link ReleaseFeed.generation} read before the request's own listing, so a change in between is not lost. */
  readonly since: number;
  /** The listing; an empty answer means keep waiting. */
  readonly evaluate: () => Promise<readonly T[]>;
  /** How long to wait at most. */
  readonly timeoutMs: number;
  /** Ends the wait (the client went away); the wait then answers empty. */
  readonly signal?: AbortSignal;
}

interface Waiter<T> {
  readonly entry: Entry<T>;
  readonly resolve: (found: readonly T[]) => void;
  cancelTimer: () => void;
  removeAbort: () => void;
}

interface Entry<T> {
  readonly key: string;
  readonly evaluate: () => Promise<readonly T[]>;
  readonly waiters: Set<Waiter<T>>;
}

const DEFAULT_POLL_MS = 1000;

/** See the module comment. */
export class ReleaseFeed<T = unknown> {
  readonly #marker: (() => Promise<number>) | undefined;
  readonly #pollMs: number;
  readonly #timer: FeedTimer;
  readonly #concurrency: number;
  readonly #onError: (err: unknown) => void;
  readonly #entries = new Map<string, Entry<T>>();
  #waiting = 0;
  #generation = 0;
  #lastMarker: number | undefined;
  #cancelPoll: (() => void) | undefined;
  #polling = false;
  #round: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(options: ReleaseFeedOptions = {}) {
    this.#marker = options.marker;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#timer = options.timer ?? realTimer;
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Moves on every change the feed learns of; a listing that read it before has possibly missed that change. */
  get generation(): number {
    return this.#generation;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Requests waiting now. */
  waiting(): number {
    return this.#waiting;
  }

  /** Distinct keys waited on now (each costs one listing per wake). */
  keys(): number {
    return this.#entries.size;
  }

  /** A release was published or its rollout changed, in this process: every key lists again. */
  changed(): void {
    if (this.#closed) return;
    this.#generation++;
    this.#wake();
  }

  /**
   * Waits until the request's listing is not empty (answers it), its time runs out, its signal aborts or the feed
   * closes (answers empty). A change since `since` lists once more first, since no wake would tell of it.
   */
  async wait(request: FeedWait<T>): Promise<readonly T[]> {
    let since = request.since;
    while (since !== this.#generation && !this.#closed) {
      since = this.#generation;
      const found = await request.evaluate();
      if (found.length > 0) return found;
    }
    if (this.#closed || request.signal?.aborted === true) return [];
    return new Promise((resolve) => this.#add(request, resolve));
  }

  /** Answers every waiter empty and stops polling; later waits answer empty at once (the hub is closing). */
  close(): void {
    this.#closed = true;
    this.#cancelPoll?.();
    this.#cancelPoll = undefined;
    for (const entry of [...this.#entries.values()]) for (const w of [...entry.waiters]) this.#finish(w, []);
  }

  #add(request: FeedWait<T>, resolve: (found: readonly T[]) => void): void {
    let entry = this.#entries.get(request.key);
    if (entry === undefined) {
      entry = { key: request.key, evaluate: request.evaluate, waiters: new Set() };
      this.#entries.set(request.key, entry);
    }
    const waiter: Waiter<T> = { entry, resolve, cancelTimer: () => undefined, removeAbort: () => undefined };
    entry.waiters.add(waiter);
    this.#waiting++;
    waiter.cancelTimer = this.#timer(() => this.#finish(waiter, []), request.timeoutMs);
    const signal = request.signal;
    if (signal !== undefined) {
      const onAbort = () => this.#finish(waiter, []);
      signal.addEventListener("abort", onAbort, { once: true });
      waiter.removeAbort = () => signal.removeEventListener("abort", onAbort);
    }
    this.#schedulePoll();
  }

  #finish(waiter: Waiter<T>, found: readonly T[]): void {
    const { entry } = waiter;
    if (!entry.waiters.delete(waiter)) return;
    this.#waiting--;
    if (entry.waiters.size === 0 && this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    waiter.cancelTimer();
    waiter.removeAbort();
    if (this.#waiting === 0) {
      this.#cancelPoll?.();
      this.#cancelPoll = undefined;
    }
    waiter.resolve(found);
  }

  #wake(): void {
    if (this.#round !== undefined) {
      this.#again = true;
      return;
    }
    this.#round = this.#runRounds().finally(() => (this.#round = undefined));
  }

  async #runRounds(): Promise<void> {
    do {
      this.#again = false;
      const entries = [...this.#entries.values()];
      let next = 0;
      const worker = async () => {
        for (let entry = entries[next++]; entry !== undefined; entry = entries[next++]) await this.#list(entry);
      };
      await Promise.all(Array.from({ length: Math.min(this.#concurrency, entries.length) }, worker));
    } while (this.#again && !this.#closed);
  }

  async #list(entry: Entry<T>): Promise<void> {
    if (entry.waiters.size === 0) return;
    let found: readonly T[];
    try {
      found = await entry.evaluate();
    } catch (err) {
      this.#onError(err);
      return;
    }
    if (found.length > 0) for (const w of [...entry.waiters]) this.#finish(w, found);
  }

  // Polls only while someone waits. The first read after an idle spell counts as a change unless the marker is
  // where it was last seen: a release published between a waiter's listing and that read is not lost.
  #schedulePoll(): void {
    if (this.#marker === undefined || this.#cancelPoll !== undefined || this.#polling) return;
    if (this.#closed || this.#waiting === 0) return;
    this.#cancelPoll = this.#timer(() => {
      this.#cancelPoll = undefined;
      void this.#poll();
    }, this.#pollMs);
  }

  async #poll(): Promise<void> {
    const marker = this.#marker;
    if (marker === undefined || this.#closed || this.#waiting === 0) return;
    this.#polling = true;
    try {
      const value = await marker();
      if (value !== this.#lastMarker && !this.#closed) {
        this.#lastMarker = value;
        this.#generation++;
        this.#wake();
      }
    } catch (err) {
      this.#onError(err);
    } finally {
      this.#polling = false;
      this.#schedulePoll();
    }
  }
}

function realTimer(fn: () => void, ms: number): () => void {
  const handle = setTimeout(fn, ms);
  return () => clearTimeout(handle);
}
