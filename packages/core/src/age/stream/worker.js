// Entry point of a payload worker thread (pool.ts starts it). Plain JavaScript, as kernel.js explains. Tasks run
// one at a time, synchronously: the thread does nothing else, and positional reads and writes on the caller's
// descriptors need no event loop. A task never throws, so a damaged file ends it with a typed failure and the
// thread lives on for the next one.
import { clearImmediate, setImmediate } from "node:timers";
import { parentPort } from "node:worker_threads";
import { startTask, wipeScratch } from "./kernel.js";

const port = parentPort;
if (port !== null) {
  /** @type {NodeJS.Immediate | undefined} */
  let wipe;
  port.on("message", (task) => {
    if (wipe !== undefined) clearImmediate(wipe);
    const running = startTask(task, (reply) => port.postMessage(reply));
    while (!running.step());
    // Once no task is queued behind this one, no plaintext stays in the thread's buffer.
    wipe = setImmediate(() => {
      wipe = undefined;
      wipeScratch();
    });
  });
}
