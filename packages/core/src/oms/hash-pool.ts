import { availableParallelism } from "node:os";
import { EdgewardError } from "../errors/index.ts";
import { PooledThread } from "../worker-thread.ts";
import type { HashReply, HashRequest } from "./hash-protocol.ts";

/** One unit of work: a byte range of an open file, or of bytes in memory. */
export type HashTask =
  | { readonly kind: "fd"; readonly fd: number; readonly start: number; readonly end: number }
  | { readonly kind: "bytes"; readonly data: Uint8Array; readonly start: number; readonly end: number };

interface Pending {
  readonly task: HashTask;
  readonly resolve: (digest: Buffer) => void;
  readonly reject: (err: unknown) => void;
}

interface PoolWorker {
  readonly thread: PooledThread<HashReply>;
  /** Tasks posted to this worker and not yet answered, one per slot (see DEPTH). */
  readonly slots: ((Pending & { id: number }) | undefined)[];
  /** Per slot, shared memory this worker hashes copies of non-shared input from; reused while the worker lives. */
  readonly staging: (SharedArrayBuffer | undefined)[];
}

/**
 * Tasks posted to each worker at once. With two, a worker that finishes a shard starts the next one at once
 * instead of waiting for the calling thread, which may itself be busy hashing a shard (see assist).
 */
const DEPTH = 2;

/** Most workers the pool starts; SHA-256 is CPU-bound, so more than the cores only adds contention. */
const MAX_WORKERS = 8;
const WORKER_URL = new URL("./hash-worker.js", import.meta.url);

/**
 * A small pool of hashing threads shared by every sign and verify in the process: started lazily on first use,
 * reused, and unref'd while idle so it never keeps the process alive. Tasks wait in one FIFO queue and each
 * worker takes the next as soon as it is free, so workers that start late or run slow still finish together.
 */
export class HashPool {
  readonly size: number;
  #workers: PoolWorker[] = [];
  #queue: Pending[] = [];
  #nextId = 1;

  constructor(size: number) {
    this.size = size;
  }

