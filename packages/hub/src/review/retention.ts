// Review retention (docs/hub.md "Review entries"): with `review.retentionDays` above 0, each maintenance round
// deletes the entries received longer ago than that (blobs by the same rule as an operator's deletion) and records
// the round in the audit log, since what it removes was evidence.
import type { HubDeps } from "../deps.ts";
import { ReviewStore } from "./review-store.ts";

/** Deletes expired entries; returns how many, or undefined without a retention. */
export async function expireReviewEntries(
  deps: Pick<HubDeps, "store" | "clock"> & Partial<Pick<HubDeps, "blobs" | "review" | "audit">>,
): Promise<number | undefined> {
  const days = deps.review?.retentionDays ?? 0;
  if (days === 0 || deps.blobs === undefined) return undefined;
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const removed = await new ReviewStore(deps.store.db as never, deps.blobs, deps.review).purgeBefore(cutoff);
  if (removed > 0)
    await deps.audit?.append({
      time: now.toISOString(),
      actor: "hub:maintenance",
      kind: "review.expire",
      subject: "review",
      details: { entries: removed, receivedBefore: cutoff.toISOString(), retentionDays: days },
    });
  return removed;
}
