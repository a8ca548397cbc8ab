/**
 * The device's review queue (docs/guard.md "Review queue"; ARCHITECTURE.md promise 8), built from the
 * configuration's `review` section: every input the serving guard does not accept is sealed to the review recipient
 * in memory and only the ciphertext is written. When the queue is full it refuses new entries
 * (EW_ERR_REVIEW_QUEUE_FULL) rather than dropping old ones: the first entries of an attack are the evidence, and an
 * attacker who floods the device must not be able to push them out. The refusal is still recorded: the decision's
 * `guard.<decision>` device-log entry names the code as its review.
 */
import { join } from "node:path";
import { ReviewQueue } from "@edgeward/guard";
import type { StateLayout } from "../state/layout.ts";
import type { ReviewConfig } from "./review-config.ts";

/** The queue's folder when the configuration names none. */
export const REVIEW_DIR = "review";

/** The queue for `review` (none without a review section: then flagged inputs are answered but not kept). */
export function openReviewQueue(review: ReviewConfig | undefined, layout: StateLayout): ReviewQueue | undefined {
  if (review === undefined) return undefined;
  return new ReviewQueue({
    dir: review.dir ?? join(layout.root, REVIEW_DIR),
    recipient: review.recipient,
    maxEntries: review.maxEntries,
    maxBytes: review.maxBytes,
  });
}
