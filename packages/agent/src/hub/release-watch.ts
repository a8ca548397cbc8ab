/**
 * Watching for new releases between cycles (docs/agent.md "Following releases"): for each followed name, one long
 * poll on the hub's listing (`GET /v1/device/releases?name=N&after=V&wait=S`) stays open; the hub answers it as
 * soon as a release newer than the one this device has is rolled out to its group, and the agent updates at once
 * instead of at its next attestation. The answer is only a wake-up call: the update itself goes through discovery,
 * TUF and key release as on any cycle. A failing poll backs off (a busy hub's Retry-After, else the retry delay),
 * and the cycles go on without it.
 */
import type { HubClient } from "./hub-client.ts";
import { sequenceOf } from "../update/activate.ts";
import { retryDelayMs } from "./retry-after.ts";

/** The `wait` each poll asks for (seconds); under the hub's maximum and common idle timeouts of proxies. */
export const RELEASE_WAIT_S = 25;

/** An answer with nothing new that came sooner than this did not wait (a hub that ignores `wait`). */
const QUICK_ANSWER_MS = 1000;

/** What the watch needs. */
export interface ReleaseWatchDeps {
  /** The followed release names. */
  readonly names: readonly string[];
  /** The hub client to poll with (the current identity's). */
  readonly client: () => Promise<HubClient>;
  /** The newest version of `name` this device serves or already acted on; undefined when none. */
  readonly have: (name: string) => Promise<string | undefined>;
  /** Called when the hub lists a version of `name` above {@link have}'s. */
  readonly onRelease: (name: string, version: string) => void;
  /** Called with a poll's failure before the watch backs off; default silent. */
  readonly onError?: (name: string, err: unknown) => void;
  /** The back-off after a failure that is not a busy hub (ms). */
  readonly retryMs: number;
  /** Uniform in [0, 1): the jitter on a busy hub's Retry-After; default Math.random. */
  readonly random?: () => number;
  /** The `wait` to ask for (seconds); default {@link RELEASE_WAIT_S}. */
  readonly waitS?: number;
}

/** One long poll per followed name until {@link ReleaseWatch.close}. */
export class ReleaseWatch {
  readonly #deps: ReleaseWatchDeps;
  /** The newest version each name's poll has reported, so a release the update refuses is not reported again. */
  readonly #reported = new Map<string, string>();
  readonly #loops: Promise<void>[] = [];
  #stopped = false;
  #sleeping = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  constructor(deps: ReleaseWatchDeps) {
    this.#deps = deps;
  }

  /** Starts the polls. */
  start(): void {
    for (const name of this.#deps.names) this.#loops.push(this.#loop(name));
  }

  /** Stops polling; a poll under way is left to the client's close. */
  async close(): Promise<void> {
    this.#stopped = true;
    for (const s of this.#sleeping) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.#sleeping.clear();
    await Promise.allSettled(this.#loops);
  }

  async #loop(name: string): Promise<void> {
    while (!this.#stopped) {
      const started = Date.now();
      try {
        const have = await this.#deps.have(name);
        const reported = this.#reported.get(name);
        const after = newer(have, reported);
        const answer = await (
          await this.#deps.client()
        ).deviceReleases({
          name,
          limit: 1,
          wait: this.#deps.waitS ?? RELEASE_WAIT_S,
          ...(after === undefined ? {} : { after }),
        });
        if (this.#stopped) return;
        const listed = answer.releases.find((r) => r.name === name);
        if (listed !== undefined && sequence(listed.version) > sequence(after)) {
          this.#reported.set(name, listed.version);
          this.#deps.onRelease(name, listed.version);
        } else if (Date.now() - started < QUICK_ANSWER_MS) {
          // Nothing new, answered at once: a hub that does not hold the poll open is not asked again in a loop.
          await this.#sleep(this.#deps.retryMs);
        }
      } catch (err) {
        if (this.#stopped) return;
        this.#deps.onError?.(name, err);
        await this.#sleep(retryDelayMs(err, this.#deps.retryMs, this.#deps.random ?? Math.random));
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#sleeping.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.#sleeping.add(entry);
    });
  }
}

/** The later of two versions by their leading sequence (the floor's order); either may be absent. */
function newer(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return sequence(b) > sequence(a) ? b : a;
}

/** A version's leading number; -1 for none, or one without a number (below every real one). */
function sequence(version: string | undefined): number {
  return (version === undefined ? undefined : sequenceOf(version)) ?? -1;
}
