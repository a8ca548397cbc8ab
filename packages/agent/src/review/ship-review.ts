/**
 * Review entries leave with the device's shipping to the hub (docs/guard.md "Review queue"; ARCHITECTURE.md "The
 * flows" 7): oldest first, each as its age ciphertext with its SHA-256, over the device's mTLS client. An entry is
 * deleted on the device only once the hub acknowledged that very id and digest, so nothing is lost: a send that
 * fails, or an acknowledgement for anything else (EW_ERR_REVIEW_ACK_MISMATCH), leaves it queued for the next round.
 */
import { createHash } from "node:crypto";
import { EdgewardError, type wire } from "@edgeward/core";
import type { ReviewQueue } from "@edgeward/guard";

/** The hub call that takes one entry (HubClient.shipReview). */
export interface ReviewSink {
  shipReview(body: wire.ReviewShipRequest): Promise<wire.ReviewShipResponse>;
}

/** Most entries one round sends (each may be up to wire.MAX_REVIEW_ENTRY_BYTES). */
export const REVIEW_ENTRIES_PER_ROUND = 32;

/** What one round did: the ids the hub acknowledged (now deleted here), and the error that stopped it, if any. */
export interface ReviewRound {
  readonly shipped: readonly string[];
  readonly error?: unknown;
}

/** Sends up to `limit` queued entries, oldest first, stopping at the first failure (that entry stays queued). */
export async function shipReviewEntries(
  queue: ReviewQueue,
  sink: ReviewSink,
  limit = REVIEW_ENTRIES_PER_ROUND,
): Promise<ReviewRound> {
  const shipped: string[] = [];
  try {
    await drain(queue, sink, limit, shipped);
  } catch (error) {
    return { shipped, error };
  }
  return { shipped };
}

async function drain(queue: ReviewQueue, sink: ReviewSink, limit: number, shipped: string[]): Promise<void> {
  await queue.drain(async ({ id, ciphertext }) => {
    const sha256 = createHash("sha256").update(ciphertext).digest("hex");
    const ack = await sink.shipReview({ id, sha256, ciphertext: Buffer.from(ciphertext).toString("base64") });
    if (ack.stored !== true || ack.id !== id || ack.sha256 !== sha256)
      throw new EdgewardError("EW_ERR_REVIEW_ACK_MISMATCH", { detail: `entry ${id}` });
    shipped.push(id);
  }, limit);
}