  /**
   * Lets the calling thread hash queued tasks with `hashHere` until the queue is empty. The pool has one worker
   * fewer than the cores, so with this thread the cores have one hasher each; and the first use in a process no
   * longer waits ~70-100 ms for its workers to start (measured here: a 1 GiB file on 2 cores, 1 worker + this
   * thread 497-538 ms, 2 workers 565-623 ms, ~120 ms less CPU: one worker start-up fewer). It yields to the event
   * loop after each task, so the workers' replies are seen. A task that `hashHere` throws on is rejected with
   * that error, as a worker's failure would be.
   */
  async assist(hashHere: (task: HashTask) => Buffer): Promise<void> {
    for (let pending = this.#queue.shift(); pending !== undefined; pending = this.#queue.shift()) {
      try {
        pending.resolve(hashHere(pending.task));
      } catch (err) {
        pending.reject(err);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Worker threads running now (they start on first use, at most {@link HashPool.size}). */
  get workerCount(): number {
    return this.#workers.length;
  }

  /**
   * Stops every worker, idle or busy, and fails every task not yet answered with EW_ERR_INTERNAL. A long-running
   * process (the hub, the agent) calls it on shutdown, as it closes its database; a later hash() starts workers
   * again, so a closed pool is never a trap.
   */
  async close(): Promise<void> {
    const closed = () => new EdgewardError("EW_ERR_INTERNAL", { detail: "the hashing pool was closed" });
    for (const pending of this.#queue.splice(0)) pending.reject(closed());
    const workers = this.#workers.splice(0);
    for (const entry of workers)
      for (const [slot, pending] of entry.slots.entries()) {
        entry.slots[slot] = undefined;
        pending?.reject(closed());
      }
    await Promise.all(workers.map((entry) => entry.thread.close()));
  }

  /** SHA-256 of one range. Rejects with EW_ERR_IO (read failed, file shrank) or EW_ERR_INTERNAL (worker died). */
  hash(task: HashTask): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ task, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    for (let next = this.#queue[0]; next !== undefined; next = this.#queue[0]) {
      // Start every worker before giving any one a second task, so all start up at once.
      const idle =
        this.#workers.find((w) => w.slots.every((t) => t === undefined)) ??
        this.#spawn() ??
        this.#workers.find((w) => w.slots.includes(undefined));
      if (idle === undefined) return;
      this.#queue.shift();
      this.#dispatch(idle, next);
    }
  }

  #spawn(): PoolWorker | undefined {
    if (this.#workers.length >= this.size) return undefined;
    const slots = new Array<undefined>(DEPTH).fill(undefined);
    const staging = new Array<undefined>(DEPTH).fill(undefined);
    let entry: PoolWorker;
    try {
      entry = {
        slots,
        staging,
        thread: new PooledThread<HashReply>(
          WORKER_URL,
          {},
          {
            message: (reply) => this.#settle(entry, reply),
            lost: (detail, cause) => this.#lose(entry, cause ?? new Error(detail)),
          },
        ),
      };
    } catch (err) {
      // No thread could start (resource limits): with none running, nothing would ever take the queue.
      if (this.#workers.length === 0)
        for (const pending of this.#queue.splice(0))
          pending.reject(new EdgewardError("EW_ERR_INTERNAL", { detail: "no hashing worker could start", cause: err }));
      return undefined;
    }
    this.#workers.push(entry);
    return entry;
  }

  #dispatch(entry: PoolWorker, pending: Pending): void {
    const id = this.#nextId++;
    const slot = entry.slots.indexOf(undefined);
    entry.slots[slot] = { ...pending, id };
    // PooledThread.post references the thread while busy, so an awaiting caller's process does not exit under it.
    const { task } = pending;
    if (task.kind === "fd") {
      entry.thread.post({ id, kind: "fd", fd: task.fd, start: task.start, end: task.end } satisfies HashRequest);
    } else if (task.data.buffer instanceof SharedArrayBuffer) {
      // Shared memory: the worker reads the caller's bytes in place, no copy.
      const { buffer, byteOffset } = task.data;
      const request: HashRequest = {
        id,
        kind: "memory",
        buffer,
        offset: byteOffset + task.start,
        length: task.end - task.start,
      };
      entry.thread.post(request);
    } else {
      // Ordinary memory cannot be shared: copy this shard into the worker's own staging buffer (shared memory,
      // allocated once per slot and reused, so no page faults after the first shard) and let the worker hash it
      // there. One buffer per slot: the second task must not overwrite the first while the worker hashes it.
      const length = task.end - task.start;
      let staging = entry.staging[slot];
      if (staging === undefined || staging.byteLength < length) {
        staging = new SharedArrayBuffer(length);
        entry.staging[slot] = staging;
      }
      new Uint8Array(staging, 0, length).set(task.data.subarray(task.start, task.end));
      entry.thread.post({ id, kind: "memory", buffer: staging, offset: 0, length } satisfies HashRequest);
    }
  }

  #settle(entry: PoolWorker, reply: HashReply): void {
    const slot = entry.slots.findIndex((t) => t?.id === reply.id);
    const pending = entry.slots[slot];
    if (pending === undefined) return;
    entry.slots[slot] = undefined;
    entry.thread.done();
    if ("digest" in reply) pending.resolve(Buffer.from(reply.digest));
    else
      pending.reject(
        new EdgewardError("EW_ERR_IO", {
          detail:
            reply.errno === "short"
              ? "the model file changed while it was hashed"
              : `reading the model: ${reply.error}`,
        }),
      );
    this.#pump();
  }

  #lose(entry: PoolWorker, err: unknown): void {
    const index = this.#workers.indexOf(entry);
    if (index === -1) return;
    this.#workers.splice(index, 1);
    for (const [slot, pending] of entry.slots.entries()) {
      entry.slots[slot] = undefined;
      pending?.reject(new EdgewardError("EW_ERR_INTERNAL", { detail: "a hashing worker failed", cause: err }));
    }
    this.#pump();
  }
}

let shared: HashPool | undefined;

/** The process-wide pool: one worker per available core but one (the caller hashes too, see assist), at most 8. */
export function hashPool(): HashPool {
  shared ??= new HashPool(Math.max(1, Math.min(availableParallelism() - 1, MAX_WORKERS)));
  return shared;
}

/** Closes the process-wide pool, if it was ever started (see {@link HashPool.close}). */
export async function shutdownHashWorkers(): Promise<void> {
  await shared?.close();
}
