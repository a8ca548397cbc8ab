// Entry point of a payload worker thread (pool.ts starts it). Plain JavaScript, as kernel.js explains. Tasks run
// one at a time, synchronously: the thread does nothing else, and positional reads and writes on the caller's
// descriptors need no event loop. A task never throws, so a damaged file ends it with a typed failure and the
// thread lives on for the next one.
import { parentPort } from "node:worker_threads";
import { minorGc, startTask } from "./kernel.js";

const port = parentPort;
if (port !== null) {
  const afterBatch = minorGc();
  port.on("message", (task) => {
    const running = startTask(task, (reply) => port.postMessage(reply), afterBatch);
    while (!running.step());
  });
}
