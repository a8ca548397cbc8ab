import { availableParallelism } from "node:os";
import { EdgewardError } from "../../errors/index.ts";
import { startTask, wipeScratch } from "./kernel.js";
import { poolWorkers, runOnWorker, type FinalReply, type JobTask, type PoolWorker, type TaskInput } from "./pool.ts";
import type { WorkerReply } from "./protocol.ts";

// Runs the tasks of one file operation on `parallelism` threads: the calling thread and parallelism − 1 pool
// workers. Tasks go out in order, at most `depth` per worker at a time (memory stays bounded and a worker never
// waits for its next message). The calling thread takes tasks too, in slices of a few milliseconds between which
// it lets the event loop run; that saves a whole worker's memory on a 2-core machine. A failure stops all work
// on the chunks after it, but not before it; once every handed-out task has ended, the failure at the lowest
// chunk is thrown, so the code a damaged file gets never depends on which thread saw what first.

/** A done reply, in task order. */
export type DoneReply = Extract<WorkerReply, { type: "done" }>;

/** How to run a job. */
export interface JobOptions {
  /** Threads to use, the calling one included; default: the available cores. */
  readonly parallelism?: number | undefined;
  /** Called as plaintext bytes complete, with the job's total. */
  readonly onProgress?: ((bytesDone: number, total: number) => void) | undefined;
  /** The total passed to onProgress. */
  readonly total: number;
  /** Use the calling thread only (for inputs too small to be worth a worker). */
  readonly inline: boolean;
  /** Tasks in flight per worker: 2 hides the message round trip; 1 balances a few large tasks. */
  readonly depth: 1 | 2;
  /**
   * Rewrites a task before worker lane `lane` (0 .. workers × depth − 1; a lane runs one task at a time) gets it,
   * and returns what the calling thread runs once the worker's final reply came, before it is recorded. Lets a
   * job give each lane a staging buffer it reuses (file-decrypt.ts, regular memory).
   */
  readonly viaLane?: ((lane: number, task: JobTask) => StagedTask) | undefined;
}

/** A task as a worker lane runs it, and what finishes it on the calling thread. */
export interface StagedTask {
  readonly task: JobTask;
  readonly finish: (reply: FinalReply) => void;
}

/** How long the calling thread works before it lets the event loop run. */
const SLICE_MS = 8;

/** Default parallelism: every core this process may use. */
export function defaultParallelism(): number {
  return availableParallelism();
}

/**
 * Runs `tasks`, which cover the job's chunks in ascending order, and returns their done replies, or throws the
 * failure at the lowest chunk.
 */
export async function runJob(taskList: readonly TaskInput[], options: JobOptions): Promise<DoneReply[]> {
  // control[0]: the lowest chunk a failure was reported at; threads do no work at or after it (protocol.ts).
  const control = new SharedArrayBuffer(8);
  const stopAt = new BigInt64Array(control);
  stopAt[0] = BigInt(Number.MAX_SAFE_INTEGER);
  const stopBefore = (chunk: number): void => {
    for (let seen = Atomics.load(stopAt, 0); BigInt(chunk) < seen; ) {
      const was = Atomics.compareExchange(stopAt, 0, seen, BigInt(chunk));
      if (was === seen) break;
      seen = was;
    }
  };
  const tasks: JobTask[] = taskList.map((task) => ({ ...task, control }));
  const replies: Array<FinalReply | undefined> = new Array<FinalReply | undefined>(tasks.length);
  let next = 0;
  let done = 0;
  let callbackError: { error: unknown } | undefined;
  // Tasks go out in chunk order, so once the next one starts at or after a failure, none is left to hand out.
  const more = (): boolean => next < tasks.length && BigInt(tasks[next]!.first) < Atomics.load(stopAt, 0);
  const record = (index: number, reply: FinalReply): void => {
    replies[index] = reply;
    if (reply.type === "failed") stopBefore(reply.chunk);
  };
  const progress = (bytes: number): void => {
    done += bytes;
    try {
      options.onProgress?.(done, options.total);
    } catch (error) {
      // The caller's callback failed: stop the job and hand its error back once the threads are idle.
      callbackError ??= { error };
      stopBefore(0);
    }
  };

  const workerLane = async (worker: PoolWorker, lane: number): Promise<void> => {
    while (more()) {
      const index = next++;
      const staged = options.viaLane?.(lane, tasks[index]!);
      const reply = await runOnWorker(worker, staged?.task ?? tasks[index]!, progress);
      staged?.finish(reply);
      record(index, reply);
    }
  };
  const callerLane = async (): Promise<void> => {
    while (more()) {
      const index = next++;
      const running = startTask({ ...tasks[index]!, id: index }, (reply) => {
        if (reply.type === "progress") progress(reply.bytes);
        else record(index, reply);
      });
      let sliceStart = performance.now();
      while (!running.step()) {
        if (performance.now() - sliceStart > SLICE_MS) {
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
      await yieldToEventLoop();
    }
    wipeScratch();
  };

  const threads = options.inline ? 1 : Math.min(options.parallelism ?? defaultParallelism(), tasks.length);
  const workers = threads > 1 ? poolWorkers(threads - 1) : [];
  // Workers get their first tasks before the calling thread starts on its own.
  const lanes = workers.flatMap((worker, w) =>
    Array.from({ length: options.depth }, (_, d) => workerLane(worker, w * options.depth + d)),
  );
  lanes.push(callerLane());
  await Promise.all(lanes);
  if (callbackError !== undefined) throw callbackError.error;
  return collect(replies);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function collect(replies: ReadonlyArray<FinalReply | undefined>): DoneReply[] {
  let failure: Extract<WorkerReply, { type: "failed" }> | undefined;
  for (const reply of replies) {
    if (reply?.type === "failed" && (failure === undefined || reply.chunk < failure.chunk)) failure = reply;
  }
  if (failure !== undefined) {
    throw new EdgewardError(failure.code, failure.detail === undefined ? {} : { detail: failure.detail });
  }
  const done: DoneReply[] = [];
  for (const reply of replies) {
    // Every task ran and none failed, so none was stopped; anything else is a bug in the pool.
    if (reply?.type !== "done")
      throw new EdgewardError("EW_ERR_AGE_STREAM_WORKER", { detail: "a task did not finish" });
    done.push(reply);
  }
  return done;
}
