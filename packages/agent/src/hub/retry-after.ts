/**
 * The hub's "come back later" (docs/hub.md "Overload"): a 429 or 503 answer with Retry-After is neither a failed
 * attestation nor a hub refusal. The hub client turns it into EW_ERR_AGENT_HUB_BUSY carrying the wait; the hub link
 * schedules its next cycle after that wait plus jitter, and says so once per streak of busy answers.
 */
import { EdgewardError } from "@edgeward/core";

/** The longest wait a hub may ask for; a larger Retry-After is cut to it (a broken hub cannot park a device). */
export const MAX_RETRY_AFTER_MS = 3600_000;
/** Up to this share of the wait is added at random, so a shed fleet does not return in one wave. */
export const RETRY_JITTER = 0.2;

/** A Retry-After header (delay-seconds or an HTTP-date, RFC 9110 §10.2.3) as ms from `now`; undefined if unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now: Date): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  let ms: number;
  if (/^\d{1,10}$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (!/[A-Za-z]/.test(trimmed) || Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now.getTime());
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The error a 429/503 with a usable Retry-After becomes; its detail starts with the hub's code and the wait. */
export function hubBusy(code: string, retryAfterMs: number, what: string): EdgewardError {
  return new EdgewardError("EW_ERR_AGENT_HUB_BUSY", { detail: `${code} retry-after ${retryAfterMs} ms (${what})` });
}

/** The wait an EW_ERR_AGENT_HUB_BUSY asks for (ms), or undefined for any other error. */
export function busyRetryMs(err: unknown): number | undefined {
  if (!(err instanceof EdgewardError) || err.code !== "EW_ERR_AGENT_HUB_BUSY") return undefined;
  const m = / retry-after (\d+) ms /.exec(err.detail ?? "");
  return m === null ? undefined : Number(m[1]);
}

/**
 * When the hub link tries again after a failed cycle: a busy hub's wait plus up to 20 % jitter (never sooner
 * than asked), else the configured interval. `random` is uniform in [0, 1).
 */
export function retryDelayMs(err: unknown, intervalMs: number, random: () => number): number {
  const busy = busyRetryMs(err);
  if (busy === undefined) return intervalMs;
  return Math.round(busy * (1 + RETRY_JITTER * random()));
}

/** Says "the hub is busy" once per streak of busy answers; a cycle that gets through ends the streak. */
export class BusyNotice {
  #busy = false;
  readonly #say: (line: string) => void;

  constructor(say: (line: string) => void) {
    this.#say = say;
  }

  /** A busy answer: said only when the streak starts. */
  busy(err: EdgewardError, delayMs: number): void {
    if (this.#busy) return;
    this.#busy = true;
    this.#say(
      `hub busy (${err.detail ?? ""}); coming back in ${Math.round(delayMs / 1000)} s, not counted as a failure`,
    );
  }

  /** Anything else (a completed cycle or another error) ends the streak. */
  clear(): void {
    this.#busy = false;
  }
}
