// The release feed behind the device listing's long poll (docs/releases.md "Following releases"), on its own: a
// timer the test fires by hand (no sleeping) and listings the test answers, so every wake, poll and timeout is
// counted exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReleaseFeed, type FeedTimer } from "../../src/releases/index.ts";

/** Timers that run only when the test fires them. */
class HandTimer {
  readonly #pending = new Map<number, { fn: () => void; ms: number }>();
  #next = 0;
  readonly timer: FeedTimer = (fn, ms) => {
    const id = this.#next++;
    this.#pending.set(id, { fn, ms });
    return () => this.#pending.delete(id);
  };
  /** Pending timers of `ms`. */
  count(ms: number): number {
    return [...this.#pending.values()].filter((t) => t.ms === ms).length;
  }
  /** Runs every pending timer of `ms`. */
  fire(ms: number): void {
    for (const [id, t] of [...this.#pending]) {
      if (t.ms !== ms) continue;
      this.#pending.delete(id);
      t.fn();
    }
  }
}

/** A listing the test fills in, counting its calls. */
function listing() {
  const state = { found: [] as string[], calls: 0, fail: false };
  const evaluate = () => {
    state.calls++;
    return state.fail ? Promise.reject(new Error("database down")) : Promise.resolve([...state.found]);
  };
  return { state, evaluate };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const WAIT = 60_000;
const POLL = 1000;
/** A lost wake shows as a failure, not a hang. */
const BOUNDED = { timeout: 5000 };

describe("release feed", () => {
  it(
    "runs one listing per key and wake however many wait, answers the key that found something only",
    BOUNDED,
    async () => {
      const hand = new HandTimer();
      const feed = new ReleaseFeed<string>({ timer: hand.timer });
      const a = listing();
      const b = listing();
      const since = feed.generation;
      const waitsA = Array.from({ length: 10_000 }, () =>
        feed.wait({ key: "a", since, evaluate: a.evaluate, timeoutMs: WAIT }),
      );
      const waitsB = Array.from({ length: 500 }, () =>
        feed.wait({ key: "b", since, evaluate: b.evaluate, timeoutMs: WAIT }),
      );
      await settle();
      assert.equal(feed.waiting(), 10_500);
      assert.equal(feed.keys(), 2);
      assert.equal(a.state.calls + b.state.calls, 0, "nothing lists while nothing changed");

      a.state.found = ["fashion/4"];
      feed.changed();
      assert.deepEqual(
        await Promise.all(waitsA),
        Array.from({ length: 10_000 }, () => ["fashion/4"]),
      );
      assert.equal(a.state.calls, 1, "one listing answered ten thousand waiters");
      assert.equal(b.state.calls, 1);
      assert.equal(feed.waiting(), 500, "the other key goes back to waiting");
      assert.equal(feed.keys(), 1);
      assert.equal(hand.count(WAIT), 500, "the answered waiters' timers are gone");

      hand.fire(WAIT);
      assert.deepEqual(
        await Promise.all(waitsB),
        Array.from({ length: 500 }, () => []),
      );
      assert.equal(feed.waiting(), 0);
      assert.equal(feed.keys(), 0);
    },
  );

  it("lists once more before waiting when a change came after the caller's own listing", BOUNDED, async () => {
    const hand = new HandTimer();
    const feed = new ReleaseFeed<string>({ timer: hand.timer });
    const a = listing();
    const since = feed.generation;
    // The caller listed (empty); a release was published before it got here.
    a.state.found = ["fashion/2"];
    feed.changed();
    assert.deepEqual(await feed.wait({ key: "a", since, evaluate: a.evaluate, timeoutMs: WAIT }), ["fashion/2"]);
    assert.equal(a.state.calls, 1);
    assert.equal(feed.waiting(), 0, "it never waited");
    // Up to date: no extra listing, it waits.
    a.state.found = [];
    const pending = feed.wait({ key: "a", since: feed.generation, evaluate: a.evaluate, timeoutMs: WAIT });
    await settle();
    assert.equal(a.state.calls, 1);
    assert.equal(feed.waiting(), 1);
    hand.fire(WAIT);
    assert.deepEqual(await pending, []);
  });

  it("ends a wait whose signal aborts (the client went away), and one aborted before it waited", BOUNDED, async () => {
    const hand = new HandTimer();
    const feed = new ReleaseFeed<string>({ timer: hand.timer });
    const a = listing();
    const ac = new AbortController();
    const pending = feed.wait({ key: "a", since: 0, evaluate: a.evaluate, timeoutMs: WAIT, signal: ac.signal });
    await settle();
    assert.equal(feed.waiting(), 1);
    ac.abort();
    assert.deepEqual(await pending, []);
    assert.equal(feed.waiting(), 0);
    assert.equal(feed.keys(), 0);
    assert.equal(hand.count(WAIT), 0, "its timer is cancelled");
    const gone = feed.wait({ key: "a", since: 0, evaluate: a.evaluate, timeoutMs: WAIT, signal: ac.signal });
    assert.deepEqual(await gone, []);
    assert.equal(feed.waiting(), 0);
  });

  it(
    "reads the marker only while someone waits, every pollMs, and wakes the waiters when it moved",
    BOUNDED,
    async () => {
      const hand = new HandTimer();
      let marker = 7;
      let reads = 0;
      const feed = new ReleaseFeed<string>({
        timer: hand.timer,
        pollMs: POLL,
        marker: () => {
          reads++;
          return Promise.resolve(marker);
        },
      });
      const a = listing();
      assert.equal(hand.count(POLL), 0, "no poll without waiters");
      const pending = feed.wait({ key: "a", since: feed.generation, evaluate: a.evaluate, timeoutMs: WAIT });
      await settle();
      assert.equal(hand.count(POLL), 1);

      // The first read has nothing to compare with: it lists once, so a change before it is not lost.
      hand.fire(POLL);
      await settle();
      assert.equal(reads, 1);
      assert.equal(a.state.calls, 1);
      assert.equal(hand.count(POLL), 1, "polling goes on while someone waits");

      hand.fire(POLL);
      await settle();
      assert.equal(reads, 2);
      assert.equal(a.state.calls, 1, "an unmoved marker lists nothing");

      // Another replica published: the marker moved.
      marker = 8;
      a.state.found = ["fashion/9"];
      hand.fire(POLL);
      assert.deepEqual(await pending, ["fashion/9"]);
      assert.equal(a.state.calls, 2);
      await settle();
      assert.equal(hand.count(POLL), 0, "the last waiter gone, polling stops");

      // Waiting again after an idle spell where the marker did not move: the first read wakes no one.
      a.state.found = [];
      const again = feed.wait({ key: "a", since: feed.generation, evaluate: a.evaluate, timeoutMs: WAIT });
      await settle();
      hand.fire(POLL);
      await settle();
      assert.equal(a.state.calls, 2);
      hand.fire(WAIT);
      assert.deepEqual(await again, []);
    },
  );

  it("keeps waiters waiting when a listing or a marker read fails, and says so", BOUNDED, async () => {
    const hand = new HandTimer();
    const errors: unknown[] = [];
    let failMarker = true;
    const feed = new ReleaseFeed<string>({
      timer: hand.timer,
      pollMs: POLL,
      marker: () => (failMarker ? Promise.reject(new Error("marker down")) : Promise.resolve(1)),
      onError: (err) => errors.push(err),
    });
    const a = listing();
    const pending = feed.wait({ key: "a", since: feed.generation, evaluate: a.evaluate, timeoutMs: WAIT });
    await settle();
    hand.fire(POLL);
    await settle();
    assert.equal(errors.length, 1);
    assert.equal(hand.count(POLL), 1, "it polls again");
    a.state.fail = true;
    feed.changed();
    await settle();
    assert.equal(errors.length, 2);
    assert.equal(feed.waiting(), 1);
    failMarker = false;
    a.state.fail = false;
    a.state.found = ["x/1"];
    hand.fire(POLL);
    assert.deepEqual(await pending, ["x/1"]);
  });

  it("runs another round for a change that came during one", BOUNDED, async () => {
    const hand = new HandTimer();
    const feed = new ReleaseFeed<string>({ timer: hand.timer });
    let release: () => void = () => undefined;
    let calls = 0;
    let found: string[] = [];
    const evaluate = () => {
      calls++;
      if (calls === 1) return new Promise<string[]>((resolve) => (release = () => resolve([])));
      return Promise.resolve(found);
    };
    const pending = feed.wait({ key: "a", since: feed.generation, evaluate, timeoutMs: WAIT });
    await settle();
    feed.changed();
    await settle();
    assert.equal(calls, 1, "the first round is listing");
    found = ["y/2"];
    feed.changed();
    feed.changed();
    release();
    assert.deepEqual(await pending, ["y/2"]);
    assert.equal(calls, 2, "two changes during the round make one more round");
  });

  it("answers every waiter empty on close, and later waits at once", BOUNDED, async () => {
    const hand = new HandTimer();
    const feed = new ReleaseFeed<string>({ timer: hand.timer, pollMs: POLL, marker: () => Promise.resolve(1) });
    const a = listing();
    const waits = Array.from({ length: 3 }, (_, i) =>
      feed.wait({ key: `k${i}`, since: feed.generation, evaluate: a.evaluate, timeoutMs: WAIT }),
    );
    await settle();
    feed.close();
    assert.deepEqual(await Promise.all(waits), [[], [], []]);
    assert.equal(feed.waiting(), 0);
    assert.equal(hand.count(POLL) + hand.count(WAIT), 0, "no timer is left behind");
    assert.deepEqual(await feed.wait({ key: "a", since: 0, evaluate: a.evaluate, timeoutMs: WAIT }), []);
    assert.equal(a.state.calls, 0);
  });
});
