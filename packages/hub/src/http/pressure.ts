import { monitorEventLoopDelay } from "node:perf_hooks";
import type { PressureSource } from "./overload.ts";

/** How often the event-loop delay is read and its histogram restarted, ms. */
const SAMPLE_MS = 1000;
/** The histogram's timer resolution, ms (subtracted from what it reports, as the timer's own period). */
const RESOLUTION_MS = 10;

/**
 * The process's own pressure (docs/hub.md "Overload"): the event loop's mean delay over the last second
 * (`perf_hooks.monitorEventLoopDelay`, read once a second so each request's check is two field reads) and the
 * store's queue of operations waiting for a connection. close() stops the sampling.
 */
export function processPressure(pendingWrites: () => number): PressureSource {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let delayMs = 0;
  const timer = setInterval(() => {
    const mean = histogram.mean / 1e6;
    delayMs = Number.isFinite(mean) ? Math.max(0, Math.round(mean - RESOLUTION_MS)) : 0;
    histogram.reset();
  }, SAMPLE_MS);
  timer.unref();
  return {
    eventLoopDelayMs: () => delayMs,
    pendingWrites,
    close() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
