/**
 * Polls the tamper sources. Sysfs value files cannot be watched with inotify (their contents change without a
 * write), so the watcher polls; at the default 20 ms a trip is seen within one period and the response's first step
 * (zeroizing memory) follows at once, inside the 100 ms budget promise 9 sets.
 */
import { isEdgewardError } from "@edgeward/core";
import { readTamperRecord } from "./respond.ts";
import type { StateLayout } from "../state/layout.ts";
import type { TamperReading, TamperSource } from "./sources.ts";

/** The manual trigger: `edgeward agent tamper` writes tamper.json; the running agent sees it here. */
export function manualSource(layout: StateLayout): TamperSource {
  return {
    name: "manual",
    kind: "manual",
    async poll() {
      const record = await readTamperRecord(layout);
      return record === undefined ? undefined : { source: record.source, details: record.details };
    },
  };
}

/** Options for {@link watchTamper}. */
export interface WatchOptions {
  readonly intervalMs?: number;
  /** Called once, with the first reading of the first source that trips. */
  readonly onTrip: (reading: TamperReading) => void;
  /** Called when a source cannot be read (it then counts as tripped: a removed sensor is a tamper). */
  readonly onError?: (source: TamperSource, err: unknown) => void;
}

/** A running watcher. */
export interface TamperWatch {
  /** Stops polling; resolves when the poll in flight has finished. */
  close(): Promise<void>;
}

/** Starts polling `sources` every `intervalMs` (default 20). */
export function watchTamper(sources: readonly TamperSource[], options: WatchOptions): TamperWatch {
  const interval = options.intervalMs ?? 20;
  let stopped = false;
  let tripped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const round = async (): Promise<void> => {
    const readings = await Promise.all(
      sources.map(async (s) => {
        try {
          return await s.poll();
        } catch (err) {
          options.onError?.(s, err);
          const code = isEdgewardError(err) ? err.code : "EW_ERR_AGENT_TAMPER_SOURCE";
          return { source: s.name, details: `the source could not be read (${code})` };
        }
      }),
    );
    const hit = readings.find((r) => r !== undefined);
    if (hit !== undefined && !tripped && !stopped) {
      tripped = true;
      options.onTrip(hit);
    }
  };
  const tick = (): void => {
    if (stopped) return;
    inFlight = round().finally(() => {
      if (!stopped && !tripped) timer = setTimeout(tick, interval);
    });
  };
  tick();
  return {
    async close() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight;
    },
  };
}
