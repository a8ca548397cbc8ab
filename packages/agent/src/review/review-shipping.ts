/**
 * One review-shipping round per hub cycle, recorded in the device log (docs/agent.md "Review entries"): a round
 * that shipped entries is `review.ship` with their ids; a failed round is `review.ship-fail` with its code, but only
 * when the code differs from the previous round's, so a hub that keeps refusing (an older hub without the route)
 * does not grow the log by one entry a cycle. The entries themselves stay queued until acknowledged.
 */
import { isEdgewardError } from "@edgeward/core";
import type { ReviewQueue } from "@edgeward/guard";
import type { Decision } from "../audit/device-log.ts";
import { shipReviewEntries, type ReviewRound, type ReviewSink } from "./ship-review.ts";

/** Where rounds are recorded (the device log). */
export interface ReviewShippingLog {
  record(decision: Decision): Promise<unknown>;
}

/** Ships a queue's entries round after round, remembering the last failure's code. */
export class ReviewShipping {
  readonly #queue: ReviewQueue;
  readonly #log: ReviewShippingLog;
  readonly #subject: string;
  #lastFailure: string | undefined;

  /** `subject`: the device id the log entries name. */
  constructor(queue: ReviewQueue, log: ReviewShippingLog, subject: string) {
    this.#queue = queue;
    this.#log = log;
    this.#subject = subject;
  }

  /** Ships up to one round of entries to `sink`; returns the round and the failure's code, if any. */
  async round(sink: ReviewSink): Promise<ReviewRound & { readonly code?: string }> {
    const round = await shipReviewEntries(this.#queue, sink);
    const code =
      round.error === undefined ? undefined : isEdgewardError(round.error) ? round.error.code : "EW_ERR_INTERNAL";
    if (round.shipped.length > 0)
      await this.#log.record({
        kind: "review.ship",
        subject: this.#subject,
        details: { entries: round.shipped.length, ids: [...round.shipped] },
      });
    if (code !== undefined && code !== this.#lastFailure)
      await this.#log.record({ kind: "review.ship-fail", subject: this.#subject, details: { code } });
    this.#lastFailure = code;
    return code === undefined ? round : { ...round, code };
  }
}
