/**
 * One review-shipping round per hub cycle, recorded in the device log (docs/agent.md "Review entries"): a round
 * that shipped entries is `review.ship` with their ids; a failed round is `review.ship-fail` with its code (and the
 * hub's own code, when the hub refused), but only when that differs from the previous round's, so a hub that keeps
 * refusing (an older hub without the route, a device over its quota) does not grow the log by one entry a cycle.
 * The entries themselves stay queued until acknowledged. A hub that says the device is over its review quota, or
 * its review storage is full, is not sent entries again for {@link REVIEW_RETRY_LATER_MS}: resending megabytes each
 * cycle only to be refused again helps nobody.
 */
import { isEdgewardError } from "@edgeward/core";
import type { ReviewQueue } from "@edgeward/guard";
import type { Decision } from "../audit/device-log.ts";
import { hubCodeOf } from "../hub/hub-client.ts";
import { shipReviewEntries, type ReviewRound, type ReviewSink } from "./ship-review.ts";

/** Where rounds are recorded (the device log). */
export interface ReviewShippingLog {
  record(decision: Decision): Promise<unknown>;
}

/** How long shipping pauses after the hub said "retry later" (its default Retry-After, docs/hub.md). */
export const REVIEW_RETRY_LATER_MS = 15 * 60_000;

/** The hub's answers that mean "not now": the entry stays, and shipping pauses. */
const RETRY_LATER = new Set(["EW_ERR_REVIEW_QUOTA_EXCEEDED", "EW_ERR_REVIEW_STORAGE_FULL"]);

/** What a round did; `deferredUntil` when it sent nothing because the hub asked to wait. */
export type ShippingRound = ReviewRound & {
  readonly code?: string;
  readonly hubCode?: string;
  readonly deferredUntil?: Date;
};

/** Ships a queue's entries round after round, remembering the last failure's code. */
export class ReviewShipping {
  readonly #queue: ReviewQueue;
  readonly #log: ReviewShippingLog;
  readonly #subject: string;
  readonly #now: () => Date;
  #lastFailure: string | undefined;
  #notBefore = 0;

  /** `subject`: the device id the log entries name; `now`: the clock (tests move it). */
  constructor(queue: ReviewQueue, log: ReviewShippingLog, subject: string, now: () => Date = () => new Date()) {
    this.#queue = queue;
    this.#log = log;
    this.#subject = subject;
    this.#now = now;
  }

  /** Ships up to one round of entries to `sink`; returns the round and the failure's code, if any. */
  async round(sink: ReviewSink): Promise<ShippingRound> {
    if (this.#now().getTime() < this.#notBefore) return { shipped: [], deferredUntil: new Date(this.#notBefore) };
    const round = await shipReviewEntries(this.#queue, sink);
    const code =
      round.error === undefined ? undefined : isEdgewardError(round.error) ? round.error.code : "EW_ERR_INTERNAL";
    const hubCode = hubCodeOf(round.error);
    if (round.shipped.length > 0)
      await this.#log.record({
        kind: "review.ship",
        subject: this.#subject,
        details: { entries: round.shipped.length, ids: [...round.shipped] },
      });
    const failure = hubCode ?? code;
    if (code !== undefined && failure !== this.#lastFailure)
      await this.#log.record({
        kind: "review.ship-fail",
        subject: this.#subject,
        details: hubCode === undefined ? { code } : { code, hubCode },
      });
    this.#lastFailure = failure;
    if (hubCode !== undefined && RETRY_LATER.has(hubCode))
      this.#notBefore = this.#now().getTime() + REVIEW_RETRY_LATER_MS;
    if (code === undefined) return round;
    return hubCode === undefined ? { ...round, code } : { ...round, code, hubCode };
  }
}
