import { PooledThread } from "../../worker-thread.ts";
import type { TaskMessage, WorkerReply } from "./protocol.ts";

// A small pool of payload worker threads, started on first use and reused. A worker holds the process open only
// while it has a task (PooledThread: ref'd while busy, unref'd when idle), so a script that opened a model exits
// as soon as it is done; idle workers are stopped after IDLE_MS to give their memory back to a long-running agent.

/** The most workers the pool starts, whatever parallelism callers ask for. */
export const MAX_WORKERS = 16;

const IDLE_MS = 30_000;

/** A reply that ends a task. */
export type FinalReply = Exclude<WorkerReply, { type: "progress" }>;

/** A task without its id: the pool numbers tasks. */
export type TaskInput = TaskMessage extends infer T ? (T extends unknown ? Omit<T, "id" | "control"> : never) : never;

/** A task with the job's control buffer, as handed to a thread. */
export type JobTask = TaskInput & { readonly control: SharedArrayBuffer };

interface Pending {
  readonly task: JobTask;
  readonly resolve: (reply: FinalReply) => void;
  readonly onProgress: (bytes: number) => void;
}

/** One pool worker: its thread and the tasks it has been handed but not finished. */
export interface PoolWorker {
  readonly thread: PooledThread<WorkerReply>;
  readonly pending: Map<number, Pending>;
}

const workers: PoolWorker[] = [];
let nextId = 1;
let idleTimer: NodeJS.Timeout | undefined;

/** The first `count` pool workers (1..MAX_WORKERS), starting the missing ones. */
export function poolWorkers(count: number): PoolWorker[] {
  const wanted = Math.max(1, Math.min(MAX_WORKERS, Math.floor(count)));
  while (workers.length < wanted) workers.push(startWorker());
  return workers.slice(0, wanted);
}

/**
 * Hands `task` to `target` and resolves with the reply that ends it. Never rejects: a worker that dies
 * answers every task it held with a typed EW_ERR_AGE_STREAM_WORKER failure.
 */
export function runOnWorker(
  target: PoolWorker,
  task: JobTask,
  onProgress: (bytes: number) => void,
): Promise<FinalReply> {
  const id = nextId++;
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = undefined;
  return new Promise((resolve) => {
    // A message to a stopped thread would never be answered.
    if (target.thread.stopped) {
      resolve({
        id,
        type: "failed",
        code: "EW_ERR_AGE_STREAM_WORKER",
        detail: "the worker stopped",
        chunk: task.first,
      });
      return;
    }
    target.pending.set(id, { task, resolve, onProgress });
    target.thread.post({ ...task, id });
  });
}

/** Stops every pool worker (idle or not: their tasks fail with EW_ERR_AGE_STREAM_WORKER). For tests and shutdown. */
export async function shutdownPayloadWorkers(): Promise<void> {
  await Promise.all(workers.splice(0).map((w) => w.thread.close()));
}

/** Number of live pool workers (for tests). */
export function payloadWorkerCount(): number {
  return workers.length;
}

function startWorker(): PoolWorker {
  const pending = new Map<number, Pending>();
  const self: PoolWorker = {
    pending,
    thread: new PooledThread<WorkerReply>(
      new URL("./worker.js", import.meta.url),
      {
        name: "edgeward-age-payload",
        // The kernel needs no Node options, and some of the caller's (--input-type, loaders) break a worker.
        execArgv: [],
        // The thread keeps little on its heap (file bytes live in buffers outside it): a small young generation.
        resourceLimits: { maxYoungGenerationSizeMb: 2 },
      },
      {
        message: (reply) => {
          const entry = pending.get(reply.id);
          if (entry === undefined) return;
          if (reply.type === "progress") entry.onProgress(reply.bytes);
          else settle(self, reply.id, reply);
        },
        // An uncaught error in the thread (which startTask does not let happen), its exit or close() ends every
        // task it held.
        lost: (detail) => {
          const at = workers.indexOf(self);
          if (at >= 0) workers.splice(at, 1);
          for (const [id, entry] of pending)
            settle(self, id, { id, type: "failed", code: "EW_ERR_AGE_STREAM_WORKER", detail, chunk: entry.task.first });
        },
      },
    ),
  };
  return self;
}

function settle(owner: PoolWorker, id: number, reply: FinalReply): void {
  const entry = owner.pending.get(id);
  if (entry === undefined) return;
  owner.pending.delete(id);
  owner.thread.done();
  entry.resolve(reply);
  if (workers.every((w) => w.pending.size === 0)) scheduleIdleStop();
}

function scheduleIdleStop(): void {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    if (workers.every((w) => w.pending.size === 0)) void shutdownPayloadWorkers();
  }, IDLE_MS);
  idleTimer.unref();
}
