import { Worker } from "node:worker_threads";
import type { TaskMessage, WorkerReply } from "./protocol.ts";

// A small pool of payload worker threads, started on first use and reused. A worker holds the process open only
// while it has a task (ref'd while busy, unref'd when idle), so a script that opened a model exits as soon as it
// is done; idle workers are stopped after IDLE_MS to give their memory back to a long-running agent.

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

/** One pool worker: its thread, the tasks it has been handed but not finished, and whether it has stopped. */
export interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  stopped: boolean;
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
    if (target.stopped) {
      resolve({
        id,
        type: "failed",
        code: "EW_ERR_AGE_STREAM_WORKER",
        detail: "the worker stopped",
        chunk: task.first,
      });
      return;
    }
    if (target.pending.size === 0) target.worker.ref();
    target.pending.set(id, { task, resolve, onProgress });
    target.worker.postMessage({ ...task, id });
  });
}

/** Stops every pool worker (idle or not: their tasks fail with EW_ERR_AGE_STREAM_WORKER). For tests and shutdown. */
export async function shutdownPayloadWorkers(): Promise<void> {
  const all = workers.splice(0);
  for (const w of all) w.stopped = true;
  await Promise.all(all.map((w) => w.worker.terminate()));
}

/** Number of live pool workers (for tests). */
export function payloadWorkerCount(): number {
  return workers.length;
}

function startWorker(): PoolWorker {
  const worker = new Worker(new URL("./worker.js", import.meta.url), {
    name: "edgeward-age-payload",
    // The kernel needs no Node options, and some of the caller's (--input-type, loaders) break a worker.
    execArgv: [],
    // The thread keeps little on its heap (file bytes live in buffers outside it): a small young generation.
    resourceLimits: { maxYoungGenerationSizeMb: 2 },
  });
  const self: PoolWorker = { worker, pending: new Map(), stopped: false };
  worker.unref();
  worker.on("message", (reply: WorkerReply) => {
    const entry = self.pending.get(reply.id);
    if (entry === undefined) return;
    if (reply.type === "progress") {
      entry.onProgress(reply.bytes);
      return;
    }
    settle(self, reply.id, reply);
  });
  // An uncaught error in the thread (which startTask does not let happen) or its exit ends every task it held.
  const fail = (detail: string): void => {
    self.stopped = true;
    void worker.terminate();
    const at = workers.indexOf(self);
    if (at >= 0) workers.splice(at, 1);
    for (const [id, entry] of self.pending) {
      settle(self, id, { id, type: "failed", code: "EW_ERR_AGE_STREAM_WORKER", detail, chunk: entry.task.first });
    }
  };
  worker.on("error", (err: unknown) => fail(err instanceof Error ? err.message : String(err)));
  worker.on("messageerror", () => fail("a message could not be decoded"));
  worker.on("exit", (code) => fail(`the worker exited with code ${code}`));
  return self;
}

function settle(owner: PoolWorker, id: number, reply: FinalReply): void {
  const entry = owner.pending.get(id);
  if (entry === undefined) return;
  owner.pending.delete(id);
  if (owner.pending.size === 0) owner.worker.unref();
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
