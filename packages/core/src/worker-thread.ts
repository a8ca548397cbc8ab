import { Worker, type WorkerOptions } from "node:worker_threads";

/** What a {@link PooledThread}'s owner hears from it. */
export interface PooledThreadHandlers<Reply> {
  /** A message the thread posted. */
  readonly message: (reply: Reply) => void;
  /** The thread is gone (an uncaught error, an undecodable message, an exit, close()): called once. */
  readonly lost: (detail: string, cause?: unknown) => void;
}

/**
 * One worker thread of a pool, the part core's two pools (the age payload STREAM pool and the OMS shard hashing
 * pool) share; each keeps its own queue and scheduling. The thread holds the process open only while it has
 * tasks: referenced from the first {@link PooledThread.post} of a task until the matching {@link PooledThread.done}
 * calls bring the count back to zero, unreferenced otherwise, so a CLI exits as soon as its work is done. Its loss
 * is reported once and it is terminated; {@link PooledThread.close} stops it for a long-running process's shutdown.
 */
export class PooledThread<Reply> {
  readonly #worker: Worker;
  readonly #handlers: PooledThreadHandlers<Reply>;
  #busy = 0;
  #stopped = false;
  #lost = false;

  /** Starts the thread (unreferenced); throws as `new Worker` does when no thread can start. */
  constructor(url: URL, options: WorkerOptions, handlers: PooledThreadHandlers<Reply>) {
    this.#handlers = handlers;
    this.#worker = new Worker(url, options);
    this.#worker.on("message", (reply: Reply) => handlers.message(reply));
    this.#worker.on("error", (err: unknown) => this.#lose(err instanceof Error ? err.message : String(err), err));
    this.#worker.on("messageerror", (err: unknown) => this.#lose("a message could not be decoded", err));
    this.#worker.on("exit", (code) => this.#lose(`the worker exited with code ${code}`));
    // After the listeners: adding a "message" listener references the thread again (Node worker_threads).
    this.#worker.unref();
  }

  /** Whether the thread was closed or lost: a message posted now would never be answered. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Tasks posted and not yet marked {@link PooledThread.done}. */
  get busy(): number {
    return this.#busy;
  }

  /** Posts one task's message; the thread is referenced until the task is marked done. */
  post(message: unknown): void {
    if (this.#busy++ === 0) this.#worker.ref();
    this.#worker.postMessage(message);
  }

  /** Marks one posted task finished; with none left the thread no longer holds the process open. */
  done(): void {
    if (this.#busy > 0 && --this.#busy === 0) this.#worker.unref();
  }

  /** Stops the thread, busy or not; its owner hears `lost` (the exit) and fails what it still held. */
  async close(): Promise<void> {
    this.#stopped = true;
    await this.#worker.terminate();
  }

  #lose(detail: string, cause?: unknown): void {
    this.#stopped = true;
    if (this.#lost) return;
    this.#lost = true;
    void this.#worker.terminate();
    this.#handlers.lost(detail, cause);
  }
}
