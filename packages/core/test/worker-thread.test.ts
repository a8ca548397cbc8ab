import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { PooledThread } from "../src/worker-thread.ts";

const MODULE = new URL("../src/worker-thread.ts", import.meta.url).href;

/** A worker from source text: echoes each message after `delayMs`, or throws on one whose `boom` is set. */
function script(delayMs = 0): URL {
  const source = `
    import { parentPort } from "node:worker_threads";
    parentPort.on("message", (m) => {
      if (m.boom) throw new Error("boom in the worker");
      setTimeout(() => parentPort.postMessage(m), ${delayMs});
    });`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

/** A thread whose messages and losses are recorded. */
function recorded(delayMs = 0): {
  thread: PooledThread<{ n: number }>;
  replies: number[];
  losses: string[];
  next: () => Promise<void>;
} {
  const replies: number[] = [];
  const losses: string[] = [];
  let wake: (() => void) | undefined;
  const thread = new PooledThread<{ n: number }>(
    script(delayMs),
    {},
    {
      message: (m) => {
        replies.push(m.n);
        thread.done();
        wake?.();
      },
      lost: (detail) => {
        losses.push(detail);
        wake?.();
      },
    },
  );
  const next = () => new Promise<void>((resolve) => (wake = resolve));
  return { thread, replies, losses, next };
}

describe("PooledThread: the worker thread both core pools share", () => {
  it("counts posted tasks until done, and answers in order", async () => {
    const { thread, replies, next } = recorded();
    thread.post({ n: 1 });
    thread.post({ n: 2 });
    assert.equal(thread.busy, 2);
    await next();
    await next();
    assert.deepEqual(replies, [1, 2]);
    assert.equal(thread.busy, 0);
    thread.done(); // an extra done never goes below zero
    assert.equal(thread.busy, 0);
    await thread.close();
  });

  it("reports a thread that fails once, stopped, although it also exits", async () => {
    const { thread, losses, next } = recorded();
    thread.post({ boom: true });
    await next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(losses, ["boom in the worker"]);
    assert.equal(thread.stopped, true);
  });

  it("close() stops it at once and reports the exit once", async () => {
    const { thread, losses } = recorded(10_000);
    thread.post({ n: 1 });
    const closing = thread.close();
    assert.equal(thread.stopped, true);
    await closing;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(losses.length, 1);
    assert.match(losses[0]!, /exited/);
  });

  it("holds the process open while busy, and not while idle", () => {
    const run = (body: string) =>
      spawnSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `import { PooledThread } from ${JSON.stringify(MODULE)};
        const url = new URL(${JSON.stringify(script(300).href)});
        ${body}`,
        ],
        { encoding: "utf8", timeout: 10_000 },
      );
    // Busy: the reply, 300 ms later, still arrives; unreferenced, the process would have exited first.
    const busy =
      run(`const t = new PooledThread(url, {}, { message: (m) => { console.log("reply", m.n); t.done(); }, lost: () => {} });
      t.post({ n: 7 });`);
    assert.equal(busy.status, 0, busy.stderr);
    assert.match(busy.stdout, /reply 7/);
    // Idle: a started thread with nothing to do lets the process end on its own.
    const idle = run(`new PooledThread(url, {}, { message: () => {}, lost: () => {} }); console.log("started");`);
    assert.equal(idle.status, 0, idle.stderr);
    assert.equal(idle.error, undefined, "the idle thread kept the process alive");
  });
});
